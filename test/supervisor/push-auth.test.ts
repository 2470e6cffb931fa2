/**
 * Push, login and logout through a real tsrund, with tsctl, against docker-registry with htpasswd
 * (Basic) and token auth (Bearer with push scope): a login the registry refuses changes nothing,
 * an accepted one is kept in the auth file (mode 0600) and opens pulls and pushes; refused or
 * missing credentials fail the push with one line naming the registry and the auth file; logout
 * removes the entry.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { GrpcStatus } from '../../supervisor/client/client';
import { haveRegistryTools, pushBusybox, TestRegistry, type User } from '../helpers/registry';
import { failure, TestDaemon, TSCTL } from './daemon';
import { pushAll } from './push-stream';

jest.setTimeout(120_000);

const maybe = haveRegistryTools ? describe : describe.skip;
const user: User = { username: 'pusher', password: 'push-s3cret' };

/** tsctl on `d`'s socket, asynchronously (the token server answers in this process). */
function tsctl(d: TestDaemon, args: string[], input = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(TSCTL, ['--address', d.address, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
    p.stdin.end(input);
  });
}

for (const kind of ['basic', 'token'] as const) {
  maybe(`push with ${kind} auth`, () => {
    const registry = new TestRegistry({ kind, user });
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-push-auth-'));
    const authFile = path.join(work, 'auth', 'auth.json');
    const daemon = new TestDaemon();
    let digest = '';

    beforeAll(async () => {
      await registry.start();
      digest = await pushBusybox(registry, path.join(work, 'layout'), 'private/busybox:v1');
      await daemon.start(['--auth-file', authFile]);
    }, 60_000);

    afterAll(async () => {
      await daemon.cleanup();
      await registry.stop();
      fs.rmSync(work, { recursive: true, force: true });
    });

    test('login with a wrong password: refused in one line, the auth file not written', async () => {
      const r = await tsctl(daemon, ['login', '-u', user.username, '--password-stdin', registry.host], 'wrong\n');
      expect(r.code).not.toBe(0);
      expect(r.stdout).toBe('');
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(registry.host);
      expect(r.stderr).toContain('refused the credentials');
      expect(r.stderr).toContain(`the auth file ${authFile} is unchanged`);
      expect(fs.existsSync(authFile)).toBe(false);
    });

    test('login: "Login Succeeded", the credentials kept in the auth file, mode 0600', async () => {
      const r = await tsctl(daemon, ['login', '-u', user.username, '--password-stdin', `http://${registry.host}/`], `${user.password}\n`);
      expect(r).toEqual({ code: 0, stdout: 'Login Succeeded\n', stderr: '' });
      expect(fs.statSync(authFile).mode & 0o777).toBe(0o600);
      const auths = JSON.parse(fs.readFileSync(authFile, 'utf8')).auths;
      expect(auths).toEqual({ [registry.host]: { auth: Buffer.from(`${user.username}:${user.password}`).toString('base64') } });
    });

    test('with the login: pull, then push to another repository (mounted), docker\'s last line', async () => {
      for await (const _ of daemon.client.pullImage(`${registry.host}/private/busybox:v1`));
      const before = registry.token?.requests.length ?? 0;
      const r = await tsctl(daemon, ['push', `${registry.host}/private/busybox:v1`, `${registry.host}/team/copy:v1`]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const lines = r.stdout.trimEnd().split('\n');
      expect(lines.filter((l) => l.endsWith(': mounted'))).toHaveLength(2);
      const size = fs.statSync(path.join(daemon.root, 'content/blobs/sha256', digest.slice(7))).size;
      expect(lines[lines.length - 1]).toBe(`v1: digest: ${digest} size: ${size}`);
      if (kind === 'token') {
        const scopes = registry.token!.requests.slice(before).filter((q) => q.authorized).map((q) => q.scope.split(' ').sort().join(' '));
        expect(scopes).toContain('repository:team/copy:pull,push');
        expect(scopes).toContain('repository:private/busybox:pull repository:team/copy:pull,push');
      }
    });

    test('credentials the registry refuses: FAILED_PRECONDITION naming the registry and the auth file', async () => {
      const kept = fs.readFileSync(authFile);
      fs.writeFileSync(authFile, JSON.stringify({ auths: { [registry.host]: { auth: Buffer.from(`${user.username}:nope`).toString('base64') } } }));
      try {
        const f = await failure(pushAll(daemon.client.pushImage(`${registry.host}/private/busybox:v1`, { destination: `${registry.host}/team/third:v1` })));
        expect(f?.code).toBe(GrpcStatus.FAILED_PRECONDITION);
        expect(f?.details).toContain(registry.host);
        expect(f?.details).toContain(kind === 'basic' ? `refused the credentials of the auth file ${authFile}` : 'refused the credentials');
        expect(f?.details.split('\n')).toHaveLength(1);
      } finally {
        fs.writeFileSync(authFile, kept);
      }
    });

    test('logout removes the entry; a push then has no credentials; a second logout says so', async () => {
      expect(await tsctl(daemon, ['logout', registry.host])).toEqual({ code: 0, stdout: `Removing login credentials for ${registry.host}\n`, stderr: '' });
      expect(JSON.parse(fs.readFileSync(authFile, 'utf8')).auths).toEqual({});
      const f = await failure(pushAll(daemon.client.pushImage(`${registry.host}/private/busybox:v1`, { destination: `${registry.host}/team/fourth:v1` })));
      expect(f?.code).toBe(GrpcStatus.FAILED_PRECONDITION);
      expect(f?.details).toContain(`the auth file (${authFile}) has none for ${registry.host}`);
      expect(await tsctl(daemon, ['logout', registry.host])).toEqual({ code: 0, stdout: `Not logged in to ${registry.host}\n`, stderr: '' });
    });
  });
}

/**
 * Registry authentication through a real tsrund and real docker-registry instances: htpasswd
 * (Basic) and token auth (Bearer, from the realm of the WWW-Authenticate challenge), with the
 * credentials in the daemon's --auth-file; anonymous pulls refused with a clear message.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { GrpcStatus } from '../../supervisor/client/client';
import { haveRegistryTools, pushBusybox, TestRegistry, type User } from '../helpers/registry';
import { failure, TestDaemon } from './daemon';

const maybe = haveRegistryTools ? describe : describe.skip;
const user: User = { username: 'tsrun', password: 's3cret-pass' };

function authFile(dir: string, host: string, u: User): string {
  const file = path.join(dir, 'auth.json');
  fs.writeFileSync(file, JSON.stringify({ auths: { [`http://${host}`]: { auth: Buffer.from(`${u.username}:${u.password}`).toString('base64') } } }));
  return file;
}

async function pullAll(d: TestDaemon, ref: string): Promise<string> {
  let digest = '';
  for await (const m of d.client.pullImage(ref)) if (m.image) digest = m.image.target!.digest;
  return digest;
}

for (const kind of ['basic', 'token'] as const) {
  maybe(`${kind} auth`, () => {
    const registry = new TestRegistry({ kind, user });
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-auth-'));
    const withCreds = new TestDaemon();
    const anonymous = new TestDaemon();
    const wrongCreds = new TestDaemon();
    let digest = '';

    beforeAll(async () => {
      await registry.start();
      digest = await pushBusybox(registry, path.join(work, 'layout'), 'private/busybox:v1');
      await withCreds.start(['--auth-file', authFile(path.join(work), registry.host, user)]);
      await anonymous.start(['--auth-file', path.join(work, 'absent.json')]);
      fs.mkdirSync(path.join(work, 'wrong'));
      await wrongCreds.start(['--auth-file', authFile(path.join(work, 'wrong'), registry.host, { username: user.username, password: 'nope' })]);
    }, 60_000);

    afterAll(async () => {
      await Promise.all([withCreds.cleanup(), anonymous.cleanup(), wrongCreds.cleanup()]);
      await registry.stop();
      fs.rmSync(work, { recursive: true, force: true });
    });

    test('the credential from the auth file pulls the image', async () => {
      expect(await pullAll(withCreds, `${registry.host}/private/busybox:v1`)).toBe(digest);
      if (kind === 'token') {
        const asked = registry.token!.requests.filter((r) => r.scope === 'repository:private/busybox:pull');
        expect(asked.length).toBeGreaterThan(0);
        expect(asked.every((r) => r.authorized)).toBe(true);
      }
    });

    test('without credentials: FAILED_PRECONDITION saying the auth file has none; nothing stored', async () => {
      const f = await failure(pullAll(anonymous, `${registry.host}/private/busybox:v1`));
      expect(f?.code).toBe(GrpcStatus.FAILED_PRECONDITION);
      expect(f?.details).toContain(`unauthorized: the registry asks for credentials and the auth file (${path.join(work, 'absent.json')}) has none for ${registry.host}`);
      expect(fs.readdirSync(path.join(anonymous.root, 'content/blobs/sha256'))).toEqual([]);
    });

    test('wrong credentials: refused, naming who refused them', async () => {
      const f = await failure(pullAll(wrongCreds, `${registry.host}/private/busybox:v1`));
      expect(f?.code).toBe(GrpcStatus.FAILED_PRECONDITION);
      expect(f?.details).toMatch(kind === 'basic' ? /unauthorized: the registry refused the credentials/ : /the token server http:\/\/127\.0\.0\.1:\d+ refused the credentials/);
    });
  });
}

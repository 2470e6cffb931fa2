/**
 * What a user reads when something they did fails: one line saying what and where (a field, a
 * path) and what to do, through tsctl and the client; never Node's or grpc-js's own text. And a
 * failing request (an export into a missing directory) leaves tsrund serving.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { callErrorMessage, GrpcStatus, TsrundClient } from '../../supervisor/client/client';
import { buildBusyboxArchive } from '../helpers/oci-image';
import { failure, TestDaemon, TSCTL } from './daemon';
import { useDaemon } from './fixtures';
import { NODE_INTERNAL_TEXT } from './messages';

const { daemon, c, bundle, run, remove } = useDaemon();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrund-messages-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function tsctl(args: string[], o: { address?: string; asNobody?: boolean } = {}): { status: number | null; stderr: string } {
  const argv = [TSCTL, '--address', o.address ?? daemon.address, ...args];
  const [cmd, ...rest] = o.asNobody ? ['setpriv', '--reuid', '65534', '--regid', '65534', '--clear-groups', ...argv] : argv;
  const r = spawnSync(cmd, rest, { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stderr: r.stderr };
}

/** The one line tsctl printed, checked to be one line free of internals. */
function oneLine(r: { status: number | null; stderr: string }): string {
  expect(r.status).toBe(1);
  expect(r.stderr.endsWith('\n')).toBe(true);
  const line = r.stderr.slice(0, -1);
  expect(line).not.toContain('\n');
  expect(line).not.toMatch(NODE_INTERNAL_TEXT);
  return line;
}

test('images export into a missing directory: a one-line error, and tsrund keeps serving', async () => {
  const [image] = await c().importImages(buildBusyboxArchive(work).file);
  const line = oneLine(tsctl(['images', 'export', '-o', '/missing/dir/x.tar', image.name]));
  expect(line).toBe("tsctl: path: /missing/dir is not a directory on tsrund's host: create it or write elsewhere");
  expect(daemon.proc!.exitCode).toBeNull();
  expect(await c().health()).toBe('SERVING');
  // The target is a directory: still a status that names it, still serving.
  fs.mkdirSync(path.join(work, 'file-not-dir'));
  const f = await failure(c().exportImages([image.name], path.join(work, 'file-not-dir')));
  expect(f?.code).toBe(GrpcStatus.INVALID_ARGUMENT);
  expect(f?.details).toBe(`path: ${path.join(work, 'file-not-dir')} is a directory: name the tar file to write`);
  expect(await c().health()).toBe('SERVING');
});

test('an index.json whose digest is not a string says so (not "digest.slice is not a function")', async () => {
  const layout = path.join(work, 'bad-layout');
  fs.mkdirSync(path.join(layout, 'blobs', 'sha256'), { recursive: true });
  fs.writeFileSync(path.join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const manifest = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: 5, size: 10, annotations: { 'org.opencontainers.image.ref.name': 'x' } };
  fs.writeFileSync(path.join(layout, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [manifest] }));
  const tar = path.join(work, 'bad-digest.tar');
  execFileSync('tar', ['-C', layout, '-cf', tar, 'oci-layout', 'index.json', 'blobs']);
  const line = oneLine(tsctl(['images', 'import', tar]));
  expect(line).toMatch(/^tsctl: .*digest of type number is not sha256:<64 hex digits>$/);
});

describe('a NUL in what becomes a C string is INVALID_ARGUMENT naming the field', () => {
  const cases: [string, object, string][] = [
    ['env', { env: ['A=b\0c'] }, 'overrides.env[0]'],
    ['args', { args: ['sh', '-c\0'] }, 'overrides.args[1]'],
    ['cwd', { cwd: '/tmp\0x' }, 'overrides.cwd'],
    ['a mount source', { mounts: [{ destination: '/m', source: '/tmp\0', type: 'bind', options: ['bind'] }] }, 'overrides.mounts[0].source'],
  ];
  test.each(cases)('overrides %s', async (_what, overrides, field) => {
    const f = await failure(c().createContainer({ id: 'nul-o', bundle: bundle().dir, overrides }));
    expect(f).toEqual({ code: GrpcStatus.INVALID_ARGUMENT, details: `${field}: contains a NUL character, which no argument, environment entry or path can hold` });
    expect((await failure(c().getContainer('nul-o')))?.code).toBe(GrpcStatus.NOT_FOUND);
  });

  test("in the bundle's config.json: its JSON path", async () => {
    const b = bundle();
    b.config.process.env = ['PATH=/bin', 'A=\0'];
    b.save();
    const f = await failure(c().createContainer({ id: 'nul-b', bundle: b.dir }));
    expect(f).toEqual({
      code: GrpcStatus.INVALID_ARGUMENT,
      details: `bundle: ${b.dir}/config.json: process.env[1]: must not contain a NUL character (\\u0000): C strings end there`,
    });
  });

  test('an exec: env, args, cwd, user', async () => {
    await run('nul-live', ['sleep', '600']);
    try {
      const bad: [object, string][] = [
        [{ env: ['A=\0'] }, 'env[0]'],
        [{ args: ['tr\0ue'] }, 'args[0]'],
        [{ cwd: '/\0' }, 'cwd'],
        [{ user: '0\0' }, 'user'],
      ];
      for (const [req, field] of bad) {
        const f = await failure(c().exec({ id: 'nul-live', execId: 'e', args: ['true'], ...req }));
        expect(f).toEqual({ code: GrpcStatus.INVALID_ARGUMENT, details: `${field}: contains a NUL character, which no argument, environment entry or path can hold` });
      }
      const big = await failure(c().resizePty('nul-live', 70000, 24));
      expect(big).toEqual({ code: GrpcStatus.INVALID_ARGUMENT, details: 'width: 70000 cells; a terminal has at most 65535' });
    } finally {
      await remove('nul-live');
    }
  });
});

test('a registry that is down is reported as such, not as "cannot reach tsrund"', () => {
  const line = oneLine(tsctl(['pull', '127.0.0.1:1/team/app:v1']));
  expect(line).toBe(
    "tsctl: registry unreachable: GET http://127.0.0.1:1/v2/team/app/manifests/v1: connection refused (is the registry up, and the reference's host right?)",
  );
}, 60_000);

describe('when tsctl cannot talk to tsrund it says why and what to do', () => {
  test('no socket', () => {
    const address = path.join(work, 'none.sock');
    expect(oneLine(tsctl(['ls'], { address }))).toBe(`tsctl: no tsrund serves ${address} (no such socket): start tsrund, or point --address at its socket`);
  });

  test('a stale socket nobody listens on', () => {
    const address = path.join(work, 'stale.sock');
    // python binds and exits without unlinking: what a tsrund killed by SIGKILL leaves.
    execFileSync('python3', ['-c', 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', address]);
    expect(oneLine(tsctl(['ls'], { address }))).toBe(`tsctl: nothing listens on ${address} (tsrund is not running; the socket is stale): start tsrund`);
  });

  test('a non-root user: the socket is root-only', () => {
    for (let d = path.dirname(daemon.address); d !== '/'; d = path.dirname(d)) fs.chmodSync(d, fs.statSync(d).mode | 0o011);
    expect(oneLine(tsctl(['ls'], { asNobody: true }))).toBe(`tsctl: ${daemon.address}: permission denied; tsrund's socket is root-only: run this as root (sudo)`);
  });

  test('the client library says the same (callErrorMessage)', async () => {
    const address = path.join(work, 'none.sock');
    const client = new TsrundClient(address);
    try {
      const err = await client.version().then(() => null, (e: unknown) => e);
      expect(callErrorMessage(err, address)).toBe(`no tsrund serves ${address} (no such socket): start tsrund, or point --address at its socket`);
      // tsrund's own statuses pass through as they are.
      const nf = await c().getContainer('no-such').then(() => null, (e: unknown) => e);
      expect(callErrorMessage(nf, daemon.address)).toBe('container no-such not found');
    } finally {
      client.close();
    }
  });
});

test('tsrund removes its socket however it stops (SIGHUP here)', async () => {
  const d = new TestDaemon();
  try {
    await d.start();
    expect(fs.existsSync(d.address)).toBe(true);
    const exit = await d.signal('SIGHUP');
    expect(exit).toEqual({ code: 0, signal: null });
    expect(fs.existsSync(d.address)).toBe(false);
  } finally {
    await d.cleanup();
  }
});

test('an unhandled rejection or exception inside tsrund is logged, and tsrund keeps serving', async () => {
  // Preloaded into tsrund's own process: failures no request handler sees.
  const inject = path.join(work, 'inject.js');
  fs.writeFileSync(
    inject,
    "setTimeout(() => { Promise.reject(new Error('injected rejection')); setTimeout(() => { throw new Error('injected exception'); }, 10); }, 200);\n",
  );
  const d = new TestDaemon();
  try {
    await d.start([], (argv) => ['env', `NODE_OPTIONS=--require ${inject}`, ...argv]);
    for (let i = 0; i < 100 && !d.stderr.includes('injected exception'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(d.stderr).toMatch(/ error unhandled rejection: Error: injected rejection\n/);
    expect(d.stderr).toMatch(/ error uncaught exception: Error: injected exception\n/);
    expect(d.proc!.exitCode).toBeNull();
    expect(await d.reconnect().health()).toBe('SERVING');
  } finally {
    await d.cleanup();
  }
});

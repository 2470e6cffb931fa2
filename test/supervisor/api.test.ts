/**
 * tsrund's API without running containers: container records, error codes for bad requests, the
 * socket's protection, and a daemon that stays healthy whatever a client sends or does.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { GrpcStatus, TsrundClient } from '../../supervisor/client/client';
import { TSRUND, TestDaemon, failure } from './daemon';
import { useDaemon } from './fixtures';

const { daemon, c, bundle } = useDaemon();

// How fast it starts is measured by bench/supervisor.ts, not asserted here.
test('answers Version and Health', async () => {
  const v = await c().version();
  expect(v).toMatchObject({ api: 'tsrun.supervisor.v1', node: process.version });
  expect(v.pid).toBe(daemon.proc!.pid);
  expect(await c().health()).toBe('SERVING');
});

test('the socket is 0600 and owned by root; a non-root client cannot connect', () => {
  const st = fs.statSync(daemon.address);
  expect(st.isSocket()).toBe(true);
  expect(st.mode & 0o777).toBe(0o600);
  expect(st.uid).toBe(0);
  // Let nobody reach the socket's directory, so that only the socket's own mode stands in the way.
  for (let d = path.dirname(daemon.address); d !== '/'; d = path.dirname(d)) fs.chmodSync(d, fs.statSync(d).mode | 0o011);
  const script = `require('net').connect(${JSON.stringify(daemon.address)}).on('connect', () => { console.log('connected'); process.exit(0); }).on('error', (e) => { console.log(e.code); process.exit(2); });`;
  const r = spawnSync('setpriv', ['--reuid', '65534', '--regid', '65534', '--clear-groups', process.execPath, '-e', script], {
    encoding: 'utf8',
  });
  expect(r.stdout.trim()).toBe('EACCES');
  expect(r.status).toBe(2);
});

test('a second tsrund on the same socket refuses to start', () => {
  const other = path.join(daemon.dir, 'other');
  const r = spawnSync(TSRUND, ['--address', daemon.address, '--root', path.join(other, 'root'), '--state', path.join(other, 'state')], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  expect(r.status).toBe(1);
  expect(r.stderr).toContain(`another tsrund is serving ${daemon.address}`);
});

test('a second tsrund on the same --state refuses to start', () => {
  const r = spawnSync(TSRUND, ['--address', path.join(daemon.dir, 'b.sock'), '--root', daemon.root, '--state', daemon.state], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  expect(r.status).toBe(1);
  expect(r.stderr).toContain(`another tsrund is running with --state ${daemon.state}`);
});

describe('Containers', () => {
  test('Create, Get, List with label filters, Delete', async () => {
    const b = bundle(['echo', 'hi']);
    const created = await c().createContainer({
      id: 'api-k1',
      bundle: b.dir,
      labels: { app: 'web', tier: 'front' },
      overrides: { args: ['sh', '-c', 'echo $GREETING'], env: ['GREETING=hello'], cwd: '/tmp' },
    });
    expect(created).toMatchObject({ id: 'api-k1', bundle: b.dir, image: '', labels: { app: 'web', tier: 'front' } });
    const spec = JSON.parse(created.specJson);
    expect(spec.process.args).toEqual(['sh', '-c', 'echo $GREETING']);
    expect(spec.process.env).toContain('GREETING=hello');
    expect(spec.process.cwd).toBe('/tmp');
    expect(created.createdAt!.seconds).toBeGreaterThan(Date.now() / 1000 - 60);

    await c().createContainer({ id: 'api-k2', bundle: b.dir, labels: { app: 'db' } });
    expect((await c().getContainer('api-k1')).labels).toEqual({ app: 'web', tier: 'front' });
    const ids = async (filters: string[]) => (await c().listContainers(filters)).map((k) => k.id).filter((id) => id.startsWith('api-k'));
    expect(await ids([])).toEqual(['api-k1', 'api-k2']);
    expect(await ids(['app=web'])).toEqual(['api-k1']);
    expect(await ids(['tier'])).toEqual(['api-k1']);
    expect(await ids(['app=db', 'tier'])).toEqual([]);

    // The record is on disk, written whole.
    const record = JSON.parse(fs.readFileSync(path.join(daemon.root, 'containers', 'api-k1', 'container.json'), 'utf8'));
    expect(record.id).toBe('api-k1');

    await c().deleteContainer('api-k1');
    await c().deleteContainer('api-k2');
    expect(await failure(c().getContainer('api-k1'))).toEqual({ code: GrpcStatus.NOT_FOUND, details: 'container api-k1 not found' });
    expect(fs.existsSync(path.join(daemon.root, 'containers', 'api-k1'))).toBe(false);
  });

  test('a duplicate id is ALREADY_EXISTS', async () => {
    const b = bundle();
    await c().createContainer({ id: 'api-dup', bundle: b.dir });
    expect(await failure(c().createContainer({ id: 'api-dup', bundle: b.dir }))).toEqual({
      code: GrpcStatus.ALREADY_EXISTS,
      details: 'container api-dup already exists',
    });
    await c().deleteContainer('api-dup');
  });

  test('unknown ids are NOT_FOUND everywhere', async () => {
    for (const call of [
      c().getContainer('api-none'),
      c().deleteContainer('api-none'),
      c().createTask('api-none'),
      c().startTask('api-none'),
      c().kill('api-none', 9),
      c().deleteTask('api-none'),
      c().wait('api-none'),
      c().getTask('api-none'),
      c().pause('api-none'),
      c().stats('api-none'),
    ]) {
      expect((await failure(call))?.code).toBe(GrpcStatus.NOT_FOUND);
    }
  });

  test.each([
    ['../../etc', 'id: "../../etc" is not a valid id'],
    ['a/b', 'id: "a/b" is not a valid id'],
    ['..', 'id: ".." is not a valid id'],
    ['bad\nid', 'id: "bad\\nid" is not a valid id'],
    ['-x', 'id: "-x" is not a valid id'],
    ['', 'id: must not be empty'],
    ['x'.repeat(77), 'id: is 77 characters long; the limit is 76'],
  ])('id %j is INVALID_ARGUMENT before anything touches the file system', async (id, message) => {
    const b = bundle();
    const f = await failure(c().createContainer({ id, bundle: b.dir }));
    expect(f?.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(f?.details).toContain(message);
    expect(fs.readdirSync(path.join(daemon.root, 'containers')).some((e) => e.includes('etc') || e === '..')).toBe(false);
    expect((await failure(c().getTask(id)))?.code).toBe(GrpcStatus.INVALID_ARGUMENT);
  });

  test('malformed bundles are INVALID_ARGUMENT naming the file or the JSON path', async () => {
    const missing = await failure(c().createContainer({ id: 'api-bad1', bundle: path.join(daemon.dir, 'nope') }));
    expect(missing).toEqual({
      code: GrpcStatus.INVALID_ARGUMENT,
      details: expect.stringContaining('bundle directory does not exist (ENOENT)'),
    });

    const b = bundle();
    fs.writeFileSync(path.join(b.dir, 'config.json'), '{"ociVersion": "1.0.0", "process": {');
    const syntax = await failure(c().createContainer({ id: 'api-bad2', bundle: b.dir }));
    expect(syntax?.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(syntax?.details).toContain(path.join(b.dir, 'config.json'));

    b.config.process.args = 5 as unknown as string[];
    b.save();
    const typed = await failure(c().createContainer({ id: 'api-bad3', bundle: b.dir }));
    expect(typed?.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(typed?.details).toContain('process.args');

    expect((await failure(c().createContainer({ id: 'api-bad4', bundle: 'relative/dir' })))?.details).toBe(
      'bundle: "relative/dir" is not an absolute path',
    );
    expect((await failure(c().createContainer({ id: 'api-bad5' })))?.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    const ids = (await c().listContainers()).map((k) => k.id);
    expect(ids.filter((id) => id.startsWith('api-bad'))).toEqual([]);
  });

  test('bad overrides are INVALID_ARGUMENT naming the field', async () => {
    const b = bundle();
    const cases: [object, string][] = [
      [{ env: ['OK=1', 'NOEQUALS'] }, 'overrides.env[1]'],
      [{ cwd: 'rel' }, 'overrides.cwd'],
      [{ user: 'alice' }, 'overrides.user'],
      // (uid_t) -1 is "no change" to setresuid(2): the process would run as root.
      [{ user: '4294967295' }, 'overrides.user'],
      [{ user: '1000:4294967295' }, 'overrides.user'],
      [{ mounts: [{ destination: 'tmp', type: 'tmpfs', source: 'tmpfs', options: [] }] }, 'overrides.mounts[0].destination'],
    ];
    for (const [overrides, field] of cases) {
      const f = await failure(c().createContainer({ id: 'api-ovr', bundle: b.dir, overrides }));
      expect(f?.code).toBe(GrpcStatus.INVALID_ARGUMENT);
      expect(f?.details.startsWith(`${field}:`)).toBe(true);
    }
  });

  test('an image that is not in the store is NOT_FOUND, naming it, and makes no container', async () => {
    const f = await failure(c().createContainer({ id: 'api-img', image: 'docker.io/library/busybox:latest' }));
    expect(f?.code).toBe(GrpcStatus.NOT_FOUND);
    expect(f?.details).toContain('busybox');
    expect((await failure(c().getContainer('api-img')))?.code).toBe(GrpcStatus.NOT_FOUND);
  });

  test('huge strings are refused and the daemon stays healthy', async () => {
    const b = bundle();
    const hugeId = await failure(c().createContainer({ id: 'x'.repeat(1 << 20), bundle: b.dir }));
    expect(hugeId?.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(hugeId!.details.length).toBeLessThan(200);
    const hugeLabel = await failure(c().createContainer({ id: 'api-huge', bundle: b.dir, labels: { k: 'v'.repeat(1 << 20) } }));
    expect(hugeLabel?.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(hugeLabel?.details).toContain('labels["k"]');
    const hugeBundle = await failure(c().createContainer({ id: 'api-huge', bundle: '/' + 'd'.repeat(10_000) }));
    expect(hugeBundle?.details).toBe('bundle: is 10001 characters long; the limit is 4096');
    // Beyond the 4 MiB a message may have: refused by gRPC itself.
    const tooBig = await failure(c().createContainer({ id: 'api-huge', bundle: b.dir, overrides: { args: ['x'.repeat(5 << 20)] } }));
    expect(tooBig?.code).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
    expect(await c().health()).toBe('SERVING');
    expect((await c().listContainers()).map((k) => k.id)).not.toContain('api-huge');
  });

  test('unknown event types are INVALID_ARGUMENT', async () => {
    const stream = c().subscribe({ types: ['exit', 'explode'] });
    let err: { code: number; details: string } | null = null;
    try {
      for await (const _ of stream) break;
    } catch (e) {
      err = e as { code: number; details: string };
    }
    expect(err?.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(err?.details).toContain('types[1]: unknown event type "explode"');
  });
});

test('clients that go away mid-stream leave the daemon healthy and still publishing', async () => {
  const b = bundle();
  // A client process killed with SIGKILL while subscribed, and one that cancels.
  const script = `
    const { TsrundClient } = require(${JSON.stringify(path.resolve(__dirname, '../../dist/supervisor/client/client.js'))});
    const c = new TsrundClient(${JSON.stringify(daemon.address)});
    (async () => { for await (const e of c.subscribe({})) { console.log(e.type); } })();
    setTimeout(() => console.log('subscribed'), 300);`;
  const child = require('child_process').spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => d.toString().includes('subscribed') && resolve()));
  child.kill('SIGKILL');
  await new Promise((r) => child.on('exit', r));

  const cancelled = c().subscribe({});
  const cancelledDone = (async () => {
    const seen: string[] = [];
    for await (const e of cancelled) seen.push(e.type);
    return seen;
  })();
  const watcher = new TsrundClient(daemon.address);
  const seen: string[] = [];
  const stream = watcher.subscribe({ ids: ['api-stream'] });
  const collecting = (async () => {
    for await (const e of stream) {
      seen.push(e.type);
      if (e.type === 'container-delete') stream.cancel();
    }
  })();
  await new Promise((r) => setTimeout(r, 100));
  cancelled.cancel();
  expect(await cancelledDone).toEqual([]);
  await c().createContainer({ id: 'api-stream', bundle: b.dir });
  await c().deleteContainer('api-stream');
  await collecting;
  watcher.close();
  expect(seen).toEqual(['container-create', 'container-delete']);
  expect(await c().health()).toBe('SERVING');
});

test('SIGTERM stops the daemon cleanly and removes its socket', async () => {
  const d = new TestDaemon();
  try {
    await d.start();
    const exit = await d.signal('SIGTERM');
    expect(exit).toEqual({ code: 0, signal: null });
    expect(fs.existsSync(d.address)).toBe(false);
    expect(d.stderr).toContain('tsrund stopped');
  } finally {
    await d.cleanup();
  }
});

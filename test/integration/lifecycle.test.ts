/**
 * The container lifecycle through the CLI, observed as a user of runc would: state between the
 * steps, the exec fifo holding the process back until start, kill, delete, list, run's exit code.
 */
import * as fs from 'fs';
import * as path from 'path';
import { cgroupManagerFor, detectCgroupHost } from '../../runtime/cgroups';
import { containerFixtures } from '../helpers/fixtures';
import { seededRandom } from '../helpers/seeded-random';
import { processExists, sleep, uniqueId } from '../helpers/tsrun';

const fx = containerFixtures();


test('create, state, start, kill, delete: each step shows in state and the process runs only after start', async () => {
  const b = fx.bundle(['sh', '-c', 'touch /tmp/started; exec sleep 60'], (c) => {
    c.root.readonly = false;
  });
  const id = fx.tsrun.track(uniqueId('life'));

  const created = fx.tsrun.cmd(['create', '--bundle', b.dir, id]);
  expect(created.stderr).toBe('');
  expect(created.code).toBe(0);
  const s1 = fx.tsrun.state(id);
  expect(s1).toMatchObject({ id, status: 'created', bundle: b.dir, rootfs: path.join(b.dir, 'rootfs') });
  expect(s1.ociVersion).toMatch(/^1\./);
  const pid = s1.pid as number;
  expect(processExists(pid)).toBe(true);
  await sleep(200);
  expect(fs.existsSync(path.join(b.rootfs, 'tmp/started'))).toBe(false);

  expect(fx.tsrun.cmd(['start', id]).code).toBe(0);
  expect(fx.tsrun.state(id)).toMatchObject({ status: 'running', pid });
  for (let i = 0; i < 100 && !fs.existsSync(path.join(b.rootfs, 'tmp/started')); i++) await sleep(20);
  expect(fs.existsSync(path.join(b.rootfs, 'tmp/started'))).toBe(true);

  const again = fx.tsrun.cmd(['start', id]);
  expect(again.code).toBe(1);
  expect(again.stderr).toContain('cannot start an already running container');

  const running = fx.tsrun.cmd(['delete', id]);
  expect(running.code).toBe(1);
  expect(running.stderr).toContain(`cannot delete container ${id} that is not stopped: running`);

  expect(fx.tsrun.cmd(['kill', id, 'KILL']).code).toBe(0);
  for (let i = 0; i < 100 && processExists(pid); i++) await sleep(20);
  expect(fx.tsrun.state(id)).toMatchObject({ status: 'stopped', pid: 0 });
  expect(fx.tsrun.cmd(['kill', id]).stderr).toContain('container not running');

  expect(fx.tsrun.cmd(['delete', id]).code).toBe(0);
  const gone = fx.tsrun.cmd(['state', id]);
  expect(gone.code).toBe(1);
  expect(gone.stderr).toContain('container does not exist');
  expect(fs.existsSync(path.join(fx.tsrun.root, id))).toBe(false);
});

test('list shows containers as a table, as json and as ids', () => {
  const b = fx.bundle(['sleep', '60']);
  const a = fx.tsrun.track(uniqueId('list-a'));
  const c = fx.tsrun.track(uniqueId('list-b'));
  expect(fx.tsrun.cmd(['create', '-b', b.dir, a]).code).toBe(0);
  expect(fx.tsrun.cmd(['create', '-b', b.dir, c]).code).toBe(0);

  expect(fx.tsrun.cmd(['list', '-q']).stdout).toBe(`${a}\n${c}\n`);
  const json = JSON.parse(fx.tsrun.cmd(['list', '--format', 'json']).stdout);
  expect(json.map((s: { id: string; status: string }) => [s.id, s.status])).toEqual([
    [a, 'created'],
    [c, 'created'],
  ]);
  const table = fx.tsrun.cmd(['list']).stdout.split('\n');
  expect(table[0]).toMatch(/^ID\s+PID\s+STATUS\s+BUNDLE\s+CREATED\s+OWNER$/);
  expect(table[1]).toMatch(new RegExp(`^${a}\\s+\\d+\\s+created\\s+${b.dir}\\s+\\S+\\s+root$`));
});

test('kill accepts signal names and numbers; an unknown signal is an error', async () => {
  const b = fx.bundle(['sh', '-c', 'trap "echo got-usr1 > /tmp/sig" USR1; while :; do sleep 0.05; done'], (c) => {
    c.root.readonly = false;
  });
  const id = fx.tsrun.track(uniqueId('sig'));
  expect(fx.tsrun.cmd(['run', '-d', '-b', b.dir, id]).code).toBe(0);
  await sleep(200);
  expect(fx.tsrun.cmd(['kill', id, 'SIGUSR1']).code).toBe(0);
  for (let i = 0; i < 100 && !fs.existsSync(path.join(b.rootfs, 'tmp/sig')); i++) await sleep(20);
  expect(fs.readFileSync(path.join(b.rootfs, 'tmp/sig'), 'utf8')).toBe('got-usr1\n');
  const bad = fx.tsrun.cmd(['kill', id, 'FOO']);
  expect(bad.code).toBe(1);
  expect(bad.stderr).toContain('msg="unknown signal \\"FOO\\""');
  const pid = fx.tsrun.state(id).pid as number;
  expect(fx.tsrun.cmd(['kill', id, '9']).code).toBe(0);
  for (let i = 0; i < 100 && processExists(pid); i++) await sleep(20);
  expect(fx.tsrun.state(id)).toMatchObject({ status: 'stopped' });
});

test('a created container is deleted without --force; a running one with --force', async () => {
  const b = fx.bundle(['sleep', '60']);
  const created = fx.tsrun.track(uniqueId('del-c'));
  expect(fx.tsrun.cmd(['create', '-b', b.dir, created]).code).toBe(0);
  const pid1 = fx.tsrun.state(created).pid as number;
  expect(fx.tsrun.cmd(['delete', created]).code).toBe(0);
  expect(processExists(pid1)).toBe(false);

  const running = fx.tsrun.track(uniqueId('del-r'));
  expect(fx.tsrun.cmd(['run', '-d', '-b', b.dir, running]).code).toBe(0);
  const pid2 = fx.tsrun.state(running).pid as number;
  expect(fx.tsrun.cmd(['delete', '--force', running]).code).toBe(0);
  expect(processExists(pid2)).toBe(false);
  expect(fx.tsrun.cmd(['list', '-q']).stdout).toBe('');

  expect(fx.tsrun.cmd(['delete', 'never-existed']).stderr).toContain('container does not exist');
  expect(fx.tsrun.cmd(['delete', '--force', 'never-existed']).code).toBe(0);
});

test('run in the foreground passes the container output through and exits with its status', () => {
  const b = fx.bundle(['sh', '-c', 'echo out; echo err >&2; exit 7']);
  const id = fx.tsrun.track(uniqueId('run'));
  const r = fx.tsrun.cmd(['run', '-b', b.dir, id]);
  expect(r).toMatchObject({ code: 7, stdout: 'out\n', stderr: 'err\n' });
  expect(fx.tsrun.cmd(['list', '-q']).stdout).toBe('');
});

test('run reports death by signal as 128+N; --keep keeps a stopped container', () => {
  const b = fx.bundle(['sh', '-c', 'sleep 60 & kill -9 $$; wait'], (c) => {
    c.linux.namespaces = c.linux.namespaces.filter((n) => n.type !== 'pid');
  });
  const id = fx.tsrun.track(uniqueId('run-sig'));
  const r = fx.tsrun.cmd(['run', '--keep', '-b', b.dir, id]);
  expect(r.code).toBe(137);
  expect(fx.tsrun.state(id)).toMatchObject({ status: 'stopped' });
});

test('a foreground run forwards SIGTERM to a container that handles it', async () => {
  const b = fx.bundle(['sh', '-c', 'trap "echo term; exit 3" TERM; echo ready; while :; do sleep 0.05; done']);
  const id = fx.tsrun.track(uniqueId('fwd'));
  const child = fx.tsrun.background(['run', '-b', b.dir, id]);
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  for (let i = 0; i < 200 && !out.includes('ready'); i++) await sleep(20);
  child.kill('SIGTERM');
  const code = await new Promise((r) => child.on('exit', r));
  expect(out).toBe('ready\nterm\n');
  expect(code).toBe(3);
});

test('class: a SIGTERM at any moment of a foreground run (create, start, running) is forwarded and leaves no container behind', async () => {
  // A createRuntime hook holds the create open for 0.2 s, so that many moments fall inside it.
  const b = fx.bundle(['sh', '-c', 'trap "exit 3" TERM; echo ready; while :; do sleep 0.05; done'], (c) => {
    c.hooks = { createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', 'sleep 0.2'] }] };
  });
  const seed = 20261201;
  const random = seededRandom(seed);
  for (let i = 0; i < 12; i++) {
    const delay = Math.floor(random() * 400);
    const id = fx.tsrun.track(uniqueId('sigrun'));
    const child = fx.tsrun.background(['run', '-b', b.dir, id]);
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((r) => child.on('exit', (code, signal) => r([code, signal])));
    await sleep(delay);
    // pid 1 of a pid namespace ignores a SIGTERM that comes before its trap: send it again
    // until the trap has it (a run ended by Node's start-up before any container exists, too).
    let ended: [number | null, NodeJS.Signals | null] | null = null;
    void exited.then((e) => (ended = e));
    for (let tries = 0; !ended && tries < 40; tries++) {
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(250)]);
    }
    const [code, signal] = await exited;
    expect({ seed, delay, ended: signal === 'SIGTERM' || code === 3 }).toEqual({ seed, delay, ended: true });
    const cgroups = cgroupManagerFor(detectCgroupHost(), id).toJSON().hierarchies.filter((h) => fs.existsSync(h.dir)).map((h) => h.dir);
    expect({ seed, delay, left: fx.tsrun.cmd(['list', '-q']).stdout, cgroups }).toEqual({ seed, delay, left: '', cgroups: [] });
  }
}, 120_000);

test('two creates of one id at once: exactly one wins, the other says the id exists', async () => {
  const b = fx.bundle(['sleep', '60']);
  const id = fx.tsrun.track(uniqueId('race'));
  const runs = [0, 1].map(
    () =>
      new Promise<{ code: number | null; err: string }>((resolve) => {
        const c = fx.tsrun.background(['create', '-b', b.dir, id]);
        let err = '';
        c.stderr.on('data', (d) => (err += d));
        c.on('exit', (code) => resolve({ code, err }));
      }),
  );
  const results = await Promise.all(runs);
  expect(results.map((r) => r.code).sort()).toEqual([0, 1]);
  expect(results.find((r) => r.code === 1)!.err).toContain('container with given ID already exists');
});

test('kill refuses a pid that was recycled (start time differs from the state)', () => {
  const b = fx.bundle(['sleep', '60']);
  const id = fx.tsrun.track(uniqueId('recycle'));
  expect(fx.tsrun.cmd(['run', '-d', '-b', b.dir, id]).code).toBe(0);
  const file = path.join(fx.tsrun.root, id, 'state.json');
  const saved = JSON.parse(fs.readFileSync(file, 'utf8'));
  const real = saved.initStartTime;
  fs.writeFileSync(file, JSON.stringify({ ...saved, initStartTime: String(Number(real) + 1) }));
  expect(fx.tsrun.state(id)).toMatchObject({ status: 'stopped' });
  const r = fx.tsrun.cmd(['kill', id, 'KILL']);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('container not running');
  expect(processExists(saved.pid)).toBe(true);
  fs.writeFileSync(file, JSON.stringify(saved));
});

test('kill with the default SIGTERM stops a created container, as runc does; the process never ran', async () => {
  const b = fx.bundle(['sh', '-c', 'touch /tmp/ran'], (c) => {
    c.root.readonly = false;
  });
  const id = fx.tsrun.track(uniqueId('kill-created'));
  expect(fx.tsrun.cmd(['create', '-b', b.dir, id]).code).toBe(0);
  const pid = fx.tsrun.state(id).pid as number;
  expect(fx.tsrun.cmd(['kill', id]).code).toBe(0);
  for (let i = 0; i < 100 && processExists(pid); i++) await sleep(20);
  expect(fx.tsrun.state(id)).toMatchObject({ status: 'stopped' });
  expect(fs.existsSync(path.join(b.rootfs, 'tmp/ran'))).toBe(false);
});

test('once started, pid 1 without a handler ignores SIGTERM (only its own handlers count)', async () => {
  const b = fx.bundle(['sleep', '60']);
  const id = fx.tsrun.track(uniqueId('term-running'));
  expect(fx.tsrun.cmd(['run', '-d', '-b', b.dir, id]).code).toBe(0);
  expect(fx.tsrun.cmd(['kill', id, 'TERM']).code).toBe(0);
  await sleep(300);
  expect(fx.tsrun.state(id)).toMatchObject({ status: 'running' });
});

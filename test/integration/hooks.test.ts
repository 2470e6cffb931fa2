/**
 * OCI hooks in real containers: each kind runs at its moment of the lifecycle and in the
 * namespaces the spec gives it, reads the state on stdin, gets exactly its argv and environment;
 * a failing or hanging hook fails create (or start) and leaves nothing behind, while poststart
 * and poststop failures are only warnings.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Config } from '../helpers/bundle';
import { containerFixtures } from '../helpers/fixtures';
import { processExists, uniqueId } from '../helpers/tsrun';

const fx = containerFixtures();

type Hook = { path: string; args?: string[]; env?: string[]; timeout?: number };
type Kind = 'prestart' | 'createRuntime' | 'createContainer' | 'startContainer' | 'poststart' | 'poststop';

/** Where a hook's records land, as the host sees it (inside the rootfs, so in-container hooks reach it too). */
const OUT_IN_ROOTFS = 'hooks-out';
/** A file only the container's root has: a hook that sees it runs after the root change. */
const MARKER = 'marker-in-rootfs';

/**
 * A hook recording what it sees: busybox run as `sh` (so argv[0] must be passed as configured:
 * busybox picks the applet from it), writing its namespace, stdin, env and argv to $OUT/<label>
 * (`sh -c script label second`: $0 is the label).
 */
function recordingHook(label: string, out: string, extraEnv: string[] = []): Hook {
  const script = [
    'exec >"$OUT/$0"',
    'echo "argv=$0 $1"',
    'echo "mnt=$(readlink /proc/self/ns/mnt)"',
    `if [ -e /${MARKER} ]; then echo root=container; else echo root=host; fi`,
    // Not PATH: busybox's sh sets a default one when the environment has none.
    'echo "home=${HOME-unset}"',
    'echo "hookvar=${HOOKVAR-unset}"',
    'echo "stdin=$(cat)"',
    'echo "$0" >>"$OUT/order"',
  ].join('\n');
  return { path: '/bin/busybox', args: ['sh', '-c', script, label, 'second'], env: [`OUT=${out}`, 'HOOKVAR=yes', ...extraEnv] };
}

function readRecord(dir: string, label: string): Record<string, string> {
  const text = fs.readFileSync(path.join(dir, label), 'utf8');
  return Object.fromEntries(text.trimEnd().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

function order(dir: string): string[] {
  const file = path.join(dir, 'order');
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n') : [];
}

function bundleWithHooks(args: string[], hooks: Partial<Record<Kind, Hook[]>>, edit?: (c: Config) => void) {
  const b = fx.bundle(args, (c) => {
    c.hooks = hooks;
    c.annotations = { 'org.example.hooks': 'yes' };
    // startContainer hooks write their records into the root.
    c.root.readonly = false;
    edit?.(c);
  });
  fs.mkdirSync(path.join(b.rootfs, OUT_IN_ROOTFS), { mode: 0o777 });
  fs.writeFileSync(path.join(b.rootfs, MARKER), '');
  return b;
}

/** The memory cgroup directory a container with the default cgroupsPath would get. */
function memoryCgroupOf(id: string): string {
  const line = fs.readFileSync('/proc/self/cgroup', 'utf8').split('\n').find((l) => /^\d+:memory:/.test(l));
  return path.join('/sys/fs/cgroup/memory', line ? line.split(':')[2] : '/', id);
}

/** A failed create: one error line matching `pattern`, no state, no cgroup, no state directory. */
function expectCreateFails(b: { dir: string }, pattern: RegExp): string {
  const id = fx.tsrun.track(uniqueId('hooks'));
  const r = fx.tsrun.cmd(['create', '-b', b.dir, id]);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(fx.tsrun.cmd(['state', id]).code).not.toBe(0);
  expect(fs.existsSync(path.join(fx.tsrun.root, id))).toBe(false);
  expect(fs.existsSync(memoryCgroupOf(id))).toBe(false);
  return r.stderr;
}

test('every kind runs once, in lifecycle order, in its namespace, with the state on stdin', () => {
  const b = bundleWithHooks(['true'], {});
  const out = path.join(b.rootfs, OUT_IN_ROOTFS);
  b.config.hooks = {
    prestart: [recordingHook('prestart', out)],
    createRuntime: [recordingHook('createRuntime', out)],
    createContainer: [recordingHook('createContainer', out)],
    startContainer: [recordingHook('startContainer', `/${OUT_IN_ROOTFS}`)],
    poststart: [recordingHook('poststart', out)],
    poststop: [recordingHook('poststop', out)],
  };
  b.save();
  const id = fx.tsrun.track(uniqueId('hooks'));
  const hostMnt = fs.readlinkSync('/proc/self/ns/mnt');

  const created = fx.tsrun.cmd(['create', '-b', b.dir, id]);
  expect(created.stderr).toBe('');
  expect(created.code).toBe(0);
  expect(order(out)).toEqual(['prestart', 'createRuntime', 'createContainer']);
  const pid = fx.tsrun.state(id).pid as number;
  const containerMnt = fs.readlinkSync(`/proc/${pid}/ns/mnt`);
  expect(containerMnt).not.toBe(hostMnt);

  const started = fx.tsrun.cmd(['start', id]);
  expect(started.stderr).toBe('');
  expect(started.code).toBe(0);
  for (let i = 0; i < 100 && processExists(pid); i++) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  expect(fx.tsrun.cmd(['delete', id]).code).toBe(0);
  expect(order(out)).toEqual(['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop']);

  const records = Object.fromEntries(
    (['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'] as const).map((k) => [k, readRecord(out, k)]),
  );
  // Namespaces: the runtime's for the runtime-namespace kinds, the container's for the other two.
  for (const k of ['prestart', 'createRuntime', 'poststart', 'poststop']) expect([k, records[k].mnt]).toEqual([k, hostMnt]);
  expect(records.createContainer.mnt).toBe(containerMnt);
  expect(records.startContainer.mnt).toBe(containerMnt);
  // Before the root change createContainer still sees the host's tree; startContainer runs after it.
  expect(records.createContainer.root).toBe('host');
  expect(records.startContainer.root).toBe('container');
  // argv and env exactly as configured: argv[0] "sh" picked the applet, nothing of tsrun's environment.
  for (const k of Object.keys(records)) {
    expect([k, records[k].argv]).toEqual([k, `${k} second`]);
    expect([k, records[k].home, records[k].hookvar]).toEqual([k, 'unset', 'yes']);
  }
  const state = (k: string) => JSON.parse(records[k].stdin);
  const common = { ociVersion: '1.3.0', id, bundle: b.dir, annotations: { 'org.example.hooks': 'yes' } };
  expect(state('prestart')).toEqual({ ...common, status: 'creating', pid });
  expect(state('createRuntime')).toEqual({ ...common, status: 'creating', pid });
  expect(state('createContainer')).toEqual({ ...common, status: 'creating', pid });
  expect(state('startContainer')).toEqual({ ...common, status: 'created', pid });
  expect(state('poststart')).toEqual({ ...common, status: 'running', pid });
  expect(state('poststop')).toEqual({ ...common, status: 'stopped' });
  // The keys in the order runc writes them.
  expect(Object.keys(state('createRuntime'))).toEqual(['ociVersion', 'id', 'status', 'pid', 'bundle', 'annotations']);
});

test('`run` runs the whole sequence and the poststop hooks after the container is deleted', () => {
  const b = bundleWithHooks(['true'], {});
  const out = path.join(b.rootfs, OUT_IN_ROOTFS);
  b.config.hooks = {
    createRuntime: [recordingHook('createRuntime', out)],
    startContainer: [recordingHook('startContainer', `/${OUT_IN_ROOTFS}`)],
    poststart: [recordingHook('poststart', out)],
    poststop: [recordingHook('poststop', out)],
  };
  b.save();
  const id = fx.tsrun.track(uniqueId('hooks'));
  const r = fx.tsrun.cmd(['run', '-b', b.dir, id]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(order(out)).toEqual(['createRuntime', 'startContainer', 'poststart', 'poststop']);
  expect(fx.tsrun.cmd(['state', id]).code).not.toBe(0);
});

describe.each(['prestart', 'createRuntime', 'createContainer'] as const)('a failing %s hook', (kind) => {
  test('fails create naming the hook and its exit status, and leaves nothing behind', () => {
    const b = bundleWithHooks(['true'], { [kind]: [{ path: '/bin/sh', args: ['sh', '-c', 'echo broken >&2; exit 3'] }] });
    expectCreateFails(b, new RegExp(`error running ${kind} hook #0 \\(/bin/sh\\): exit status 3, output: broken`));
  });
});

test.each(['createRuntime', 'createContainer'] as const)('a %s hook past its timeout is killed and fails create', (kind) => {
  const b = bundleWithHooks(['true'], { [kind]: [{ path: '/bin/sleep', args: ['sleep', '30'], timeout: 1 }] });
  const started = Date.now();
  expectCreateFails(b, new RegExp(`error running ${kind} hook #0 \\(/bin/sleep\\): ran past its timeout of 1s and was killed`));
  expect(Date.now() - started).toBeLessThan(10_000);
});

test('a later hook of a kind does not run after an earlier one failed', () => {
  const b = bundleWithHooks(['true'], {});
  const out = path.join(b.rootfs, OUT_IN_ROOTFS);
  b.config.hooks = { createRuntime: [{ path: '/bin/false' }, recordingHook('second', out)] };
  b.save();
  expectCreateFails(b, /error running createRuntime hook #0 \(\/bin\/false\): exit status 1/);
  expect(order(out)).toEqual([]);
});

test('a hook program that does not exist fails create before anything is made', () => {
  const b = bundleWithHooks(['true'], { poststop: [{ path: '/no/such/hook' }] });
  expectCreateFails(b, /hooks\.poststop\[0\]\.path: \/no\/such\/hook: no such file \(ENOENT\)/);
});

test('a relative hook path and a zero timeout are refused with their JSON path', () => {
  expectCreateFails(bundleWithHooks(['true'], { createRuntime: [{ path: 'bin/true' }] }), /hooks\.createRuntime\[0\]\.path: must be an absolute path/);
  expectCreateFails(bundleWithHooks(['true'], { createRuntime: [{ path: '/bin/true', timeout: 0 }] }), /hooks\.createRuntime\[0\]\.timeout: must be a positive number of seconds/);
});

test('a failing startContainer hook fails start, and the process never runs', () => {
  const b = bundleWithHooks(['touch', '/ran'], { startContainer: [{ path: '/bin/false' }] });
  const id = fx.tsrun.track(uniqueId('hooks'));
  expect(fx.tsrun.cmd(['create', '-b', b.dir, id]).code).toBe(0);
  const r = fx.tsrun.cmd(['start', id]);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/exited before running the process: a startContainer hook failed/);
  expect(fs.existsSync(path.join(b.rootfs, 'ran'))).toBe(false);
});

test('failing poststart and poststop hooks are warnings: start and delete succeed', () => {
  const b = bundleWithHooks(['true'], { poststart: [{ path: '/bin/false' }], poststop: [{ path: '/bin/false' }, { path: '/bin/true' }] });
  const id = fx.tsrun.track(uniqueId('hooks'));
  expect(fx.tsrun.cmd(['create', '-b', b.dir, id]).code).toBe(0);
  const started = fx.tsrun.cmd(['start', id]);
  expect(started.code).toBe(0);
  expect(started.stderr).toMatch(/level=warning msg="error running poststart hook #0 \(\/bin\/false\): exit status 1"/);
  const deleted = fx.tsrun.cmd(['delete', '--force', id]);
  expect(deleted.code).toBe(0);
  expect(deleted.stderr).toMatch(/level=warning msg="error running poststop hook #0 \(\/bin\/false\): exit status 1"/);
  expect(deleted.stderr).not.toMatch(/hook #1/);
  expect(fx.tsrun.cmd(['state', id]).code).not.toBe(0);
});

test('features lists every hook kind', () => {
  const r = fx.tsrun.cmd(['features']);
  expect(JSON.parse(r.stdout).hooks).toEqual(['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop']);
});

/**
 * The six hook kinds through tsrund's gRPC API, with the semantics conformance/cases/hooks*.ts
 * check for tsrun (each test is named after the case it mirrors): the order of the lifecycle,
 * the state document on stdin, a failing create-time hook failing Tasks.Create and leaving
 * nothing, a failing startContainer hook failing Tasks.Start, poststart and poststop failures
 * as warnings, timeouts, argv and environment. Hooks run on the host: they are /bin/sh scripts
 * writing beneath the test's bundle (startContainer, run inside the container, beneath its root).
 */
import * as fs from 'fs';
import * as path from 'path';
import { intendedCgroups } from '../../runtime/cgroups';
import { OCI_VERSION } from '../../spec/default-config';
import { GrpcStatus } from '../../supervisor/client/client';
import { makeBundle, type Bundle } from '../helpers/bundle';
import { alive, failure, TestDaemon, until } from './daemon';
import { useDaemon } from './fixtures';

jest.setTimeout(60_000);

const { daemon, c, bundle, remove } = useDaemon();

type Hook = { path: string; args?: string[]; env?: string[]; timeout?: number };
type HookKind = 'prestart' | 'createRuntime' | 'createContainer' | 'startContainer' | 'poststart' | 'poststop';
const ANNOTATIONS = { 'org.example.hooks': 'through tsrund' };

/** Saves its stdin to <dir>/<label>.json and appends its label to <dir>/hooks-order (`dir` as the hook sees it). */
function recordingHook(label: string, dir: string): Hook {
  return { path: '/bin/sh', args: ['sh', '-c', `cat >"${dir}/${label}.json"; echo ${label} >>"${dir}/hooks-order"`] };
}
const failingHook: Hook = { path: '/bin/false' };

/** A bundle running `args` with `hooks(rootfs)`, writable root, annotated; container `id` created from it. */
async function containerWithHooks(id: string, args: string[], hooks: (rootfs: string) => Partial<Record<HookKind, Hook[]>>): Promise<Bundle> {
  const b = bundle(args);
  b.config.root.readonly = false;
  b.config.annotations = ANNOTATIONS;
  b.config.hooks = hooks(b.rootfs);
  b.save();
  await c().createContainer({ id, bundle: b.dir });
  return b;
}

function order(b: Bundle): string[] {
  const file = path.join(b.rootfs, 'hooks-order');
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n') : [];
}

function stateSeen(b: Bundle, label: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(b.rootfs, `${label}.json`), 'utf8'));
}

/** Processes whose command line names `text` (a monitor names its task directory). */
function processesNaming(text: string): number[] {
  return fs
    .readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(text);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ESRCH') return false; // gone meanwhile
        throw err;
      }
    })
    .map(Number);
}

/** What a failed create might have left of task `id`: its directory, cgroups, monitor. */
function leftOf(id: string, state = daemon.state): string[] {
  const taskDir = path.join(state, 'tasks', id);
  const cgroups = intendedCgroups(id, `tsrund-${id}`).hierarchies.map((h) => h.dir);
  return [taskDir, ...cgroups].filter((p) => fs.existsSync(p)).concat(processesNaming(taskDir).map((pid) => `process ${pid}`));
}

test('hooks.order: all six kinds run once each, in the order of the lifecycle, each reading its state', async () => {
  const b = await containerWithHooks('h-order', ['true'], (rootfs) => ({
    prestart: [recordingHook('prestart', rootfs)],
    createRuntime: [recordingHook('createRuntime', rootfs)],
    createContainer: [recordingHook('createContainer', rootfs)],
    // Inside the container, after the root change: its root is the rootfs.
    startContainer: [recordingHook('startContainer', '')],
    poststart: [recordingHook('poststart', rootfs)],
    poststop: [recordingHook('poststop', rootfs)],
  }));
  const { pid } = await c().createTask('h-order');
  expect(order(b)).toEqual(['prestart', 'createRuntime', 'createContainer']);
  await c().startTask('h-order');
  // Start returns once the poststart hooks ran.
  expect(order(b)).toEqual(['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart']);
  await c().wait('h-order');
  await c().deleteTask('h-order');
  expect(order(b)).toEqual(['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop']);

  const common = { ociVersion: OCI_VERSION, id: 'h-order', bundle: b.dir, annotations: ANNOTATIONS };
  for (const kind of ['prestart', 'createRuntime', 'createContainer']) expect(stateSeen(b, kind)).toEqual({ ...common, status: 'creating', pid });
  expect(stateSeen(b, 'startContainer')).toEqual({ ...common, status: 'created', pid });
  expect(stateSeen(b, 'poststart')).toEqual({ ...common, status: 'running', pid });
  expect(stateSeen(b, 'poststop')).toEqual({ ...common, status: 'stopped' });
  await c().deleteContainer('h-order');
});

test('hooks.stdin-state: the pid a createRuntime hook reads is the task\'s, and the hook runs while the init waits in its namespaces', async () => {
  const b = await containerWithHooks('h-state', ['true'], (rootfs) => ({
    createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', `pid=$(sed 's/.*"pid":\\([0-9]*\\).*/\\1/'); readlink /proc/$pid/ns/mnt >"${rootfs}/init-mnt"; readlink /proc/self/ns/mnt >"${rootfs}/hook-mnt"`] }],
  }));
  const { pid } = await c().createTask('h-state');
  const read = (f: string) => fs.readFileSync(path.join(b.rootfs, f), 'utf8').trim();
  expect(read('init-mnt')).toBe(fs.readlinkSync(`/proc/${pid}/ns/mnt`));
  // The hook ran in the runtime's namespace (tsrund's, which TestDaemon holds apart from the machine's), not the container's.
  expect(read('hook-mnt')).toBe(fs.readlinkSync(`/proc/${daemon.proc!.pid}/ns/mnt`));
  expect(read('hook-mnt')).not.toBe(read('init-mnt'));
  await remove('h-state');
});

test.each<[string, HookKind]>([
  ['hooks.create-failure (prestart)', 'prestart'],
  ['hooks.create-failure (createRuntime)', 'createRuntime'],
  ['hooks.create-container-failure', 'createContainer'],
])('%s: a failing %s hook fails Tasks.Create and leaves nothing', async (_case, kind) => {
  const id = `h-fail-${kind.toLowerCase()}`;
  const b = await containerWithHooks(id, ['true'], (rootfs) => ({
    [kind]: [recordingHook(kind, rootfs), failingHook],
    poststop: [recordingHook('poststop', rootfs)],
  }));
  const failed = await failure(c().createTask(id));
  expect(failed?.code).toBe(GrpcStatus.FAILED_PRECONDITION);
  expect(failed?.details).toMatch(kind === 'createContainer' ? /createContainer hook #1/ : new RegExp(`error running ${kind} hook #1 \\(/bin/false\\): exit status 1`));
  // The init the hook saw is gone, and so is everything else of the task.
  const initPid = stateSeen(b, kind).pid as number;
  expect(initPid).toBeGreaterThan(1);
  expect(alive(initPid)).toBe(false);
  expect(leftOf(id)).toEqual([]);
  expect((await failure(c().getTask(id)))?.code).toBe(GrpcStatus.NOT_FOUND);
  // As tsrun: a create that failed runs no poststop hook.
  expect(order(b)).toEqual([kind]);
  await c().deleteContainer(id);
});

test('hooks.timeout: a createRuntime hook outliving its timeout is killed and fails the create, while tsrund answers other calls', async () => {
  await containerWithHooks('h-timeout', ['true'], () => ({ createRuntime: [{ path: '/bin/sleep', args: ['sleep', '10'], timeout: 3 }] }));
  const started = Date.now();
  const creating = failure(c().createTask('h-timeout'));
  await new Promise((r) => setTimeout(r, 500));
  // The hook runs without blocking tsrund's event loop (blocked, the answer would wait 2.5 s for the kill).
  const asked = Date.now();
  expect(await c().health()).toBe('SERVING');
  expect(Date.now() - asked).toBeLessThan(1500);
  const failed = await creating;
  expect(Date.now() - started).toBeLessThan(8000);
  expect(failed?.code).toBe(GrpcStatus.FAILED_PRECONDITION);
  expect(failed?.details).toContain('error running createRuntime hook #0 (/bin/sleep): ran past its timeout of 3s and was killed');
  expect(leftOf('h-timeout')).toEqual([]);
  await c().deleteContainer('h-timeout');
});

test('hooks.path-relative and a missing program: refused before anything is made', async () => {
  const b = bundle(['true']);
  b.config.hooks = { poststop: [{ path: 'bin/true' }] };
  b.save();
  const relative = await failure(c().createContainer({ id: 'h-relative', bundle: b.dir }));
  expect(relative?.code).toBe(GrpcStatus.INVALID_ARGUMENT);
  expect(relative?.details).toContain('hooks.poststop[0].path');

  await containerWithHooks('h-missing', ['true'], () => ({ prestart: [{ path: '/no/such/hook' }] }));
  const missing = await failure(c().createTask('h-missing'));
  expect(missing?.code).toBe(GrpcStatus.FAILED_PRECONDITION);
  expect(missing?.details).toContain('hooks.prestart[0].path: /no/such/hook: no such file (ENOENT)');
  expect(leftOf('h-missing')).toEqual([]);
  await c().deleteContainer('h-missing');
});

test('a failing startContainer hook fails Tasks.Start and stops the task; delete then runs the poststop hooks', async () => {
  const b = await containerWithHooks('h-start', ['sleep', '30'], (rootfs) => ({
    startContainer: [{ path: '/bin/false' }],
    poststart: [recordingHook('poststart', rootfs)],
    poststop: [recordingHook('poststop', rootfs)],
  }));
  const { pid } = await c().createTask('h-start');
  const failed = await failure(c().startTask('h-start'));
  expect(failed?.code).toBe(GrpcStatus.FAILED_PRECONDITION);
  expect(failed?.details).toMatch(/the init exited before start \(a startContainer hook failed/);
  await until(async () => (await c().getTask('h-start')).status === 'STOPPED');
  // The init said why on its stderr: the task's log.
  const log: string[] = [];
  for await (const e of c().logs('h-start')) log.push(e.text);
  expect(log.join('\n')).toMatch(/startContainer hook \/bin\/false \(hook 0, exitStatus 1\)/);
  expect(alive(pid)).toBe(false);
  await c().deleteTask('h-start');
  expect(order(b)).toEqual(['poststop']);
  expect(leftOf('h-start')).toEqual([]);
  await c().deleteContainer('h-start');
});

test('hooks.poststart-after-exec and hooks.poststart-failure-continues: poststart runs on the user program; a failure is a warning', async () => {
  const b = await containerWithHooks('h-poststart', ['sleep', '30'], (rootfs) => ({
    poststart: [
      failingHook,
      { path: '/bin/sh', args: ['sh', '-c', `pid=$(sed 's/.*"pid":\\([0-9]*\\).*/\\1/'); stat -L -c %i /proc/$pid/exe >"${rootfs}/poststart-exe"`] },
    ],
  }));
  await c().createTask('h-poststart');
  await c().startTask('h-poststart');
  const program = String(fs.statSync(path.join(b.rootfs, 'bin', 'busybox')).ino);
  expect(fs.readFileSync(path.join(b.rootfs, 'poststart-exe'), 'utf8').trim()).toBe(program);
  expect((await c().getTask('h-poststart')).status).toBe('RUNNING');
  expect(daemon.stderr).toContain('task h-poststart: error running poststart hook #0 (/bin/false): exit status 1');
  await remove('h-poststart');
});

test('hooks.poststop-failure-continues: a failing poststop hook is a warning, the next runs and the delete completes', async () => {
  const b = await containerWithHooks('h-poststop', ['true'], (rootfs) => ({ poststop: [failingHook, recordingHook('poststop', rootfs)] }));
  await c().createTask('h-poststop');
  await c().startTask('h-poststop');
  await c().wait('h-poststop');
  await c().deleteTask('h-poststop');
  expect(order(b)).toEqual(['poststop']);
  expect(daemon.stderr).toContain('task h-poststop: error running poststop hook #0 (/bin/false): exit status 1');
  expect((await failure(c().getTask('h-poststop')))?.code).toBe(GrpcStatus.NOT_FOUND);
  expect(leftOf('h-poststop')).toEqual([]);
  await c().deleteContainer('h-poststop');
});

test('hooks.args-env: a runtime-namespace hook runs with exactly its args (argv[0] included) and env', async () => {
  const script = 'tr "\\0" "\\n" </proc/$$/cmdline >"$OUT.args"; env >"$OUT.env"';
  const b = await containerWithHooks('h-args', ['true'], (rootfs) => ({
    createRuntime: [{ path: '/bin/sh', args: ['conf-sh', '-c', script, 'zero', 'one two'], env: ['CONF_HOOK=a b', `OUT=${rootfs}/hook`] }],
  }));
  await c().createTask('h-args');
  const read = (suffix: string) => fs.readFileSync(path.join(b.rootfs, `hook.${suffix}`), 'utf8').split('\n').filter(Boolean);
  expect(read('args')).toEqual(['conf-sh', '-c', script, 'zero', 'one two']);
  // The shell itself may add PWD, OLDPWD, SHLVL and _.
  expect(read('env').filter((e) => !/^(PWD|OLDPWD|SHLVL|_)=/.test(e)).sort()).toEqual(['CONF_HOOK=a b', `OUT=${b.rootfs}/hook`]);
  await remove('h-args');
});

test('tsrund killed while a createRuntime hook runs: the monitor undoes the start, the restarted tsrund removes the task', async () => {
  const own = new TestDaemon();
  const b = makeBundle(['true']);
  try {
    await own.start();
    b.config.hooks = { createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', `cat >"${b.dir}/state.json"; sleep 1; echo done >"${b.dir}/hook-done"`] }] };
    b.save();
    await own.client.createContainer({ id: 'h-killed', bundle: b.dir });
    void own.client.createTask('h-killed').catch(() => undefined);
    await until(() => fs.existsSync(path.join(b.dir, 'state.json')) && fs.statSync(path.join(b.dir, 'state.json')).size > 0);
    const initPid = JSON.parse(fs.readFileSync(path.join(b.dir, 'state.json'), 'utf8')).pid as number;
    await own.signal('SIGKILL');
    // The monitor read EOF where tsrund's answer was due: it killed the init and left.
    await until(() => !alive(initPid) && processesNaming(path.join(own.state, 'tasks', 'h-killed')).length === 0);
    await own.start();
    await until(() => leftOf('h-killed', own.state).length === 0);
    expect((await failure(own.client.getTask('h-killed')))?.code).toBe(GrpcStatus.NOT_FOUND);
    // The hook itself (tsrund's child) finishes on its own.
    await until(() => fs.existsSync(path.join(b.dir, 'hook-done')));
  } finally {
    await own.cleanup();
    b.cleanup();
  }
});

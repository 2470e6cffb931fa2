import { buildInitPlan } from './build';
import { FAILURE_REASONS, type FailurePhase, type FailureReason } from './failure-record';
import { renderFailure, renderRecord } from './render-failure';
import { baseSpec, indexOf, specWith, testContext } from '../../test/helpers/plan-context';
import { CREATE_MODES } from './rootfs';
import type { InitPlan, InitStep, PlanFailure } from './types';

const ctx = testContext();

/** The record C reports: `call` is the failed call ("<syscall> <path>") and any extra fields. */
type Call = Partial<PlanFailure> | string;

function failure(phase: FailurePhase, step: number, code: string, call: Call, errno = 1): PlanFailure {
  const fields = typeof call === 'string' ? callOf(call) : call;
  return { phase, step, errno, code, syscall: '', path: '', ...fields };
}

function callOf(call: string): Partial<PlanFailure> {
  const space = call.indexOf(' ');
  return space < 0 ? { syscall: call } : { syscall: call.slice(0, space), path: call.slice(space + 1) };
}

/** The failure of the first init step matching `pred`. */
function initFailure(plan: InitPlan, pred: (s: InitStep) => boolean, code: string, call: Call): PlanFailure {
  const step = indexOf(plan, pred);
  expect(step).toBeGreaterThanOrEqual(0);
  return failure('init', step, code, call);
}

describe('renderFailure', () => {
  const plan = buildInitPlan(baseSpec(), ctx);

  test('a mount in the root names source, target and rootfs', () => {
    const f = initFailure(plan, (s) => s.op === 'mount' && s.target === '/proc', 'EPERM', 'mount /proc');
    expect(renderFailure(plan, f, ctx)).toBe('mount proc on /proc (rootfs /tmp/b/rootfs): EPERM (Operation not permitted)');
  });

  test('the filesystem type is named when the source does not say it', () => {
    const f = initFailure(plan, (s) => s.op === 'mount' && s.target === '/dev/shm', 'ENOMEM', 'mount /dev/shm');
    expect(renderFailure(plan, f, ctx)).toBe('mount shm on /dev/shm type tmpfs (rootfs /tmp/b/rootfs): ENOMEM (Cannot allocate memory)');
  });

  test('a detail about something else than the target is kept', () => {
    const f = initFailure(plan, (s) => s.op === 'mount' && s.target === '/dev/pts', 'EROFS', 'mkdirat dev/pts');
    expect(renderFailure(plan, f, ctx)).toBe('mount devpts on /dev/pts (rootfs /tmp/b/rootfs): mkdirat dev/pts: EROFS (Read-only file system)');
    const g = initFailure(plan, (s) => s.op === 'mount' && s.target === '/dev/pts', 'ENOTDIR', 'openat2 dev');
    expect(renderFailure(plan, g, ctx)).toBe('mount devpts on /dev/pts (rootfs /tmp/b/rootfs): openat2 dev: ENOTDIR (Not a directory)');
  });

  test('a tmpcopyup mount says so, and the copy names the entry it failed on', () => {
    const copyUp = buildInitPlan(specWith((s) => s.mounts.push({ destination: '/etc', type: 'tmpfs', source: 'tmpfs', options: ['tmpcopyup'] })), ctx);
    const f = initFailure(copyUp, (s) => s.op === 'mount' && s.target === '/etc', 'EINVAL', { reason: 'copyUp', syscall: 'fchownat', path: '/etc/shadow' });
    expect(renderFailure(copyUp, f, ctx)).toBe(
      'mount tmpfs on /etc with tmpcopyup (rootfs /tmp/b/rootfs): copy-up fchownat /etc/shadow: EINVAL (Invalid argument)',
    );
  });

  test('bind mounts and remounts', () => {
    const withBind = buildInitPlan(specWith((s) => s.mounts.push({ destination: '/data', source: '/srv/data', options: ['rbind', 'ro'] })), ctx);
    const bind = initFailure(withBind, (s) => s.op === 'mount' && s.target === '/data', 'ENOENT', 'mount /data');
    expect(renderFailure(withBind, bind, ctx)).toBe('rbind mount /srv/data on /data (rootfs /tmp/b/rootfs): ENOENT (No such file or directory)');
    const remount = { ...bind, step: bind.step + 1 };
    expect(renderFailure(withBind, remount, ctx)).toBe('remount /data read-only (rootfs /tmp/b/rootfs): ENOENT (No such file or directory)');
  });

  test('a mount after the root change is on a container path', () => {
    const f = initFailure(plan, (s) => s.op === 'mount' && s.target === '/proc/sys' && s.source === null, 'EPERM', 'mount /proc/sys');
    expect(renderFailure(plan, f, ctx)).toBe('remount /proc/sys read-only (rootfs /tmp/b/rootfs): EPERM (Operation not permitted)');
  });

  test('the propagation change of / before the root bind is no container path', () => {
    const f = initFailure(plan, (s) => s.op === 'mount' && s.target === '/', 'EINVAL', 'mount /');
    expect(renderFailure(plan, f, ctx)).toBe('make / rprivate: EINVAL (Invalid argument)');
  });

  test('device nodes and symlinks', () => {
    const mknod = initFailure(plan, (s) => s.op === 'mknod', 'EPERM', 'mknodat /dev/null');
    expect(renderFailure(plan, mknod, ctx)).toBe('mknod /dev/null (rootfs /tmp/b/rootfs): EPERM (Operation not permitted)');
    const link = initFailure(plan, (s) => s.op === 'symlink' && s.target === '/dev/fd', 'EROFS', 'symlinkat /dev/fd');
    expect(renderFailure(plan, link, ctx)).toBe('symlink /dev/fd -> /proc/self/fd (rootfs /tmp/b/rootfs): EROFS (Read-only file system)');
  });

  test('setns names the namespace file', () => {
    const joined = buildInitPlan(specWith((s) => (s.linux.namespaces[1] = { type: 'network', path: '/proc/123/ns/net' })), ctx);
    expect(renderFailure(joined, failure('stage1', 0, 'EINVAL', 'setns /proc/123/ns/net', 22), ctx)).toBe(
      'setns /proc/123/ns/net: EINVAL (Invalid argument)',
    );
  });

  test('the parent writing a cgroup.procs file', () => {
    const ctx2 = testContext({ cgroup: { procsFiles: ['/sys/fs/cgroup/memory/x/cgroup.procs'], hierarchies: [] } });
    const p = buildInitPlan(baseSpec(), ctx2);
    expect(renderFailure(p, failure('parent', 0, 'ENOSPC', 'write /sys/fs/cgroup/memory/x/cgroup.procs', 28), ctx2)).toBe(
      'write /sys/fs/cgroup/memory/x/cgroup.procs: ENOSPC (No space left on device)',
    );
  });

  test('the parent writing an id map', () => {
    const spec = specWith((s) => {
      s.linux.namespaces.push({ type: 'user' });
      s.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      s.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    });
    const p = buildInitPlan(spec, ctx);
    const step = p.parent.findIndex((s) => s.op === 'writeProcFile' && s.name === 'uid_map');
    expect(renderFailure(p, failure('parent', step, 'EPERM', 'write uid_map'), ctx)).toBe(
      'write uid_map of the container init "0 100000 65536": EPERM (Operation not permitted)',
    );
  });

  test('process steps', () => {
    const user = initFailure(plan, (s) => s.op === 'setUser', 'EINVAL', { syscall: 'setresuid', value: 0 });
    expect(renderFailure(plan, user, ctx)).toBe('set user 0:0: setresuid 0: EINVAL (Invalid argument)');
    const chdir = initFailure(plan, (s) => s.op === 'chdir', 'ENOENT', 'chdir /');
    expect(renderFailure(plan, chdir, ctx)).toBe('chdir / (rootfs /tmp/b/rootfs): ENOENT (No such file or directory)');
  });

  test('a limit set after READY carries what init says when setrlimit fails: the limit and its config field', () => {
    const spec = specWith((s) => s.process.rlimits.push({ type: 'RLIMIT_MEMLOCK', soft: 0, hard: 65536 }));
    expect(buildInitPlan(spec, ctx).exec.rlimits?.map((r) => r.message)).toEqual([
      'setrlimit RLIMIT_NOFILE (soft 1024, hard 1024) of process.rlimits[0]',
      'setrlimit RLIMIT_MEMLOCK (soft 0, hard 65536) of process.rlimits[1]',
    ]);
  });

  test('a command not found in $PATH, in runc words', () => {
    expect(renderFailure(plan, failure('exec', 0, 'ENOENT', 'exec sh', 2), ctx)).toBe('exec: "sh": executable file not found in $PATH');
  });

  test('a command given by path that is missing or not executable', () => {
    const byPath = buildInitPlan(specWith((s) => (s.process.args = ['/bin/foo'])), ctx);
    expect(renderFailure(byPath, failure('exec', 0, 'ENOENT', 'exec /bin/foo', 2), ctx)).toBe('exec: "/bin/foo": ENOENT (No such file or directory)');
    expect(renderFailure(byPath, failure('exec', 0, 'EACCES', 'exec /bin/foo', 13), ctx)).toBe('exec: "/bin/foo": EACCES (Permission denied)');
  });

  test('a failure while preparing the exec', () => {
    expect(renderFailure(plan, failure('exec', 0, 'EINVAL', 'close_range', 22), ctx)).toBe('prepare exec of "sh": close_range: EINVAL (Invalid argument)');
  });

  test('a cgroup join names the cgroup; a clone into one names it too', () => {
    const f = initFailure(plan, (s) => s.op === 'joinCgroup', 'ENOSPC', 'write /sys/fs/cgroup/memory/tsrun/c1/tasks');
    expect(renderFailure(plan, f, ctx)).toBe('join the cgroup /sys/fs/cgroup/memory/tsrun/c1: ENOSPC (No space left on device)');
    const atStage1 = failure('stage1', 4294967295, 'EBUSY', 'clone3(CLONE_INTO_CGROUP) /sys/fs/cgroup/unified/tsrun/c1', 16);
    expect(renderFailure(plan, atStage1, ctx)).toBe('clone3(CLONE_INTO_CGROUP) /sys/fs/cgroup/unified/tsrun/c1: EBUSY (Device or resource busy)');
  });

  test('a failure outside any step says what failed', () => {
    expect(renderFailure(plan, failure('stage1', 4294967295, 'ENOSPC', 'clone init', 28), ctx)).toBe('clone init: ENOSPC (No space left on device)');
  });

  test('a sysctl write names its config entry; process attributes name theirs and their values', () => {
    const extras = buildInitPlan(
      specWith((s) => {
        s.linux.sysctl = { 'net.ipv4.nonexistent': '1' };
        s.linux.personality = { domain: 'LINUX32' };
        s.process.scheduler = { policy: 'SCHED_FIFO', priority: 50 };
        s.process.ioPriority = { class: 'IOPRIO_CLASS_RT', priority: 4 };
        s.linux.memoryPolicy = { mode: 'MPOL_BIND', nodes: '0-1' };
      }),
      ctx,
    );
    const render = (op: InitStep['op'], code: string, call: string) => renderFailure(extras, initFailure(extras, (s) => s.op === op, code, call), ctx);
    expect(render('writeFile', 'ENOENT', 'open /proc/sys/net/ipv4/nonexistent')).toBe(
      'linux.sysctl["net.ipv4.nonexistent"]: write /proc/sys/net/ipv4/nonexistent: ENOENT (No such file or directory)',
    );
    expect(render('personality', 'EINVAL', 'personality')).toBe('set the execution domain of linux.personality (LINUX32): personality: EINVAL (Invalid argument)');
    expect(render('scheduler', 'EPERM', 'sched_setattr')).toBe(
      'set the scheduler of process.scheduler (SCHED_FIFO, priority 50, nice 0): sched_setattr: EPERM (Operation not permitted)',
    );
    expect(render('ioPriority', 'EPERM', 'ioprio_set')).toBe(
      'set the I/O priority of process.ioPriority (IOPRIO_CLASS_RT, level 4): ioprio_set: EPERM (Operation not permitted)',
    );
    expect(render('memoryPolicy', 'EINVAL', 'set_mempolicy')).toBe(
      'set the NUMA memory policy of linux.memoryPolicy (mode 2, nodes 0,1): set_mempolicy: EINVAL (Invalid argument)',
    );
  });

  test('recursive mount attributes name the attributes, the mount and the rootfs', () => {
    const rro = buildInitPlan(specWith((s) => s.mounts.push({ destination: '/data', source: '/srv/data', options: ['rbind', 'rro', 'rnosuid', 'rnoatime'] })), ctx);
    const f = initFailure(rro, (s) => s.op === 'mountSetattr', 'EPERM', 'mount_setattr /data');
    expect(renderFailure(rro, f, ctx)).toBe(
      'set recursive mount attributes ro,nosuid,noatime on /data and the mounts below it (rootfs /tmp/b/rootfs): EPERM (Operation not permitted)',
    );
    const g = initFailure(rro, (s) => s.op === 'mountSetattr', 'ENOENT', 'openat2 data');
    expect(renderFailure(rro, g, ctx)).toMatch(/ on \/data and the mounts below it \(rootfs \/tmp\/b\/rootfs\): openat2 data: ENOENT/);
  });

  test('a CPU affinity names its config field and the CPU the kernel left out', () => {
    const plan: InitPlan = {
      stage1: [{ op: 'setAffinity', cpus: [0], purpose: 'process.execCPUAffinity.initial' }],
      cloneFlags: 0,
      parent: [],
      init: [{ op: 'setAffinity', cpus: [1, 5], purpose: 'process.execCPUAffinity.final' }],
      createModes: CREATE_MODES,
      exec: { args: ['true'], env: [], searchPath: '', preserveFds: 0, fifo: null, exitSignals: [] },
    };
    const detail = 'sched_setaffinity: CPU 5 is not available (the host lacks it, it is offline, or the cpuset excludes it)';
    expect(renderFailure(plan, failure('init', 0, 'EINVAL', { reason: 'cpuUnavailable', syscall: 'sched_setaffinity', value: 5 }), ctx)).toBe(
      `process.execCPUAffinity.final: set the CPU affinity to CPUs 1,5: ${detail}: EINVAL (Invalid argument)`,
    );
    expect(renderFailure(plan, failure('stage1', 0, 'EINVAL', 'sched_setaffinity'), ctx)).toBe(
      'process.execCPUAffinity.initial: set the CPU affinity to CPUs 0: sched_setaffinity: EINVAL (Invalid argument)',
    );
  });

  test('an errno without a known text keeps its name', () => {
    const f = initFailure(plan, (s) => s.op === 'pivotRoot', 'ENOLINK', 'pivot_root .');
    expect(renderFailure(plan, f, ctx)).toBe('pivot_root to /tmp/b/rootfs: pivot_root .: ENOLINK');
  });
});

describe('every failure record the executor can send renders as one line naming its call and errno', () => {
  const plan = buildInitPlan(baseSpec(), ctx);
  const mountAt = indexOf(plan, (s) => s.op === 'mount' && s.target === '/proc');
  const reasons: (FailureReason | undefined)[] = [undefined, ...FAILURE_REASONS];
  const records = reasons.flatMap((reason) =>
    (['init', 'monitor', 'release'] as const).flatMap((phase) =>
      // A number always: the reasons that word one (a CPU, a pid, a size) come with it from C.
      [{}, { path2: '/from/here' }, { exitStatus: 3 }, { signal: 9 }].map((extra) => ({
        ...failure(phase, phase === 'init' ? mountAt : -1, 'EPERM', { syscall: 'somecall', path: '/some/path', value: 7, ...extra }),
        ...(reason ? { reason } : {}),
      })),
    ),
  );

  test.each(records.map((r) => [r.reason ?? 'no reason', r.phase, JSON.stringify(r), r] as const))('%s, %s: %s', (_reason, _phase, _json, record) => {
    const line = renderFailure(plan, record, ctx);
    expect(line).not.toMatch(/\n|undefined|NaN|\s\s|^\s|\s$/);
    expect(line).toContain('somecall');
    expect(line).toContain('/some/path');
    expect(line).toContain('EPERM (Operation not permitted)');
  });

  test.each(reasons.map((reason) => [reason ?? 'no reason', reason] as const))('%s without syscall or path still says something', (_name, reason) => {
    const line = renderRecord({ ...failure('monitor', -1, 'EINVAL', {}), ...(reason ? { reason } : {}), value: 1 });
    expect(line).not.toMatch(/\n|undefined|NaN|\s\s|^\s|\s$|^:/);
    expect(line).toMatch(/EINVAL \(Invalid argument\)$/);
  });
});

describe('hook failures name the hook and how it ended', () => {
  const plan = buildInitPlan(
    specWith((s) => (s.hooks = { createContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'exit 3'] }] })),
    ctx,
  );
  const at = indexOf(plan, (s) => s.op === 'runHooks');
  const hookFailure = (fields: Partial<PlanFailure>, code = '', errno = 0) => failure('init', at, code, { path: '/bin/sh', hook: 0, ...fields }, errno);

  test.each([
    [{ exitStatus: 3, output: 'broken\n' }, 'exit status 3, output: broken'],
    [{ signal: 9 }, 'killed by signal 9'],
    [{ timeout: 1, output: 'a\n b\n' }, 'ran past its timeout of 1s and was killed, output: a b'],
  ] as const)('%j', (fields, how) => {
    expect(renderFailure(plan, hookFailure(fields), ctx)).toBe(`error running createContainer hook #0 (/bin/sh): ${how}`);
  });

  test('a call of the runner, or the hook that could not be executed, says its errno', () => {
    expect(renderFailure(plan, hookFailure({ syscall: 'execve' }, 'ENOENT', 2), ctx)).toBe(
      'error running createContainer hook #0 (/bin/sh): execve: ENOENT (No such file or directory)',
    );
  });
});

import { defaultSpec } from '../../spec/default-config';
import type { Process } from '../../spec/types';
import { buildInitPlan } from './build';
import { buildExecPlan, execCgroupProcsFiles, execProcess, ExecOverrides, ExecPlanContext } from './exec-plan';
import { CLONE_NEWIPC, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUSER } from './linux';
import { HYBRID_HIERARCHIES, testContext } from '../../test/helpers/plan-context';

function context(overrides: Partial<ExecPlanContext> = {}): ExecPlanContext {
  return {
    lastCap: 40,
    inheritedNofile: null,
    preserveFds: 0,
    namespaces: [
      { type: 'pid', path: '/proc/42/ns/pid' },
      { type: 'mount', path: '/proc/42/ns/mnt' },
      { type: 'user', path: '/proc/42/ns/user' },
      { type: 'ipc', path: '/proc/42/ns/ipc' },
    ],
    cgroupProcsFiles: ['/sys/fs/cgroup/memory/tsrun/c1/cgroup.procs', '/sys/fs/cgroup/unified/tsrun/c1/cgroup.procs'],
    containerRoot: '/proc/42/root',
    agent: { state: { ociVersion: '1.3.0', id: 'c1', status: 'running', bundle: '/b' }, containerPid: 42 },
    ...overrides,
  };
}

function processOf(edit?: (p: Process) => void): Process {
  const proc: Process = { ...defaultSpec().process, terminal: false, args: ['id'] };
  edit?.(proc);
  return proc;
}

const NO_OVERRIDES: ExecOverrides = { args: ['ps'], env: [], additionalGids: [], caps: [] };

describe('buildExecPlan', () => {
  test('joins the namespaces (the user namespace first), makes none, joins the cgroups, mounts nothing', () => {
    const plan = buildExecPlan(processOf(), defaultSpec(), context());
    expect(plan.stage1).toEqual([
      { op: 'setns', nstype: CLONE_NEWUSER, path: '/proc/42/ns/user' },
      { op: 'setns', nstype: CLONE_NEWIPC, path: '/proc/42/ns/ipc' },
      { op: 'setns', nstype: CLONE_NEWPID, path: '/proc/42/ns/pid' },
      { op: 'setns', nstype: CLONE_NEWNS, path: '/proc/42/ns/mnt' },
    ]);
    expect(plan.cloneFlags).toBe(0);
    expect(plan.parent).toEqual([
      { op: 'writePid', path: '/sys/fs/cgroup/memory/tsrun/c1/cgroup.procs' },
      { op: 'writePid', path: '/sys/fs/cgroup/unified/tsrun/c1/cgroup.procs' },
    ]);
    const ops = plan.init.map((s) => s.op);
    expect(ops).not.toContain('mount');
    expect(ops).not.toContain('pivotRoot');
    expect(ops).toEqual(['joinSessionKeyring', 'chdir', 'umask', 'dropBounding', 'setUser', 'setCaps', 'noNewPrivs']);
    expect(plan.exec).toMatchObject({ args: ['id'], fifo: null, preserveFds: 0 });
  });

  test('without the container mount namespace to join there is no exec', () => {
    const ctx = context({ namespaces: [{ type: 'pid', path: '/proc/42/ns/pid' }] });
    expect(() => buildExecPlan(processOf(), defaultSpec(), ctx)).toThrow('the container has no mount namespace of its own to exec in');
  });

  test.each([
    ['no mount namespace', undefined],
    ['a joined mount namespace', '/run/ns/mnt'],
  ])("a container with %s: the process chroots into the init's root first, like the init", (_what, joined) => {
    const spec = defaultSpec();
    spec.linux.namespaces = spec.linux.namespaces.filter((n) => n.type !== 'mount');
    if (joined) spec.linux.namespaces.push({ type: 'mount', path: joined });
    const namespaces = context().namespaces.filter((n) => joined || n.type !== 'mount');
    const plan = buildExecPlan(processOf(), spec, context({ namespaces }));
    expect(plan.init.slice(1, 3)).toEqual([{ op: 'openRoot', path: '/proc/42/root' }, { op: 'chrootRoot' }]);
  });

  test("the process joins the container's session keyring by name, adding no permission; none with --no-new-keyring", () => {
    const keyring = (over: Partial<ExecPlanContext>) => buildExecPlan(processOf(), defaultSpec(), context(over)).init.filter((s) => s.op === 'joinSessionKeyring');
    expect(keyring({ containerId: 'c1' })).toEqual([{ op: 'joinSessionKeyring', name: '_ses.c1', permSet: 0 }]);
    expect(keyring({ containerId: 'c1', noNewKeyring: true })).toEqual([]);
  });

  test("the container's seccomp filter applies, loaded right before execve with or without no_new_privs", () => {
    const spec = defaultSpec();
    spec.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] };
    const nnp = buildExecPlan(processOf(), spec, context());
    expect(nnp.exec.seccomp).toMatchObject({ op: 'seccomp', rules: [{ syscall: 'mkdir' }] });
    expect(nnp.init.map((s) => s.op)).not.toContain('seccomp');
    const privileged = buildExecPlan(processOf((p) => (p.noNewPrivileges = false)), spec, context());
    expect(privileged.exec.seccomp).toEqual(nnp.exec.seccomp);
    expect(privileged.init.map((s) => s.op)).not.toContain('seccomp');
  });

  test('a terminal is the first step after the keyring, not bound to /dev/console; oomScoreAdj precedes the joins', () => {
    const proc = processOf((p) => {
      p.terminal = true;
      p.oomScoreAdj = 100;
    });
    const plan = buildExecPlan(proc, defaultSpec(), context({ consoleSocket: 12 }));
    expect(plan.init[1]).toEqual({ op: 'console', socketFd: 12, uid: 0, width: 0, height: 0, mountConsole: false });
    expect(plan.stage1[0]).toEqual({ op: 'writeFile', path: '/proc/self/oom_score_adj', data: '100' });
    expect(() => buildExecPlan(proc, defaultSpec(), context())).toThrow('process.terminal');
  });

  test('execCPUAffinity: initial first of all in stage1, final after the cgroup join and before credentials (and seccomp, at exec)', () => {
    const spec = defaultSpec();
    spec.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] };
    const proc = processOf((p) => {
      p.oomScoreAdj = 100;
      p.noNewPrivileges = false;
      p.execCPUAffinity = { initial: '0', final: '1,3-4' };
    });
    const plan = buildExecPlan(proc, spec, context());
    expect(plan.stage1[0]).toEqual({ op: 'setAffinity', cpus: [0], purpose: 'process.execCPUAffinity.initial' });
    const ops = plan.init.map((s) => s.op);
    const final = ops.indexOf('setAffinity');
    expect(plan.init[final]).toEqual({ op: 'setAffinity', cpus: [1, 3, 4], purpose: 'process.execCPUAffinity.final' });
    expect(plan.exec.seccomp).toMatchObject({ op: 'seccomp' });
    expect(final).toBeLessThan(ops.indexOf('setUser'));
    expect(plan.parent.map((s) => s.op)).toEqual(['writePid', 'writePid']);
  });

  test('execCPUAffinity is not applied to the container init (the spec: "not applicable to the container\'s init process")', () => {
    const spec = defaultSpec();
    spec.process.terminal = false;
    spec.process.execCPUAffinity = { initial: '0', final: '1' };
    const plan = buildInitPlan(spec, testContext());
    expect([...plan.stage1, ...plan.init].map((s) => s.op)).not.toContain('setAffinity');
  });

  test('a bad execCPUAffinity list is refused naming the field', () => {
    const proc = processOf((p) => (p.execCPUAffinity = { final: '3-1' }));
    expect(() => buildExecPlan(proc, defaultSpec(), context())).toThrow(/^process\.execCPUAffinity\.final: "3-1": the range 3-1 runs backwards/);
  });

  test('the process is checked as the container process is', () => {
    expect(() => buildExecPlan(processOf((p) => (p.args = [])), defaultSpec(), context())).toThrow('process.args: must not be empty');
    expect(() => buildExecPlan(processOf((p) => (p.cwd = 'tmp')), defaultSpec(), context())).toThrow('process.cwd: must be an absolute path');
  });
});

describe('execProcess (the flags of tsrun exec over the container process)', () => {
  const base = (): Process => ({ ...defaultSpec().process, terminal: true });

  test('args replace, env appends, the terminal is off unless asked for, the rest is the container\'s', () => {
    const proc = execProcess(base(), { ...NO_OVERRIDES, env: ['A=1'] });
    expect(proc.args).toEqual(['ps']);
    expect(proc.env).toEqual([...defaultSpec().process.env, 'A=1']);
    expect(proc.terminal).toBe(false);
    expect(proc.cwd).toBe('/');
    expect(proc.noNewPrivileges).toBe(true);
    expect(execProcess(base(), { ...NO_OVERRIDES, tty: true }).terminal).toBe(true);
  });

  test('--user uid[:gid], --additional-gids, --cwd, --no-new-privs, --cap on every set', () => {
    const proc = execProcess(base(), {
      ...NO_OVERRIDES,
      user: '1000:1001',
      additionalGids: [44, 55],
      cwd: '/tmp',
      noNewPrivs: false,
      caps: ['CAP_SYS_ADMIN'],
    });
    expect(proc.user).toEqual({ uid: 1000, gid: 1001, additionalGids: [44, 55] });
    expect(proc.cwd).toBe('/tmp');
    expect(proc.noNewPrivileges).toBe(false);
    for (const set of ['bounding', 'effective', 'inheritable', 'permitted', 'ambient'] as const) {
      expect(proc.capabilities?.[set]).toContain('CAP_SYS_ADMIN');
    }
    expect(execProcess(base(), { ...NO_OVERRIDES, user: '7' }).user).toEqual({ uid: 7, gid: 0 });
  });

  test("bad ids are refused with runc's messages; the container's process is left as it was", () => {
    const container = base();
    expect(() => execProcess(container, { ...NO_OVERRIDES, user: '1000:abc' })).toThrow('parsing abc as int for gid failed');
    expect(() => execProcess(container, { ...NO_OVERRIDES, additionalGids: [-5] })).toThrow('additional-gids must be a positive number -5');
    execProcess(container, { ...NO_OVERRIDES, env: ['X=1'], caps: ['CAP_CHOWN'] });
    expect(container).toEqual({ ...defaultSpec().process, terminal: true });
  });
});

describe('execCgroupProcsFiles (--cgroup)', () => {
  const placement = testContext().cgroup;

  test("none: the container's cgroup in every hierarchy", () => {
    expect(execCgroupProcsFiles(placement, [])).toEqual(placement.procsFiles);
  });

  test('a path for all hierarchies, or per controller', () => {
    expect(execCgroupProcsFiles(placement, ['sub'])).toEqual(HYBRID_HIERARCHIES.map((h) => `${h.mountpoint}${h.path}/sub/cgroup.procs`));
    expect(execCgroupProcsFiles(placement, ['memory,cpu:a/b'])).toEqual([
      '/sys/fs/cgroup/memory/tsrun/c1/a/b/cgroup.procs',
      '/sys/fs/cgroup/cpu,cpuacct/tsrun/c1/a/b/cgroup.procs',
      '/sys/fs/cgroup/systemd/tsrun/c1/cgroup.procs',
      '/sys/fs/cgroup/unified/tsrun/c1/cgroup.procs',
    ]);
  });

  test('leaving the container cgroup, or a path for all next to another, is refused', () => {
    expect(() => execCgroupProcsFiles(placement, ['../other'])).toThrow("invalid --cgroup argument: ../other is not beneath the container's cgroup");
    expect(() => execCgroupProcsFiles(placement, ['a', 'memory:b'])).toThrow('conflicts with another');
  });
});

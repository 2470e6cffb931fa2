import type { DefaultSpec } from '../../spec/default-config';
import { buildInitPlan } from './build';
import { PlanError } from './plan-error';
import { baseSpec, indexOf, specWith, stepsOf, testContext } from '../../test/helpers/plan-context';

const RLIMIT_NOFILE = 7;
const RLIMIT_CORE = 4;
const RLIMIT_NPROC = 6;

describe('capabilities', () => {
  // CAP_KILL = 5, CAP_NET_BIND_SERVICE = 10, CAP_AUDIT_WRITE = 29.
  const DEFAULT_MASK = String(2 ** 5 + 2 ** 10 + 2 ** 29);

  test('the default sets as bit masks; the bounding set is cut down to the host last_cap', () => {
    const plan = buildInitPlan(baseSpec(), testContext({ lastCap: 40 }));
    expect(stepsOf(plan, 'dropBounding')).toEqual([{ op: 'dropBounding', keep: DEFAULT_MASK, lastCap: 40 }]);
    expect(stepsOf(plan, 'setCaps')).toEqual([{ op: 'setCaps', effective: DEFAULT_MASK, permitted: DEFAULT_MASK, inheritable: '0', ambient: '0' }]);
  });

  test('ambient capabilities are raised only where permitted and inheritable allow it', () => {
    const spec = specWith((s) => (s.process.capabilities.inheritable = ['CAP_KILL', 'CAP_NET_BIND_SERVICE']));
    const [caps] = stepsOf(buildInitPlan(spec, testContext()), 'setCaps');
    expect(caps.ambient).toBe(String(2 ** 5 + 2 ** 10));
  });

  test('capabilities above 31 need more than 32 bits', () => {
    const spec = specWith((s) => (s.process.capabilities.bounding = ['CAP_CHECKPOINT_RESTORE', 'CAP_SYS_ADMIN']));
    const [drop] = stepsOf(buildInitPlan(spec, testContext()), 'dropBounding');
    expect(drop.keep).toBe('1099513724928'); // 2^40 + 2^21
  });

  test('a capability the running kernel does not have is left out', () => {
    const spec = specWith((s) => (s.process.capabilities.bounding = ['CAP_CHECKPOINT_RESTORE', 'CAP_BPF', 'CAP_KILL']));
    const [drop] = stepsOf(buildInitPlan(spec, testContext({ lastCap: 39 })), 'dropBounding');
    expect(drop).toEqual({ op: 'dropBounding', keep: String(2 ** 39 + 2 ** 5), lastCap: 39 });
  });

  test('an unknown capability is an error naming where it is', () => {
    const spec = specWith((s) => (s.process.capabilities.bounding = ['CAP_KILL', 'CAP_FOO']));
    expect(() => buildInitPlan(spec, testContext())).toThrow(PlanError);
    expect(() => buildInitPlan(spec, testContext())).toThrow('process.capabilities.bounding[1]: unknown capability "CAP_FOO"');
    const spec2 = specWith((s) => (s.process.capabilities.ambient = ['kill']));
    expect(() => buildInitPlan(spec2, testContext())).toThrow('process.capabilities.ambient[0]: unknown capability "kill"');
  });

  test('no capabilities in the config: every set empty', () => {
    const spec = specWith((s) => delete (s.process as { capabilities?: unknown }).capabilities);
    const plan = buildInitPlan(spec, testContext());
    expect(stepsOf(plan, 'dropBounding')[0].keep).toBe('0');
    expect(stepsOf(plan, 'setCaps')[0]).toEqual({ op: 'setCaps', effective: '0', permitted: '0', inheritable: '0', ambient: '0' });
  });
});

describe('rlimits', () => {
  const limit = (resource: number, soft: string, hard: string, name: string, field: string) => ({
    op: 'setrlimit',
    resource,
    soft,
    hard,
    message: `setrlimit ${name} (soft ${soft}, hard ${hard}) of ${field}`,
  });

  test('the config limits, as decimal strings, each with the message init gives when it cannot set it', () => {
    const spec = specWith((s) => s.process.rlimits.push({ type: 'RLIMIT_CORE', soft: 0, hard: 4096 }));
    expect(buildInitPlan(spec, testContext()).exec.rlimits).toEqual([
      limit(RLIMIT_NOFILE, '1024', '1024', 'RLIMIT_NOFILE', 'process.rlimits[0]'),
      limit(RLIMIT_CORE, '0', '4096', 'RLIMIT_CORE', 'process.rlimits[1]'),
    ]);
  });

  test('unlimited (2^64-1 in JSON) stays unlimited', () => {
    const spec = JSON.parse(
      JSON.stringify(baseSpec()).replace('"rlimits":[', '"rlimits":[{"type":"RLIMIT_NPROC","soft":18446744073709551615,"hard":18446744073709551615},'),
    );
    const [nproc] = buildInitPlan(spec, testContext()).exec.rlimits ?? [];
    expect(nproc).toMatchObject({ op: 'setrlimit', resource: RLIMIT_NPROC, soft: '18446744073709551615', hard: '18446744073709551615' });
  });

  test('without RLIMIT_NOFILE in the config, init gets the one tsrun was started with', () => {
    const spec = specWith((s) => (s.process.rlimits = []));
    const plan = buildInitPlan(spec, testContext({ inheritedNofile: { soft: '1024', hard: '524288' } }));
    expect(plan.exec.rlimits).toEqual([limit(RLIMIT_NOFILE, '1024', '524288', 'RLIMIT_NOFILE', 'the RLIMIT_NOFILE tsrun was started with')]);
  });

  test('the config RLIMIT_NOFILE wins over the inherited one', () => {
    const plan = buildInitPlan(baseSpec(), testContext({ inheritedNofile: { soft: '1024', hard: '524288' } }));
    expect(plan.exec.rlimits).toEqual([limit(RLIMIT_NOFILE, '1024', '1024', 'RLIMIT_NOFILE', 'process.rlimits[0]')]);
  });

  test.each([
    [{ type: 'RLIMIT_FOO', soft: 1, hard: 1 }, 'process.rlimits[1].type: unknown rlimit "RLIMIT_FOO"'],
    [{ type: 'RLIMIT_NOFILE', soft: 1, hard: 1 }, 'process.rlimits[1].type: rlimit "RLIMIT_NOFILE" is set twice'],
    [{ type: 'RLIMIT_CORE', soft: -1, hard: 1 }, 'process.rlimits[1].soft: must be a non-negative integer, not -1'],
    [{ type: 'RLIMIT_CORE', soft: 5, hard: 4 }, 'process.rlimits[1].soft: must not be above the hard limit (5 > 4)'],
  ])('%j is an error', (rlimit, message) => {
    const spec = specWith((s) => s.process.rlimits.push(rlimit));
    expect(() => buildInitPlan(spec, testContext())).toThrow(message);
  });
});

describe('credentials and the rest of the process', () => {
  test('user, groups and umask', () => {
    const spec = specWith((s) => (s.process.user = { uid: 1000, gid: 1001, additionalGids: [5, 27], umask: 0o077 }));
    const plan = buildInitPlan(spec, testContext());
    expect(stepsOf(plan, 'setUser')).toEqual([{ op: 'setUser', uid: 1000, gid: 1001, additionalGids: [5, 27], setgroups: true }]);
    expect(stepsOf(plan, 'umask')).toEqual([{ op: 'umask', mask: 0o077 }]);
  });

  test('the default umask is 0022 and groups are cleared', () => {
    const plan = buildInitPlan(baseSpec(), testContext());
    expect(stepsOf(plan, 'umask')).toEqual([{ op: 'umask', mask: 0o022 }]);
    expect(stepsOf(plan, 'setUser')[0].additionalGids).toEqual([]);
  });

  test('order: working directory, bounding set, user, capabilities, no_new_privs last', () => {
    const plan = buildInitPlan(baseSpec(), testContext());
    const order = ['chdir', 'umask', 'dropBounding', 'setUser', 'setCaps', 'noNewPrivs'].map((op) => indexOf(plan, (s) => s.op === op));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(plan.init[plan.init.length - 1]).toEqual({ op: 'noNewPrivs' });
  });

  test('no no_new_privs unless asked', () => {
    const plan = buildInitPlan(specWith((s) => (s.process.noNewPrivileges = false)), testContext());
    expect(stepsOf(plan, 'noNewPrivs')).toEqual([]);
  });

  test('oomScoreAdj is written in stage1, before any namespace is joined', () => {
    const spec = specWith((s) => {
      s.process.oomScoreAdj = -500;
      s.linux.namespaces.push({ type: 'user', path: '/proc/42/ns/user' });
    });
    const plan = buildInitPlan(spec, testContext());
    expect(plan.stage1[0]).toEqual({ op: 'writeFile', path: '/proc/self/oom_score_adj', data: '-500' });
    expect(plan.stage1[1]).toMatchObject({ op: 'setns' });
  });

  test.each([
    [(s: DefaultSpec) => delete (s as { process?: unknown }).process, 'process: missing'],
    [(s: DefaultSpec) => (s.process.args = []), 'process.args: must not be empty'],
    [(s: DefaultSpec) => (s.process.cwd = 'home'), 'process.cwd: must be an absolute path, not "home"'],
  ])('invalid process %#', (edit, message) => {
    expect(() => buildInitPlan(specWith(edit), testContext())).toThrow(message);
  });
});

describe('terminal', () => {
  const withTerminal = (edit?: (s: DefaultSpec) => void) =>
    specWith((s) => {
      s.process.terminal = true;
      edit?.(s);
    });

  test('a terminal without a console socket is refused with the field named, not ignored', () => {
    expect(() => buildInitPlan(withTerminal(), testContext())).toThrow(
      'process.terminal: is true, but there is no console socket to send the terminal to (--console-socket)',
    );
  });

  test("the console step comes right after the root change, sized by consoleSize, owned by the process's user", () => {
    const spec = withTerminal((s) => {
      s.process.consoleSize = { width: 101, height: 33 };
      s.process.user = { uid: 1000, gid: 1000 };
    });
    const plan = buildInitPlan(spec, testContext({ consoleSocket: 9 }));
    expect(stepsOf(plan, 'console')).toEqual([{ op: 'console', socketFd: 9, uid: 1000, width: 101, height: 33, mountConsole: true }]);
    const at = indexOf(plan, (s) => s.op === 'console');
    expect(at).toBe(indexOf(plan, (s) => s.op === 'pivotRoot') + 1);
    // Before the masked paths and the read-only root (it binds /dev/console) and the credentials.
    expect(at).toBeLessThan(indexOf(plan, (s) => s.op === 'maskPath'));
    expect(at).toBeLessThan(indexOf(plan, (s) => s.op === 'setUser'));
  });

  test('a size with one side 0 is no size; without a terminal a socket makes no step', () => {
    const half = withTerminal((s) => (s.process.consoleSize = { width: 80, height: 0 }));
    expect(stepsOf(buildInitPlan(half, testContext({ consoleSocket: 9 })), 'console')[0]).toMatchObject({ width: 0, height: 0 });
    expect(stepsOf(buildInitPlan(baseSpec(), testContext({ consoleSocket: 9 })), 'console')).toEqual([]);
  });

  test('a size a terminal cannot have is refused with its path', () => {
    const big = withTerminal((s) => (s.process.consoleSize = { width: 70000, height: 24 }));
    expect(() => buildInitPlan(big, testContext({ consoleSocket: 9 }))).toThrow('process.consoleSize.width: must be an integer in [0, 65535], not 70000');
  });
});

describe('exec', () => {
  test('args, env, the PATH of env for the lookup, and the exec fifo in the state directory', () => {
    const plan = buildInitPlan(baseSpec(), testContext({ preserveFds: 2 }));
    expect(plan.exec).toEqual({
      args: ['sh'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      searchPath: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      preserveFds: 2,
      fifo: { dir: '/run/tsrun/c1', name: 'exec.fifo' },
      // SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGPIPE, SIGALRM, SIGTERM: what a created
      // container's init dies of while it waits for start (runc's), not C's choice.
      exitSignals: [1, 2, 3, 10, 12, 13, 14, 15],
      rlimits: [expect.objectContaining({ op: 'setrlimit', resource: RLIMIT_NOFILE })],
    });
  });

  test('the modes of what the steps create beneath the root are the plan\'s: 0755 directories, 0644 files', () => {
    expect(buildInitPlan(baseSpec(), testContext()).createModes).toEqual({ dir: 0o755, file: 0o644 });
  });

  test('the last PATH of env is the one used', () => {
    const spec = specWith((s) => (s.process.env = ['PATH=/a', 'PATHX=/x', 'PATH=/opt/bin:/bin']));
    expect(buildInitPlan(spec, testContext()).exec.searchPath).toBe('/opt/bin:/bin');
  });

  test("runc's default search path when env has no PATH", () => {
    const spec = specWith((s) => (s.process.env = ['TERM=xterm']));
    expect(buildInitPlan(spec, testContext()).exec.searchPath).toBe('/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
  });

  test('no fifo when running straight through, and no signals to die of while waiting on it', () => {
    const exec = buildInitPlan(baseSpec(), testContext({ withFifo: false })).exec;
    expect(exec.fifo).toBeNull();
    expect(exec.exitSignals).toEqual([]);
  });

  test('in-container hooks carry the signal a hook past its timeout is killed with and how much output a failure quotes', () => {
    const hook = { path: '/bin/true', timeout: 3 };
    const plan = buildInitPlan(specWith((s) => (s.hooks = { createContainer: [hook], startContainer: [hook] })), testContext({ containerId: 'c1' }));
    const steps = [...plan.init.filter((s) => s.op === 'runHooks'), plan.exec.startContainerHooks];
    expect(steps).toEqual([
      expect.objectContaining({ kind: 'createContainer', killSignal: 9, outputQuoted: 200 }),
      expect.objectContaining({ kind: 'startContainer', killSignal: 9, outputQuoted: 200 }),
    ]);
  });
});

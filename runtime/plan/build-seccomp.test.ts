import type { LinuxSeccomp } from '../../spec/types';
import { buildInitPlan } from './build';
import { PlanError } from './plan-error';
import { decodePlan } from '../../test/helpers/test-native';
import { encodePlan } from '../native/encode';
import { agentState, processStateParts } from './seccomp';
import { specWith, stepsOf, testContext } from '../../test/helpers/plan-context';
import type { InitPlan, SeccompStep } from './types';

const ALLOW = 0x7fff0000;
const ERRNO = 0x00050000;
const KILL_PROCESS = 0x80000000;
const SCMP_CMP_EQ = 4;
const SCMP_CMP_MASKED_EQ = 7;

function planWith(seccomp: LinuxSeccomp, noNewPrivileges = false): InitPlan {
  return buildInitPlan(
    specWith((s) => {
      s.linux.seccomp = seccomp;
      s.process.noNewPrivileges = noNewPrivileges;
    }),
    testContext(),
  );
}

/** The filters a plan loads: by an init step, or by exec right before execve. */
function loadedFilters(plan: InitPlan): SeccompStep[] {
  return [...stepsOf(plan, 'seccomp'), ...(plan.exec.seccomp ? [plan.exec.seccomp] : [])];
}

function planError(seccomp: unknown): PlanError {
  try {
    planWith(seccomp as LinuxSeccomp);
  } catch (err) {
    if (err instanceof PlanError) return err;
    throw err;
  }
  throw new Error('no PlanError');
}

test('no linux.seccomp, no seccomp step', () => {
  expect(stepsOf(buildInitPlan(specWith(() => {}), testContext()), 'seccomp')).toEqual([]);
});

test('names become libseccomp numbers; errnoRet folds into the action, EPERM when absent', () => {
  const plan = planWith({
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 38,
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    flags: ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'],
    syscalls: [
      { names: ['read', 'write', 'execve'], action: 'SCMP_ACT_ALLOW' },
      { names: ['mkdir'], action: 'SCMP_ACT_ERRNO' },
      { names: ['reboot'], action: 'SCMP_ACT_KILL_PROCESS' },
    ],
  });
  expect(loadedFilters(plan)).toEqual([
    {
      op: 'seccomp',
      defaultAction: ERRNO | 38,
      architectures: [0xc000003e, 0x40000003, 0x4000003e],
      flags: 1 | 4,
      rules: [
        { syscall: 'read', action: ALLOW, conditions: [] },
        { syscall: 'write', action: ALLOW, conditions: [] },
        { syscall: 'execve', action: ALLOW, conditions: [] },
        { syscall: 'mkdir', action: ERRNO | 1, conditions: [] },
        { syscall: 'reboot', action: KILL_PROCESS, conditions: [] },
      ],
      // Names libseccomp does not know: the rule is left out, as runc leaves it out.
      unknownSyscalls: 'skip',
    },
  ]);
});

test('conditions carry 64-bit values as decimal strings; valueTwo defaults to 0', () => {
  const plan = planWith({
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [
      {
        names: ['personality'],
        action: 'SCMP_ACT_ERRNO',
        args: [
          { index: 0, value: 0xffffffff, op: 'SCMP_CMP_EQ' },
          { index: 1, value: 0xff, valueTwo: 8, op: 'SCMP_CMP_MASKED_EQ' },
        ],
      },
    ],
  });
  expect(loadedFilters(plan)[0].rules).toEqual([
    {
      syscall: 'personality',
      action: ERRNO | 1,
      conditions: [
        { index: 0, op: SCMP_CMP_EQ, value: '4294967295', valueTwo: '0' },
        { index: 1, op: SCMP_CMP_MASKED_EQ, value: '255', valueTwo: '8' },
      ],
    },
  ]);
});

test('two conditions on one argument become one rule each, as libseccomp takes them', () => {
  const plan = planWith({
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [
      {
        names: ['personality'],
        action: 'SCMP_ACT_ERRNO',
        args: [
          { index: 0, value: 0, op: 'SCMP_CMP_EQ' },
          { index: 0, value: 8, op: 'SCMP_CMP_EQ' },
        ],
      },
    ],
  });
  expect(loadedFilters(plan)[0].rules.map((r) => r.conditions.map((c) => c.value))).toEqual([['0'], ['8']]);
});

test('a rule with the default action is left out (libseccomp refuses it; it changes nothing)', () => {
  const plan = planWith({
    defaultAction: 'SCMP_ACT_ERRNO',
    syscalls: [
      { names: ['mkdir'], action: 'SCMP_ACT_ERRNO' },
      { names: ['rmdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
      { names: ['execve'], action: 'SCMP_ACT_ALLOW' },
    ],
  });
  expect(loadedFilters(plan)[0].rules).toEqual([
    { syscall: 'rmdir', action: ERRNO | 38, conditions: [] },
    { syscall: 'execve', action: ALLOW, conditions: [] },
  ]);
});

test('unknown syscall names are kept for the executor, which skips what libseccomp does not know', () => {
  const plan = planWith({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['future_syscall'], action: 'SCMP_ACT_ERRNO' }] });
  expect(loadedFilters(plan)[0].rules.map((r) => r.syscall)).toEqual(['future_syscall']);
});

describe('ordering (as runc)', () => {
  const seccomp: LinuxSeccomp = { defaultAction: 'SCMP_ACT_ALLOW' };

  test('with noNewPrivileges: loaded by exec, after the fifo and right before execve, not by an init step', () => {
    const plan = planWith(seccomp, true);
    expect(plan.init.map((s) => s.op).slice(-2)).toEqual(['setCaps', 'noNewPrivs']);
    expect(plan.init.some((s) => s.op === 'seccomp')).toBe(false);
    expect(plan.exec.seccomp).toEqual({ op: 'seccomp', defaultAction: 0x7fff0000, architectures: [], flags: 0, rules: [], unknownSyscalls: 'skip' });
  });

  test('without it: loaded by exec too, init keeping CAP_SYS_ADMIN for it (execve drops it)', () => {
    const plan = planWith(seccomp, false);
    expect(plan.init.map((s) => s.op).slice(-3)).toEqual(['dropBounding', 'setUser', 'setCaps']);
    expect(plan.init.some((s) => s.op === 'seccomp')).toBe(false);
    expect(plan.exec.seccomp).toEqual({ op: 'seccomp', defaultAction: 0x7fff0000, architectures: [], flags: 0, rules: [], unknownSyscalls: 'skip' });
    const [caps] = stepsOf(plan, 'setCaps');
    const withoutFilter = stepsOf(buildInitPlan(specWith(() => {}), testContext()), 'setCaps')[0];
    const sysAdmin = 1n << 21n;
    expect(BigInt(withoutFilter.effective) & sysAdmin).toBe(0n);
    expect(BigInt(caps.effective)).toBe(BigInt(withoutFilter.effective) | sysAdmin);
    expect(BigInt(caps.permitted)).toBe(BigInt(withoutFilter.permitted) | sysAdmin);
    expect([caps.inheritable, caps.ambient]).toEqual([withoutFilter.inheritable, withoutFilter.ambient]);
  });

  test('with noNewPrivileges no capability is kept for it', () => {
    const [caps] = stepsOf(planWith(seccomp, true), 'setCaps');
    expect(BigInt(caps.effective) & (1n << 21n)).toBe(0n);
  });
});

describe('a profile that denies execve outright is refused, naming the field (nothing could run, or report)', () => {
  const allowed = { names: ['execve'], action: 'SCMP_ACT_ALLOW' as const };
  test.each([
    [{ defaultAction: 'SCMP_ACT_ERRNO' }, 'linux.seccomp.defaultAction: SCMP_ACT_ERRNO applies to execve'],
    [{ defaultAction: 'SCMP_ACT_KILL' }, 'linux.seccomp.defaultAction: SCMP_ACT_KILL applies to execve'],
    [{ defaultAction: 'SCMP_ACT_KILL_PROCESS', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }] }, 'linux.seccomp.defaultAction: SCMP_ACT_KILL_PROCESS applies'],
    [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read', 'execve'], action: 'SCMP_ACT_TRAP' }] }, 'linux.seccomp.syscalls[0].action: SCMP_ACT_TRAP for execve'],
  ])('%j', (seccomp, message) => {
    const err = planError(seccomp);
    expect(err.message).toContain(message);
    expect(err.message).toContain('the profile must allow execve');
  });

  test.each([
    [{ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [allowed] }],
    [{ defaultAction: 'SCMP_ACT_LOG' }],
    // A condition may let some execve through; a tracer may let a traced one run.
    [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ ...allowed, action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: 0, op: 'SCMP_CMP_EQ' }] }] }],
    [{ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ ...allowed, args: [{ index: 1, value: 0, op: 'SCMP_CMP_NE' }] }] }],
    [{ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ ...allowed, action: 'SCMP_ACT_TRACE' }] }],
  ])('%j is accepted', (seccomp) => {
    expect(loadedFilters(planWith(seccomp as LinuxSeccomp))).toHaveLength(1);
  });
});

describe('errors name the JSON path', () => {
  test.each([
    [{ defaultAction: 'SCMP_ACT_BOGUS' }, 'linux.seccomp.defaultAction: unknown seccomp action "SCMP_ACT_BOGUS"'],
    [
      { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['a'], action: 'SCMP_ACT_ALLOW' }, { names: ['b'], action: 'SCMP_ACT_NOPE' }] },
      'linux.seccomp.syscalls[1].action: unknown seccomp action "SCMP_ACT_NOPE"',
    ],
    [
      { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['a'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1, op: 'SCMP_CMP_ABOUT' }] }] },
      'linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator "SCMP_CMP_ABOUT"',
    ],
    [
      { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['a'], action: 'SCMP_ACT_ERRNO', args: [{ index: 6, value: 1, op: 'SCMP_CMP_EQ' }] }] },
      'linux.seccomp.syscalls[0].args[0].index: must be an argument index in [0, 5], not 6',
    ],
    [{ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_VAX'] }, 'linux.seccomp.architectures[0]: unknown architecture "SCMP_ARCH_VAX"'],
    [{ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_FAST'] }, 'linux.seccomp.flags[0]: unknown seccomp flag "SECCOMP_FILTER_FLAG_FAST"'],
    [{ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 70000 }, 'linux.seccomp.defaultErrnoRet: must be an integer in [0, 65535], not 70000'],
    [{ defaultAction: 'SCMP_ACT_ALLOW', defaultErrnoRet: 1 }, 'linux.seccomp.defaultErrnoRet: only applies to SCMP_ACT_ERRNO and SCMP_ACT_TRACE'],
    [{ defaultAction: 'SCMP_ACT_NOTIFY', listenerPath: '/run/a.sock' }, 'linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action'],
    [
      { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }] },
      "linux.seccomp.listenerPath: must name the seccomp agent's unix socket when a rule is SCMP_ACT_NOTIFY",
    ],
    [
      { defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/run/a.sock', syscalls: [{ names: ['mkdir', 'sendmsg'], action: 'SCMP_ACT_NOTIFY' }] },
      'linux.seccomp.syscalls[0].names[1]: sendmsg cannot be SCMP_ACT_NOTIFY',
    ],
    [
      { defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'] },
      'linux.seccomp.flags[0]: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV only applies to a filter with a SCMP_ACT_NOTIFY rule',
    ],
  ])('%j', (seccomp, message) => {
    const err = planError(seccomp);
    expect(err.message.startsWith(message)).toBe(true);
  });
});

describe('SCMP_ACT_NOTIFY: a seccomp agent at linux.seccomp.listenerPath', () => {
  const NOTIFY = 0x7fc00000;
  const NEW_LISTENER = 8;
  const notify = (extra: Partial<LinuxSeccomp> = {}): LinuxSeccomp => ({
    defaultAction: 'SCMP_ACT_ALLOW',
    listenerPath: '/run/agent.sock',
    syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }],
    ...extra,
  });
  const agentDoc = (plan: InitPlan, pid: number) => {
    const step = loadedFilters(plan)[0];
    return JSON.parse(step.listener!.stateParts.join(String(pid)));
  };

  test('the filter asks for a listener; the agent gets the containerProcessState with the pid twice (creating)', () => {
    const spec = specWith((s) => {
      s.linux.seccomp = notify({ listenerMetadata: 'meta' });
      s.annotations = { a: 'b' };
    });
    const plan = buildInitPlan(spec, testContext({ containerId: 'c1' }));
    const [step] = loadedFilters(plan);
    expect(step.flags).toBe(NEW_LISTENER);
    expect(step.rules).toEqual([{ syscall: 'mkdir', action: NOTIFY, conditions: [] }]);
    expect(step.listener!.path).toBe('/run/agent.sock');
    expect(agentDoc(plan, 4242)).toEqual({
      ociVersion: '1.3.0',
      fds: ['seccompFd'],
      pid: 4242,
      metadata: 'meta',
      state: { ociVersion: '1.3.0', id: 'c1', status: 'creating', pid: 4242, bundle: '/tmp/b', annotations: { a: 'b' } },
    });
  });

  test('metadata is left out when the config has none', () => {
    expect(agentDoc(planWith(notify()), 7)).not.toHaveProperty('metadata');
  });

  test('with noNewPrivileges the filter is the last init step, not exec\'s: its fd must reach the parent before READY', () => {
    const plan = planWith(notify(), true);
    expect(plan.exec.seccomp).toBeUndefined();
    expect(plan.init.map((s) => s.op).slice(-3)).toEqual(['setCaps', 'noNewPrivs', 'seccomp']);
  });

  test('without noNewPrivileges it stays before the capability drop', () => {
    expect(planWith(notify(), false).init.map((s) => s.op).slice(-4)).toEqual(['seccomp', 'dropBounding', 'setUser', 'setCaps']);
  });

  test('TSYNC takes TSYNC_ESRCH along, which the kernel needs to combine it with NEW_LISTENER; WAIT_KILLABLE_RECV is kept', () => {
    const [step] = loadedFilters(planWith(notify({ flags: ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'] })));
    expect(step.flags).toBe(1 | NEW_LISTENER | 16 | 32);
  });

  test('listenerPath without a notifying rule is ignored (spec): no listener, no flag', () => {
    const [step] = loadedFilters(planWith({ defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/run/agent.sock' }));
    expect(step.flags).toBe(0);
    expect(step.listener).toBeUndefined();
  });

  test('the listener travels to the C decoder intact; on exec\'s filter (after READY) the decoder refuses it', () => {
    const plan = planWith(notify({ listenerMetadata: 'm' }), true);
    expect(decodePlan(encodePlan(plan))).toEqual(plan);
    const [step] = loadedFilters(plan);
    const late: InitPlan = { ...plan, init: plan.init.filter((s) => s.op !== 'seccomp'), exec: { ...plan.exec, seccomp: step } };
    expect(() => decodePlan(encodePlan(late))).toThrow(/exec seccomp with a listener/);
    const flagless: InitPlan = { ...plan, init: plan.init.map((s) => (s.op === 'seccomp' ? { ...s, flags: 0 } : s)) };
    expect(() => decodePlan(encodePlan(flagless))).toThrow(/without SECCOMP_FILTER_FLAG_NEW_LISTENER/);
  });

  test('a process of tsrun exec reports the container init\'s pid in its state, its own at the top', () => {
    const parts = processStateParts(undefined, {
      state: { ociVersion: '1.3.0', id: 'c1', status: 'running', bundle: '/b' },
      containerPid: 100,
    });
    expect(JSON.parse(parts.join('200'))).toEqual({
      ociVersion: '1.3.0',
      fds: ['seccompFd'],
      pid: 200,
      state: { ociVersion: '1.3.0', id: 'c1', status: 'running', pid: 100, bundle: '/b' },
    });
  });

  test("the agent's view of a container (init and exec alike): this runtime's spec version, not the config's; annotations only when there are some", () => {
    const container = { id: 'c1', bundle: '/b', status: 'created' as const };
    expect(agentState({ ...container, annotations: {} }, 100)).toEqual({
      state: { ociVersion: '1.3.0', id: 'c1', status: 'created', bundle: '/b' },
      containerPid: 100,
    });
    expect(agentState({ ...container, annotations: { a: 'b' } })).toEqual({
      state: { ociVersion: '1.3.0', id: 'c1', status: 'created', bundle: '/b', annotations: { a: 'b' } },
    });
    const spec = specWith((s) => {
      s.ociVersion = '1.0.2';
      s.linux.seccomp = notify();
      s.annotations = {};
    });
    const plan = buildInitPlan(spec, testContext({ containerId: 'c1' }));
    expect(agentDoc(plan, 7).state).toEqual({ ociVersion: '1.3.0', id: 'c1', status: 'creating', pid: 7, bundle: '/tmp/b' });
  });
});

import type { LinuxSeccomp } from '../../spec/types';
import { buildInitPlan } from './build';
import { PlanError } from './plan-error';
import { specWith, stepsOf, testContext } from './test-context';
import type { InitPlan } from './types';

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
      { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' },
      { names: ['mkdir'], action: 'SCMP_ACT_ERRNO' },
      { names: ['reboot'], action: 'SCMP_ACT_KILL_PROCESS' },
    ],
  });
  expect(stepsOf(plan, 'seccomp')).toEqual([
    {
      op: 'seccomp',
      defaultAction: ERRNO | 38,
      architectures: [0xc000003e, 0x40000003, 0x4000003e],
      flags: 1 | 4,
      rules: [
        { syscall: 'read', action: ALLOW, conditions: [] },
        { syscall: 'write', action: ALLOW, conditions: [] },
        { syscall: 'mkdir', action: ERRNO | 1, conditions: [] },
        { syscall: 'reboot', action: KILL_PROCESS, conditions: [] },
      ],
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
  expect(stepsOf(plan, 'seccomp')[0].rules).toEqual([
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
    defaultAction: 'SCMP_ACT_ERRNO',
    syscalls: [
      {
        names: ['personality'],
        action: 'SCMP_ACT_ALLOW',
        args: [
          { index: 0, value: 0, op: 'SCMP_CMP_EQ' },
          { index: 0, value: 8, op: 'SCMP_CMP_EQ' },
        ],
      },
    ],
  });
  expect(stepsOf(plan, 'seccomp')[0].rules.map((r) => r.conditions.map((c) => c.value))).toEqual([['0'], ['8']]);
});

test('a rule with the default action is left out (libseccomp refuses it; it changes nothing)', () => {
  const plan = planWith({
    defaultAction: 'SCMP_ACT_ERRNO',
    syscalls: [
      { names: ['mkdir'], action: 'SCMP_ACT_ERRNO' },
      { names: ['rmdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
    ],
  });
  expect(stepsOf(plan, 'seccomp')[0].rules).toEqual([{ syscall: 'rmdir', action: ERRNO | 38, conditions: [] }]);
});

test('unknown syscall names are kept for the executor, which skips what libseccomp does not know', () => {
  const plan = planWith({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['future_syscall'], action: 'SCMP_ACT_ERRNO' }] });
  expect(stepsOf(plan, 'seccomp')[0].rules.map((r) => r.syscall)).toEqual(['future_syscall']);
});

describe('ordering (as runc)', () => {
  const seccomp: LinuxSeccomp = { defaultAction: 'SCMP_ACT_ALLOW' };

  test('with noNewPrivileges: the very last init step, after no_new_privs', () => {
    const ops = planWith(seccomp, true).init.map((s) => s.op);
    expect(ops.slice(-3)).toEqual(['setCaps', 'noNewPrivs', 'seccomp']);
  });

  test('without it: before the capabilities are dropped (loading then needs CAP_SYS_ADMIN)', () => {
    const ops = planWith(seccomp, false).init.map((s) => s.op);
    expect(ops.slice(-4)).toEqual(['seccomp', 'dropBounding', 'setUser', 'setCaps']);
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
    [{ defaultAction: 'SCMP_ACT_NOTIFY' }, 'linux.seccomp.defaultAction: SCMP_ACT_NOTIFY (a seccomp agent at linux.seccomp.listenerPath) is not supported'],
    [{ defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/run/agent.sock' }, 'linux.seccomp.listenerPath: seccomp agents (SCMP_ACT_NOTIFY) are not supported'],
  ])('%j', (seccomp, message) => {
    const err = planError(seccomp);
    expect(err.message.startsWith(message)).toBe(true);
  });
});

/**
 * linux.seccomp as the description the executor compiles with libseccomp (a SeccompStep).
 * Every name of the config becomes libseccomp's number here; the C side decides nothing.
 */
import type { LinuxSeccomp, LinuxSeccompArg, LinuxSyscall } from '../../spec/types';
import { PlanError } from './plan-error';
import type { SeccompCondition, SeccompRule, SeccompStep } from './types';

/** SCMP_ACT_* of libseccomp; ERRNO and TRACE carry a 16-bit value in their low bits. */
const ACTIONS: Record<string, number> = {
  SCMP_ACT_KILL: 0x00000000,
  SCMP_ACT_KILL_THREAD: 0x00000000,
  SCMP_ACT_KILL_PROCESS: 0x80000000,
  SCMP_ACT_TRAP: 0x00030000,
  SCMP_ACT_ERRNO: 0x00050000,
  SCMP_ACT_TRACE: 0x7ff00000,
  SCMP_ACT_LOG: 0x7ffc0000,
  SCMP_ACT_ALLOW: 0x7fff0000,
};
const ACTIONS_WITH_VALUE = new Set(['SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE']);
/** errnoRet when the config has none (runc's choice). */
const EPERM = 1;

const LE = 0x40000000;
const BITS64 = 0x80000000;
const MIPS_N32 = 0x20000000;
/** SCMP_ARCH_* of libseccomp: the kernel's AUDIT_ARCH_* (an ELF machine plus width and endianness). */
const ARCHITECTURES: Record<string, number> = {
  SCMP_ARCH_X86: 3 | LE,
  SCMP_ARCH_X86_64: 62 | BITS64 | LE,
  SCMP_ARCH_X32: 62 | LE,
  SCMP_ARCH_ARM: 40 | LE,
  SCMP_ARCH_AARCH64: 183 | BITS64 | LE,
  SCMP_ARCH_LOONGARCH64: 258 | BITS64 | LE,
  SCMP_ARCH_M68K: 4,
  SCMP_ARCH_MIPS: 8,
  SCMP_ARCH_MIPS64: 8 | BITS64,
  SCMP_ARCH_MIPS64N32: 8 | BITS64 | MIPS_N32,
  SCMP_ARCH_MIPSEL: 8 | LE,
  SCMP_ARCH_MIPSEL64: 8 | BITS64 | LE,
  SCMP_ARCH_MIPSEL64N32: 8 | BITS64 | LE | MIPS_N32,
  SCMP_ARCH_PPC: 20,
  SCMP_ARCH_PPC64: 21 | BITS64,
  SCMP_ARCH_PPC64LE: 21 | BITS64 | LE,
  SCMP_ARCH_S390: 22,
  SCMP_ARCH_S390X: 22 | BITS64,
  SCMP_ARCH_SH: 42 | LE,
  SCMP_ARCH_SHEB: 42,
  SCMP_ARCH_PARISC: 15,
  SCMP_ARCH_PARISC64: 15 | BITS64,
  SCMP_ARCH_RISCV64: 243 | BITS64 | LE,
};

const FLAGS: Record<string, number> = {
  SECCOMP_FILTER_FLAG_TSYNC: 1,
  SECCOMP_FILTER_FLAG_LOG: 2,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: 4,
};

const OPERATORS: Record<string, number> = {
  SCMP_CMP_NE: 1,
  SCMP_CMP_LT: 2,
  SCMP_CMP_LE: 3,
  SCMP_CMP_EQ: 4,
  SCMP_CMP_GE: 5,
  SCMP_CMP_GT: 6,
  SCMP_CMP_MASKED_EQ: 7,
};

/** The seccomp arguments of a syscall: a0..a5. */
const MAX_ARG_INDEX = 5;

function lookup(table: Record<string, number>, name: unknown, at: string, what: string): number {
  if (typeof name !== 'string' || !Object.hasOwn(table, name)) throw new PlanError(at, `unknown ${what} ${JSON.stringify(name)}`);
  return table[name] >>> 0;
}

/** An action with its errno or trace value folded in, as libseccomp takes it. */
function action(name: unknown, errnoRet: number | undefined, at: string, errnoAt: string): number {
  if (name === 'SCMP_ACT_NOTIFY') {
    throw new PlanError(at, 'SCMP_ACT_NOTIFY (a seccomp agent at linux.seccomp.listenerPath) is not supported by this tsrun yet');
  }
  const base = lookup(ACTIONS, name, at, 'seccomp action');
  if (!ACTIONS_WITH_VALUE.has(name as string)) {
    if (errnoRet !== undefined) throw new PlanError(errnoAt, `only applies to SCMP_ACT_ERRNO and SCMP_ACT_TRACE, not ${name as string}`);
    return base;
  }
  const value = errnoRet ?? EPERM;
  if (!Number.isInteger(value) || value < 0 || value > 0xffff) throw new PlanError(errnoAt, `must be an integer in [0, 65535], not ${value}`);
  return (base | value) >>> 0;
}

function u64(value: unknown, at: string): string {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value >= 2 ** 64) {
    throw new PlanError(at, `must be an unsigned 64-bit integer, not ${JSON.stringify(value)}`);
  }
  return BigInt(value).toString();
}

function condition(arg: LinuxSeccompArg, at: string): SeccompCondition {
  if (!Number.isInteger(arg.index) || arg.index < 0 || arg.index > MAX_ARG_INDEX) {
    throw new PlanError(`${at}.index`, `must be an argument index in [0, ${MAX_ARG_INDEX}], not ${JSON.stringify(arg.index)}`);
  }
  return {
    index: arg.index,
    op: lookup(OPERATORS, arg.op, `${at}.op`, 'seccomp operator'),
    value: u64(arg.value, `${at}.value`),
    valueTwo: u64(arg.valueTwo ?? 0, `${at}.valueTwo`),
  };
}

/**
 * libseccomp refuses two conditions on one argument in a rule; like runc, such a syscall entry
 * becomes one rule per condition (any of them matching applies the action).
 */
function conditionSets(conditions: SeccompCondition[]): SeccompCondition[][] {
  const indexes = new Set(conditions.map((c) => c.index));
  return indexes.size === conditions.length ? [conditions] : conditions.map((c) => [c]);
}

function syscallRules(entry: LinuxSyscall, at: string, defaultAction: number): SeccompRule[] {
  const act = action(entry.action, entry.errnoRet, `${at}.action`, `${at}.errnoRet`);
  const conditions = (entry.args ?? []).map((arg, i) => condition(arg, `${at}.args[${i}]`));
  if (!Array.isArray(entry.names) || entry.names.length === 0) throw new PlanError(`${at}.names`, 'must list at least one syscall');
  entry.names.forEach((name, i) => {
    if (typeof name !== 'string' || name === '') throw new PlanError(`${at}.names[${i}]`, `must be a syscall name, not ${JSON.stringify(name)}`);
  });
  // libseccomp refuses a rule whose action is the default one; it would change nothing (runc skips it too).
  if (act === defaultAction) return [];
  return entry.names.flatMap((syscall) => conditionSets(conditions).map((set) => ({ syscall, action: act, conditions: set })));
}

/**
 * The filter to load, or null without linux.seccomp. Syscall names are not checked here: the
 * executor skips the ones libseccomp does not know, as runc does, since profiles list syscalls
 * newer than the running kernel or libseccomp.
 */
/** What `tsrun features` reports of seccomp: the names the builder accepts. */
export function seccompFeatures() {
  return {
    enabled: true,
    actions: Object.keys(ACTIONS),
    operators: Object.keys(OPERATORS),
    archs: Object.keys(ARCHITECTURES),
    knownFlags: Object.keys(FLAGS),
    supportedFlags: Object.keys(FLAGS),
  };
}

export function seccompStep(seccomp: LinuxSeccomp | undefined): SeccompStep | null {
  if (!seccomp) return null;
  const at = 'linux.seccomp';
  const defaultAction = action(seccomp.defaultAction, seccomp.defaultErrnoRet, `${at}.defaultAction`, `${at}.defaultErrnoRet`);
  if (seccomp.listenerPath !== undefined) {
    throw new PlanError(`${at}.listenerPath`, 'seccomp agents (SCMP_ACT_NOTIFY) are not supported by this tsrun yet');
  }
  const architectures = (seccomp.architectures ?? []).map((name, i) => lookup(ARCHITECTURES, name, `${at}.architectures[${i}]`, 'architecture'));
  const flags = (seccomp.flags ?? []).reduce((bits, name, i) => {
    if (name === 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV') {
      throw new PlanError(`${at}.flags[${i}]`, `${name} only applies to SCMP_ACT_NOTIFY, which this tsrun does not support yet`);
    }
    return bits | lookup(FLAGS, name, `${at}.flags[${i}]`, 'seccomp flag');
  }, 0);
  const rules = (seccomp.syscalls ?? []).flatMap((entry, i) => syscallRules(entry, `${at}.syscalls[${i}]`, defaultAction));
  return { op: 'seccomp', defaultAction, architectures, flags, rules };
}

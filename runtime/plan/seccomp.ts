/**
 * linux.seccomp as the description the executor compiles with libseccomp (a SeccompStep).
 * Every name of the config becomes libseccomp's number here; the C side decides nothing.
 */
import type { LinuxSeccomp, LinuxSeccompArg, LinuxSyscall } from '../../spec/types';
import { OCI_VERSION } from '../../spec/default-config';
import { stateAroundPid, type HookStateFields, type HookStatus } from '../hooks/state';
import { PlanError } from './plan-error';
import type { SeccompCondition, SeccompListener, SeccompRule, SeccompStep } from './types';

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
  SCMP_ACT_NOTIFY: 0x7fc00000,
};
const NOTIFY = ACTIONS.SCMP_ACT_NOTIFY;
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
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: 32,
};
const FLAG_TSYNC = 1;
const FLAG_NEW_LISTENER = 8;
/** With TSYNC, what the kernel needs to accept NEW_LISTENER too (init has no other thread). */
const FLAG_TSYNC_ESRCH = 16;

/**
 * Init passes the notify fd to the parent with sendmsg(2) right after loading the filter, before
 * the agent has it: a notified sendmsg would wait for an agent that cannot answer yet.
 */
const NEVER_NOTIFIED = new Set(['sendmsg']);

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
  if (act === NOTIFY) {
    entry.names.forEach((name, i) => {
      if (NEVER_NOTIFIED.has(name)) {
        throw new PlanError(`${at}.names[${i}]`, `${name} cannot be SCMP_ACT_NOTIFY: init passes the notify fd to tsrun with it before the agent has the fd`);
      }
    });
  }
  // libseccomp refuses a rule whose action is the default one; it would change nothing (runc skips it too).
  if (act === defaultAction) return [];
  return entry.names.flatMap((syscall) => conditionSets(conditions).map((set) => ({ syscall, action: act, conditions: set })));
}

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

/**
 * Who the containerProcessState sent to a seccomp agent describes (runtime.md): the state of the
 * container, and the pid in it when that is not the pid of the process loading the filter (a
 * process of `tsrun exec` reports the container's init there).
 */
export interface AgentState {
  state: HookStateFields;
  containerPid?: number;
}

/** The container a seccomp agent is told of, and the status it is in when the filter is loaded. */
export interface AgentContainer {
  id: string;
  bundle: string;
  status: HookStatus;
  annotations?: Record<string, string>;
}

/**
 * The one builder of the agent's view of a container, for the init and for an exec'd process
 * (of tsrun and of tsrund alike): its state as `state` reports it, that is this runtime's spec
 * version (not the config's), annotations only when there are any (omitted when empty, as runc).
 * `containerPid`: the container's init, when the filter's process is another (an exec).
 */
export function agentState(c: AgentContainer, containerPid?: number): AgentState {
  const annotations = c.annotations && Object.keys(c.annotations).length > 0 ? { annotations: c.annotations } : {};
  const state: HookStateFields = { ociVersion: OCI_VERSION, id: c.id, status: c.status, bundle: c.bundle, ...annotations };
  return containerPid === undefined ? { state } : { state, containerPid };
}

/**
 * The containerProcessState document, cut where the pid of the filter's process goes: ociVersion,
 * fds, pid, metadata (when the config has it), state.
 */
export function processStateParts(metadata: string | undefined, agent: AgentState): string[] {
  const head = `${JSON.stringify({ ociVersion: OCI_VERSION, fds: ['seccompFd'] }).slice(0, -1)},"pid":`;
  const meta = metadata === undefined ? '' : `,"metadata":${JSON.stringify(metadata)}`;
  const { before, after } = stateAroundPid(agent.state);
  const stateHead = `${meta},"state":${before}`;
  if (agent.containerPid !== undefined) return [head, `${stateHead}${agent.containerPid}${after}}`];
  return [head, stateHead, `${after}}`];
}

function listener(seccomp: LinuxSeccomp, agent: AgentState, at: string): SeccompListener {
  const path = seccomp.listenerPath;
  if (typeof path !== 'string' || path === '') {
    throw new PlanError(`${at}.listenerPath`, 'must name the seccomp agent\'s unix socket when a rule is SCMP_ACT_NOTIFY');
  }
  return { path, stateParts: processStateParts(seccomp.listenerMetadata, agent) };
}

/** Actions after which a syscall has not run (TRACE is left out: a tracer may let it run). */
const DENYING = new Set(['SCMP_ACT_KILL', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO']);

/**
 * The filter is loaded right before execve: a profile that denies execve outright could never
 * start the container's process, and would end it silently (killed, or unable even to exit).
 * Refused here instead, naming the field that denies it. A rule with argument conditions may let
 * some execve through, so only unconditional verdicts count.
 */
function refuseDeniedExecve(seccomp: LinuxSeccomp, at: string): void {
  const entries = (seccomp.syscalls ?? []).map((entry, i) => ({ entry, at: `${at}.syscalls[${i}]` })).filter(({ entry }) => Array.isArray(entry.names) && entry.names.includes('execve'));
  if (entries.some(({ entry }) => !DENYING.has(entry.action))) return;
  const how = 'so the container process could never start: the profile must allow execve (the runtime loads the filter right before it)';
  const denying = entries.find(({ entry }) => !entry.args?.length);
  if (denying) throw new PlanError(`${denying.at}.action`, `${denying.entry.action} for execve, ${how}`);
  if (DENYING.has(seccomp.defaultAction)) {
    throw new PlanError(`${at}.defaultAction`, `${seccomp.defaultAction} applies to execve (no rule of ${at}.syscalls allows it), ${how}`);
  }
}

/**
 * The filter to load, or null without linux.seccomp. A rule naming a syscall libseccomp does not
 * know is skipped (UNKNOWN_SYSCALLS), as runc skips it, since profiles list syscalls newer than
 * the running kernel or libseccomp. `agent`: what the state sent to a seccomp agent
 * says (a SCMP_ACT_NOTIFY rule needs it); listenerPath is ignored when no rule notifies (spec).
 */
/** What the executor does with a rule whose syscall libseccomp does not know: runc leaves it out. */
export const UNKNOWN_SYSCALLS = 'skip';

export function seccompStep(seccomp: LinuxSeccomp | undefined, agent: AgentState): SeccompStep | null {
  if (!seccomp) return null;
  const at = 'linux.seccomp';
  if (seccomp.defaultAction === 'SCMP_ACT_NOTIFY') {
    throw new PlanError(`${at}.defaultAction`, 'SCMP_ACT_NOTIFY cannot be the default action (init itself must still make syscalls)');
  }
  const defaultAction = action(seccomp.defaultAction, seccomp.defaultErrnoRet, `${at}.defaultAction`, `${at}.defaultErrnoRet`);
  refuseDeniedExecve(seccomp, at);
  const architectures = (seccomp.architectures ?? []).map((name, i) => lookup(ARCHITECTURES, name, `${at}.architectures[${i}]`, 'architecture'));
  const rules = (seccomp.syscalls ?? []).flatMap((entry, i) => syscallRules(entry, `${at}.syscalls[${i}]`, defaultAction));
  const notifies = rules.some((rule) => rule.action === NOTIFY);
  let flags = (seccomp.flags ?? []).reduce((bits, name, i) => {
    if (name === 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV' && !notifies) {
      throw new PlanError(`${at}.flags[${i}]`, `${name} only applies to a filter with a SCMP_ACT_NOTIFY rule`);
    }
    return bits | lookup(FLAGS, name, `${at}.flags[${i}]`, 'seccomp flag');
  }, 0);
  const unknownSyscalls = UNKNOWN_SYSCALLS;
  if (!notifies) return { op: 'seccomp', defaultAction, architectures, flags, rules, unknownSyscalls };
  flags |= FLAG_NEW_LISTENER | (flags & FLAG_TSYNC ? FLAG_TSYNC_ESRCH : 0);
  return { op: 'seccomp', defaultAction, architectures, flags, rules, unknownSyscalls, listener: listener(seccomp, agent, at) };
}

/** What placing a filter decided: where it is loaded, and what init must hold until then. */
export interface SeccompPlacement {
  init: SeccompStep | null;
  exec: SeccompStep | null;
  /**
   * Without no_new_privs loading a filter takes CAP_SYS_ADMIN: init keeps it in its effective and
   * permitted sets until the filter is loaded right before execve. execve recomputes both sets
   * from the inheritable, ambient and bounding sets (and the file), so the program runs with
   * exactly the capabilities of the config all the same.
   */
  keepSysAdmin: boolean;
}

/**
 * Where the filter is loaded. Once it is loaded the runtime makes no system call but execve, so
 * that a profile need allow nothing of what init does on its way (fds, the lookup of args[0],
 * signals, credentials, the exec fifo, startContainer hooks): ExecSpec.seccomp, with or without
 * no_new_privs. A filter with an agent is an init step instead, as runc loads it before its fifo
 * wait: its notify fd must reach the parent before READY, since nobody listens on the sync socket
 * after it (without no_new_privs before the capability drop, with it the last init step).
 */
export function seccompPlacement(step: SeccompStep | null, noNewPrivileges: boolean | undefined): SeccompPlacement {
  if (!step) return { init: null, exec: null, keepSysAdmin: false };
  if (step.listener) return { init: step, exec: null, keepSysAdmin: false };
  return { init: null, exec: step, keepSysAdmin: !noNewPrivileges };
}

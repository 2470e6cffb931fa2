/**
 * config.json `process` as plan steps: the oom score, the terminal, resource limits, working
 * directory, umask, credentials and capabilities, and the exec itself. The container's init and
 * an exec'd process (exec-plan.ts) share these.
 */
import { constants } from 'os';
import type { LinuxCapabilities, POSIXRlimit, Process, Spec } from '../../spec/types';
import { capabilityNumber, RLIM_INFINITY, rlimitResource, RLIMITS } from './linux';
import { PlanError } from './plan-error';
import type { SeccompPlacement } from './seccomp';
import { rlimitFailureMessage } from './render-failure';
import type { ConsoleStep, ExecRlimit, ExecSpec, InitStep, PlanContext, Stage1Step } from './types';

/** runc's PATH for the lookup of args[0] when the environment has none. */
export const DEFAULT_SEARCH_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const DEFAULT_UMASK = 0o022;

/** CAP_SYS_ADMIN as a bit of a capability mask. */
const CAP_SYS_ADMIN_BIT = 1n << BigInt(capabilityNumber('CAP_SYS_ADMIN') as number);

/** `spec.process`, with what every container process needs checked. */
export function readProcess(spec: Spec): Process {
  const proc = spec.process;
  if (!proc) throw new PlanError('process', 'missing: a container needs a process to run');
  if (!proc.args || proc.args.length === 0) throw new PlanError('process.args', 'must not be empty');
  if (!proc.cwd?.startsWith('/')) throw new PlanError('process.cwd', `must be an absolute path, not "${proc.cwd ?? ''}"`);
  return proc;
}

/** The largest terminal dimension (struct winsize holds unsigned shorts). */
const MAX_CONSOLE_DIMENSION = 0xffff;

/**
 * process.terminal as the console step, sending the terminal over `consoleSocket` (an fd the
 * caller connected). Without a terminal there is no step (whether a socket without a terminal is
 * an error is the command line's rule, as in runc); a terminal with no socket to send it to is
 * an error, since the process would run without the tty it expects.
 */
export function consoleSteps(proc: Process, consoleSocket: number | null | undefined, mountConsole: boolean): ConsoleStep[] {
  if (!proc.terminal) return [];
  if (consoleSocket === null || consoleSocket === undefined) {
    throw new PlanError('process.terminal', 'is true, but there is no console socket to send the terminal to (--console-socket)');
  }
  const dimension = (field: 'width' | 'height'): number => {
    const value = proc.consoleSize?.[field] ?? 0;
    if (!Number.isInteger(value) || value < 0 || value > MAX_CONSOLE_DIMENSION) {
      throw new PlanError(`process.consoleSize.${field}`, `must be an integer in [0, ${MAX_CONSOLE_DIMENSION}], not ${value}`);
    }
    return value;
  };
  const width = dimension('width');
  const height = dimension('height');
  // As runc: a size with one side 0 is no size.
  const sized = width > 0 && height > 0;
  return [
    { op: 'console', socketFd: consoleSocket, uid: proc.user?.uid ?? 0, width: sized ? width : 0, height: sized ? height : 0, mountConsole },
  ];
}

/**
 * Stage1, before any namespace is joined or made: lowering the score needs CAP_SYS_RESOURCE in
 * the host's user namespace, which init inside a new user namespace lacks; init inherits it.
 */
export function oomScoreAdjSteps(proc: Process): Stage1Step[] {
  if (proc.oomScoreAdj === undefined) return [];
  return [{ op: 'writeFile', path: '/proc/self/oom_score_adj', data: String(proc.oomScoreAdj) }];
}

/**
 * The last init steps, in the order they must run: working directory, credentials (the limits
 * come later still: ExecSpec.rlimits). A
 * filter with an agent is loaded where runc loads it (placement.init): without no_new_privs
 * before the capabilities go, since loading a filter then takes CAP_SYS_ADMIN, with it last.
 * Any other filter is loaded right before execve (ExecSpec.seccomp); without no_new_privs init
 * keeps CAP_SYS_ADMIN for it until then (SeccompPlacement.keepSysAdmin).
 */
export function processSteps(proc: Process, ctx: Pick<PlanContext, 'lastCap'>, placement: SeccompPlacement): InitStep[] {
  const caps = capabilityMasks(proc.capabilities, ctx.lastCap);
  const seccomp = placement.init;
  const privilegedSeccomp = seccomp && !proc.noNewPrivileges ? [seccomp] : [];
  const untilSeccomp = placement.keepSysAdmin ? CAP_SYS_ADMIN_BIT : 0n;
  const steps: InitStep[] = [
    // As root, so a directory the user may not search can still be the working directory (as runc).
    { op: 'chdir', path: proc.cwd },
    { op: 'umask', mask: proc.user?.umask ?? DEFAULT_UMASK },
    ...privilegedSeccomp,
    { op: 'dropBounding', keep: caps.bounding.toString(), lastCap: ctx.lastCap },
    {
      op: 'setUser',
      uid: proc.user?.uid ?? 0,
      gid: proc.user?.gid ?? 0,
      additionalGids: proc.user?.additionalGids ?? [],
      setgroups: true,
    },
    {
      op: 'setCaps',
      effective: (caps.effective | untilSeccomp).toString(),
      permitted: (caps.permitted | untilSeccomp).toString(),
      inheritable: caps.inheritable.toString(),
      ambient: caps.ambient.toString(),
    },
  ];
  if (proc.noNewPrivileges) steps.push({ op: 'noNewPrivs' });
  if (seccomp && proc.noNewPrivileges) steps.push(seccomp);
  return steps;
}

/** A limit of the config (a JSON number) as the decimal u64 string the plan carries. */
function u64(value: number, at: string): string {
  if (!Number.isInteger(value) || value < 0) throw new PlanError(at, `must be a non-negative integer, not ${value}`);
  // JSON numbers near 2^64 arrive rounded up to 2^64: that is RLIM_INFINITY as written.
  return value >= 2 ** 64 ? RLIM_INFINITY : BigInt(value).toString();
}

/**
 * process.rlimits, plus RLIMIT_NOFILE as tsrun was started with when the config does not set
 * it (Node raised the soft limit, and init inherits tsrun's limits). A soft limit above its
 * hard one is refused here, where the error can still name the field and stop `create`.
 */
export function rlimitSteps(rlimits: readonly POSIXRlimit[] | undefined, inheritedNofile: PlanContext['inheritedNofile']): ExecRlimit[] {
  const steps: ExecRlimit[] = [];
  const seen = new Set<string>();
  (rlimits ?? []).forEach((r, i) => {
    const at = `process.rlimits[${i}]`;
    const resource = rlimitResource(r.type);
    if (resource === undefined) throw new PlanError(`${at}.type`, `unknown rlimit "${r.type}"`);
    if (seen.has(r.type)) throw new PlanError(`${at}.type`, `rlimit "${r.type}" is set twice`);
    seen.add(r.type);
    const soft = u64(r.soft, `${at}.soft`);
    const hard = u64(r.hard, `${at}.hard`);
    if (BigInt(soft) > BigInt(hard)) throw new PlanError(`${at}.soft`, `must not be above the hard limit (${soft} > ${hard})`);
    const step = { op: 'setrlimit' as const, resource, soft, hard };
    steps.push({ ...step, message: rlimitFailureMessage(step, at) });
  });
  if (!seen.has('RLIMIT_NOFILE') && inheritedNofile) {
    const step = { op: 'setrlimit' as const, resource: RLIMITS.RLIMIT_NOFILE, soft: inheritedNofile.soft, hard: inheritedNofile.hard };
    steps.push({ ...step, message: rlimitFailureMessage(step, 'the RLIMIT_NOFILE tsrun was started with') });
  }
  return steps;
}

export interface CapabilityMasks {
  bounding: bigint;
  effective: bigint;
  permitted: bigint;
  inheritable: bigint;
  ambient: bigint;
}

/**
 * The capability sets as bit masks. A name Linux does not have is an error; a capability newer
 * than the running kernel (above lastCap) is left out, since capset() refuses unknown bits.
 * The kernel only lets an ambient capability be raised when it is permitted and inheritable,
 * so others are left out of the ambient set (runc's observable behaviour: it never raised them).
 */
export function capabilityMasks(caps: LinuxCapabilities | undefined, lastCap: number): CapabilityMasks {
  const mask = (set: keyof LinuxCapabilities): bigint =>
    (caps?.[set] ?? []).reduce((bits, name, i) => {
      const n = capabilityNumber(name);
      if (n === undefined) throw new PlanError(`process.capabilities.${set}[${i}]`, `unknown capability "${name}"`);
      return n <= lastCap ? bits | (1n << BigInt(n)) : bits;
    }, 0n);
  const permitted = mask('permitted');
  const inheritable = mask('inheritable');
  return {
    bounding: mask('bounding'),
    effective: mask('effective'),
    permitted,
    inheritable,
    ambient: mask('ambient') & permitted & inheritable,
  };
}

/** The value of `name` in an environment list; the last definition wins, as runc sets them in order. */
function envValue(env: readonly string[], name: string): string | undefined {
  const prefix = `${name}=`;
  return env.filter((e) => e.startsWith(prefix)).pop()?.slice(prefix.length);
}

/**
 * The signals a created container's init dies of while it waits for `start`: those that end a
 * process by default, as runc's init does; as pid 1 of its pid namespace it would ignore them.
 */
export const CREATED_EXIT_SIGNALS: readonly number[] = (['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGPIPE', 'SIGALRM', 'SIGTERM'] as const).map(
  (name) => constants.signals[name],
);

export function execSpec(proc: Process, ctx: Pick<PlanContext, 'preserveFds' | 'withFifo' | 'stateDir' | 'inheritedNofile'>): ExecSpec {
  const env = proc.env ?? [];
  return {
    args: proc.args as string[],
    env,
    searchPath: envValue(env, 'PATH') ?? DEFAULT_SEARCH_PATH,
    preserveFds: ctx.preserveFds,
    fifo: ctx.withFifo ? { dir: ctx.stateDir, name: 'exec.fifo' } : null,
    exitSignals: ctx.withFifo ? [...CREATED_EXIT_SIGNALS] : [],
    rlimits: rlimitSteps(proc.rlimits, ctx.inheritedNofile),
  };
}

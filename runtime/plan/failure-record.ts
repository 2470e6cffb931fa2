/**
 * The executor's failure record as TypeScript reads it (struct tsrun_failure,
 * native/src/exec/failure.h): which step of which phase failed, in which system call on what,
 * with which errno, and the typed facts a few failures add. C fills it and says no words;
 * render-failure.ts words it. The lists below are failure.h's, name for name
 * (test/supervisor/failure-record.test.ts compares them with the header and with what the addon
 * and tsrun-monitor report).
 */
import type { Phase } from './types';

/** Optional text fields (TSRUN_FAILURE_TEXTS), present only when not empty. */
export const FAILURE_TEXTS = ['path2', 'output'] as const;

/** Optional number fields (TSRUN_FAILURE_NUMBERS). */
export const FAILURE_NUMBERS = ['value', 'hook', 'exitStatus', 'signal', 'timeout'] as const;

/** Why a failure is one when errno alone does not say it (TSRUN_FAILURE_REASONS, "" left out). */
export const FAILURE_REASONS = [
  'opNotAllowed',
  'noOpenRoot',
  'notDirectory',
  'containerRoot',
  'noFileName',
  'shortWrite',
  'cpusUnavailable',
  'cpuUnavailable',
  'nodeOutOfRange',
  'filterTooLong',
  'filterSize',
  'keyringPermissions',
  'hooksNotRunnable',
  'silentExit',
  'parent',
  'seccompAgent',
  'consoleSocket',
  'idMappingHelper',
  'oldRoot',
  'newRoot',
  'copyUp',
  'copyUpTooDeep',
  'copyUpPathTooLong',
  'initExited',
  'initClosedFifo',
  'malformedPlan',
  'planPreservesFds',
  'planLacksConsole',
  'planHasConsole',
] as const;

export type FailureReason = (typeof FAILURE_REASONS)[number];

/** A plan's phases, then tsrun-monitor's own start-up and the release of a created init. */
export type FailurePhase = Phase | 'monitor' | 'release';

export type PlanFailure = {
  phase: FailurePhase;
  /** Index into the phase's step list (0 for exec), -1 for a failure of no step. */
  step: number;
  /** 0 when no system call failed (a hook's exit status, a signal, a timeout). */
  errno: number;
  /** errno's symbolic name, e.g. "EPERM"; "" for errno 0. */
  code: string;
  /** The system call (or netlink request) that failed: "mount", "openat2"; "" when none did. */
  syscall: string;
  /** What it acted on: a path, a file or interface name; "" when nothing. */
  path: string;
  reason?: FailureReason;
} & { [K in (typeof FAILURE_TEXTS)[number]]?: string } & { [K in (typeof FAILURE_NUMBERS)[number]]?: number };

/**
 * The C core for TypeScript: run an init plan, release a created container, and the system
 * calls Node lacks. Errors from these functions carry `.code` (the errno name, e.g. "ENOENT")
 * and `.errno` (positive), like Node's fs errors; a failed plan throws PlanExecutionError.
 */
import type { InitPlan, PlanFailure } from '../plan/types';
import { native } from './binding';
import type { ExitStatus } from './binding';
import { encodePlan } from './encode';

export type { ExitStatus } from './binding';
export { encodePlan } from './encode';

/** A plan step failed; `failure` says where and why. Nothing the plan started is left. */
export class PlanExecutionError extends Error {
  readonly failure: PlanFailure;

  constructor(failure: PlanFailure, plan: InitPlan) {
    super(describeFailure(failure, plan));
    this.name = 'PlanExecutionError';
    this.failure = failure;
  }
}

/** "init step 7 (mount): EPERM (mount /proc)"; a step of -1 is a failure outside any step. */
export function describeFailure(failure: PlanFailure, plan: InitPlan): string {
  const steps: { op: string }[] =
    failure.phase === 'stage1' ? plan.stage1 : failure.phase === 'parent' ? plan.parent : failure.phase === 'init' ? plan.init : [];
  const op = steps[failure.step]?.op;
  const where = op ? `${failure.phase} step ${failure.step} (${op})` : failure.phase;
  return `${where}: ${failure.code}${failure.detail ? ` (${failure.detail})` : ''}`;
}

/**
 * Run `plan` up to READY: init then waits on the exec fifo (when the plan has one) or has gone
 * on to execve. Init is a child of this process (reap it: waitExit). Blocks until READY.
 * @throws PlanExecutionError when a step fails (init and stage1 are then killed and reaped).
 */
export function spawnInit(plan: InitPlan): { pid: number } {
  const result = native.spawnInit(encodePlan(plan));
  if ('failure' in result) throw new PlanExecutionError(result.failure, plan);
  return result;
}

/**
 * `tsrun start`: open the exec fifo and wait for the byte init writes on its way to execve.
 * @throws when init (`pid`) exits first (code ESRCH), or the fifo cannot be opened.
 */
export function releaseInit(fifoPath: string, pid: number): void {
  native.releaseInit(fifoPath, pid);
}

/** mkfifo(3) with exactly `mode` (the umask does not apply). */
export function mkfifo(path: string, mode: number): void {
  native.mkfifo(path, mode);
}

/** flock(2); false when `wait` is false and another holder has the lock. */
export function flock(fd: number, mode: 'exclusive' | 'shared' | 'unlock', wait: boolean): boolean {
  return native.flock(fd, mode, wait);
}

/** A close-on-exec pidfd of `pid`; close it with fs.closeSync. */
export function pidfdOpen(pid: number): number {
  return native.pidfdOpen(pid);
}

export function pidfdSendSignal(pidfd: number, signal: number): void {
  native.pidfdSendSignal(pidfd, signal);
}

/** waitpid() on a worker thread: how the child `pid` ended. */
export function waitExit(pid: number): Promise<ExitStatus> {
  return native.waitExit(pid);
}

/** PR_SET_CHILD_SUBREAPER: orphaned descendants become this process's children. */
export function setChildSubreaper(): void {
  native.setChildSubreaper();
}

/** "ENOENT" for 2; "EUNKNOWN" for a number libc does not know. */
export function errnoName(n: number): string {
  return native.errnoName(n);
}

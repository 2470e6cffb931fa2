/**
 * The C core for TypeScript: run an init plan, release a created container, and the system
 * calls Node lacks. Errors from these functions carry `.code` (the errno name, e.g. "ENOENT")
 * and `.errno` (positive), like Node's fs errors; a failed plan throws PlanExecutionError.
 */
import { TsrunError } from '../errors';
import type { InitPlan, PlanFailure } from '../plan/types';
import { native } from './binding';
import type { ExitStatus, SeccompNotification } from './binding';
import { encodePlan } from './encode';

export type { ExitStatus, SeccompNotification } from './binding';
export { encodePlan } from './encode';

/** A plan step failed; `failure` says where and why. Nothing the plan started is left. */
export class PlanExecutionError extends TsrunError {
  readonly failure: PlanFailure;

  constructor(failure: PlanFailure, plan: InitPlan) {
    super(describeFailure(failure, plan), { subject: `${failure.phase} step ${failure.step}` });
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
 * spawnInit for a plan with a parentHooks step: at that step `runHooks(pid)` runs the
 * runtime-namespace hooks (prestart, createRuntime) while init waits; init goes on when it
 * returns, and is killed and reaped when it throws (the error is rethrown).
 * @throws PlanExecutionError when a step fails.
 */
export function spawnInitWithHooks(plan: InitPlan, runHooks: (pid: number) => void): { pid: number } {
  let outcome = native.spawnInitStart(encodePlan(plan));
  while (!('failure' in outcome) && outcome.paused) {
    const paused = outcome.paused;
    try {
      runHooks(outcome.pid);
    } catch (err) {
      native.spawnInitAbort(paused);
      throw err;
    }
    outcome = native.spawnInitResume(paused);
  }
  if ('failure' in outcome) throw new PlanExecutionError(outcome.failure, plan);
  return { pid: outcome.pid };
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

/**
 * umount2(MNT_DETACH | UMOUNT_NOFOLLOW): the mount on top at `path`, and every mount beneath
 * it, leave this process's mount namespace. Throws an errno error (`code`).
 */
export function detachMount(path: string): void {
  native.detachMount(path);
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

/**
 * Load a cgroup device program (`insns`: struct bpf_insn[]) and attach it to the v2 cgroup
 * `cgroupDir` with BPF_F_ALLOW_MULTI; device programs attached there before are then detached.
 */
export function attachDeviceFilter(cgroupDir: string, insns: Buffer, license: string): void {
  native.attachDeviceFilter(cgroupDir, insns, license);
}

/** How many device programs are attached to the v2 cgroup `cgroupDir`. */
export function deviceFilterCount(cgroupDir: string): number {
  return native.deviceFilterCount(cgroupDir);
}

/** A blocking, close-on-exec eventfd (read its 8-byte counter with fs.read; close with fs.closeSync). */
export function eventfd(): number {
  return native.eventfd();
}

/** A close-on-exec AF_UNIX stream socket connected to `path` (a console socket). */
export function connectUnix(path: string): number {
  return native.connectUnix(path);
}

/** A close-on-exec AF_UNIX stream socket listening on `path` (a console socket's receiving side). */
export function listenUnix(path: string): number {
  return native.listenUnix(path);
}

/** The next connection on a listening socket (blocks). */
export function acceptUnix(fd: number): number {
  return native.acceptUnix(fd);
}

/** A connected, close-on-exec AF_UNIX stream socket pair. */
export function socketPair(): [number, number] {
  return native.socketPair();
}

/**
 * Receive one fd sent with SCM_RIGHTS (blocks), with the message's payload (runc sends the
 * name "/dev/ptmx" with a terminal's master). The fd is close-on-exec.
 * @throws code ECONNRESET when the peer closed without sending one.
 */
export function recvFd(fd: number): { fd: number; name: string } {
  return native.recvFd(fd);
}

/** Set a terminal's size (TIOCSWINSZ); the process in the foreground gets SIGWINCH. */
export function resizeTerminal(fd: number, width: number, height: number): void {
  native.resizeTerminal(fd, width, height);
}

/** mknod(2) of a device node or fifo (`mode`: S_IFCHR/S_IFBLK/S_IFIFO | permission bits, set exactly). */
export function mknod(path: string, mode: number, major: number, minor: number): void {
  native.mknod(path, mode, major, minor);
}

/** lsetxattr(2): set an extended attribute of the entry itself (a symlink is not followed). */
export function lsetxattr(path: string, name: string, value: Buffer): void {
  native.lsetxattr(path, name, value);
}

/** llistxattr(2): the names of the entry's extended attributes. */
export function llistxattr(path: string): string[] {
  return native.llistxattr(path);
}

/** lgetxattr(2): one extended attribute of the entry itself. */
export function lgetxattr(path: string, name: string): Buffer {
  return native.lgetxattr(path, name);
}

/** poll(2) for input on `fd` (a connection, data, a seccomp notification); false on timeout. */
export function waitReadable(fd: number, timeoutMs: number): boolean {
  return native.waitReadable(fd, timeoutMs);
}

/**
 * A seccomp agent's wait for the next notification on a notify fd (SECCOMP_IOCTL_NOTIF_RECV);
 * null when none came within `timeoutMs`.
 */
export function seccompNotifyReceive(notifyFd: number, timeoutMs: number): SeccompNotification | null {
  return native.seccompNotifyReceive(notifyFd, timeoutMs);
}

/**
 * Answer notification `id` (SECCOMP_IOCTL_NOTIF_SEND): the syscall fails with `answer.errno`,
 * returns `answer.value`, or runs as if never stopped (`proceed`).
 * @throws code ENOENT when the caller is gone (killed, or its wait interrupted).
 */
export function seccompNotifyRespond(notifyFd: number, id: string, answer: { errno?: number; value?: number; proceed?: boolean }): void {
  native.seccompNotifyRespond(notifyFd, id, answer.errno ?? 0, answer.value ?? 0, answer.proceed ?? false);
}

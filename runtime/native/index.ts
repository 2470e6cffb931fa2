/**
 * The C core for TypeScript: run an init plan, release a created container, and the system
 * calls Node lacks. Errors from these functions carry `.code` (the errno name, e.g. "ENOENT")
 * and `.errno` (positive), like Node's fs errors; a failure of the executor (a plan step, the
 * release of an init) throws PlanExecutionError carrying the executor's failure record.
 */
import { describeCall, renderRecord } from '../plan/render-failure';
import type { InitPlan, PlanFailure } from '../plan/types';
import { native } from './binding';
import type { ExitStatus, FileToWrite, NetInterfaces } from './binding';
import { encodePlan } from './encode';
import { phase } from '../trace';

export type { ExitStatus, FileToWrite, NetInterfaces, NetLink, NetLinkAddress } from './binding';
export { encodePlan } from './encode';
export { SeccompPrograms } from './seccomp-programs';

/**
 * The executor failed: `failure` says where and why (render-failure.ts words it for users).
 * After a failed plan nothing the plan started is left. `code` and `errno` are the record's.
 */
export class PlanExecutionError extends Error {
  readonly failure: PlanFailure;
  readonly code: string;
  readonly errno: number;

  /** `plan`: the plan that failed; none for a failure outside a spawn (releaseInit). */
  constructor(failure: PlanFailure, plan?: InitPlan) {
    super(plan ? describeFailure(failure, plan) : renderRecord(failure));
    this.name = 'PlanExecutionError';
    this.failure = failure;
    this.code = failure.code;
    this.errno = failure.errno;
  }
}

/** "init step 7 (mount): EPERM (mount /proc)"; a step of -1 is a failure outside any step. */
export function describeFailure(failure: PlanFailure, plan: InitPlan): string {
  const steps: { op: string }[] =
    failure.phase === 'stage1' ? plan.stage1 : failure.phase === 'parent' ? plan.parent : failure.phase === 'init' ? plan.init : [];
  const op = steps[failure.step]?.op;
  const where = op ? `${failure.phase} step ${failure.step} (${op})` : failure.phase;
  const call = describeCall(failure);
  return `${where}: ${failure.code || 'no errno'}${call ? ` (${call})` : ''}`;
}

/**
 * Run `plan` up to READY: init then waits on the exec fifo (when the plan has one) or has gone
 * on to execve. Init is a child of this process (reap it: waitExit). Blocks until READY.
 * @throws PlanExecutionError when a step fails (init and stage1 are then killed and reaped).
 */
export function spawnInit(plan: InitPlan): { pid: number } {
  const encoded = phase('encode', () => encodePlan(plan));
  const result = phase('spawn (clone to init ready)', () => native.spawnInit(encoded));
  if ('failure' in result) throw new PlanExecutionError(result.failure, plan);
  return result;
}

/**
 * spawnInit for a plan with a parentHooks step: at that step `runHooks(pid)` runs the
 * runtime-namespace hooks (prestart, createRuntime) while init waits; init goes on when it
 * resolves, and is killed and reaped when it rejects (the error is rethrown).
 * @throws PlanExecutionError when a step fails.
 */
export async function spawnInitWithHooks(plan: InitPlan, runHooks: (pid: number) => Promise<void>): Promise<{ pid: number }> {
  let outcome = native.spawnInitStart(encodePlan(plan));
  while (!('failure' in outcome) && outcome.paused) {
    const paused = outcome.paused;
    try {
      await runHooks(outcome.pid);
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
 * @throws PlanExecutionError when init (`pid`) exits first (code ESRCH), or the fifo cannot be opened.
 */
export function releaseInit(fifoPath: string, pid: number): void {
  try {
    phase('release (fifo to exec)', () => native.releaseInit(fifoPath, pid));
  } catch (err) {
    const failure = (err as { failure?: PlanFailure }).failure;
    throw failure ? new PlanExecutionError(failure) : err;
  }
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

/**
 * A tmpfs (nosuid, nodev, noexec) mounted on `path` with the options `data`
 * ("mode=1777,size=67108864"), in this process's mount namespace. Throws an errno error (`code`,
 * `syscall`, `path`).
 */
export function mountTmpfs(path: string, data: string): void {
  native.mountTmpfs(path, data);
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
  return phase('wait', () => native.waitExit(pid));
}

/**
 * Run `file` (args[0] is its argv[0]) with the environment `env` ("K=V" strings) and stdio[i]
 * as its fd i (null: /dev/null), and wait for its exit, both on a worker thread: posix_spawn, a
 * vfork, where child_process.spawn forks all of this process on the main thread. The stdio fds
 * are handed over: the call closes them once the program started or failed to (rejecting with
 * the errno of posix_spawn, naming `file`).
 */
export function runProgram(file: string, args: string[], env: string[], stdio: (number | null)[]): Promise<ExitStatus> {
  return native.runProgram(file, args, env, stdio);
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

/**
 * A memory cgroup's OOM watch (exec/oom_watch.h: kind 1 v1's cgroup.event_control, 2 v2's
 * memory.events): the fd to close with fs.closeSync once no wait is pending, and what a wait needs.
 */
export interface NativeOomWatch {
  kind: 1 | 2;
  dir: string;
  fd: number;
  count: number;
}

export function oomWatchOpen(kind: 1 | 2, dir: string): NativeOomWatch {
  return { kind, dir, ...native.oomWatchOpen(kind, dir) };
}

/** The OOMs within `timeoutMs` (0 when none), or -1 once the cgroup is gone; `watch` is updated. */
export async function oomWatchWait(watch: NativeOomWatch, timeoutMs: number): Promise<number> {
  const r = await native.oomWatchWait(watch.kind, watch.dir, watch.fd, watch.count, timeoutMs);
  watch.count = r.count;
  return r.ooms;
}

/** A close-on-exec AF_UNIX stream socket connected to `path` (a console socket). */
export function connectUnix(path: string): number {
  return native.connectUnix(path);
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

/**
 * Set FS_TOPDIR_FL (`chattr +T`) on a directory, so that ext4 places the directories made in it
 * in block groups of their own (its Orlov allocator, as for the root's). False when the file
 * system has no such flag.
 */
export function markTopDirectory(path: string): boolean {
  return native.markTopDirectory(path);
}

/**
 * Create the files in order on a worker thread (each O_EXCL|O_NOFOLLOW, then its bytes, fchown,
 * fchmod, futimens). Resolves with the indices of the files that existed already, which are left
 * untouched; rejects with the first other failure (an errno error with `syscall`, `path` and the
 * file's `index`), the files after it not written.
 */
export function writeFiles(files: readonly FileToWrite[]): Promise<number[]> {
  return native.writeFiles(files);
}

/** The links and addresses of this process's network namespace (rtnetlink dumps). */
export function netInterfaces(): NetInterfaces {
  return native.netInterfaces();
}

/**
 * Create `path` (an empty file; EEXIST when one is there) and bind-mount a new network namespace
 * on it, in this process's mount namespace; this process's own network namespace is unchanged.
 * On failure the file is removed again. Throws an errno error (`code`, `syscall`, `path`).
 */
export function netnsPin(path: string): void {
  native.netnsPin(path);
}

/** Detach the mount on `path` (if any) and remove the file; a missing `path` is no error. */
export function netnsUnpin(path: string): void {
  native.netnsUnpin(path);
}

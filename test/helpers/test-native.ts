/**
 * The test addon (native/test/addon, tsrun_test_native.node, built beside the shipped addon): the
 * C decoder of init plans, the listening side of unix sockets, a seccomp agent's calls, and the
 * other system calls that only tests make. The product never loads it.
 */
import { createRequire } from 'module';
import * as path from 'path';
import { addonPath } from '../../runtime/native/binding';
import type { InitPlan } from '../../runtime/plan/types';

/** A syscall a seccomp filter's SCMP_ACT_NOTIFY rule stopped (struct seccomp_notif). */
export interface SeccompNotification {
  /** The cookie the answer names (u64, decimal). */
  id: string;
  /** The caller's pid, as the agent's pid namespace sees it. */
  pid: number;
  /** The syscall's name on the native architecture. */
  syscall: string;
  /** Its six arguments (u64, decimal). */
  args: string[];
}

interface TestBinding {
  decodePlan(plan: Buffer): InitPlan;
  listenUnix(path: string): number;
  acceptUnix(fd: number): number;
  deviceFilterCount(cgroupDir: string): number;
  waitReadable(fd: number, timeoutMs: number): boolean;
  seccompNotifyReceive(fd: number, timeoutMs: number): SeccompNotification | null;
  seccompNotifyRespond(fd: number, id: string, errno: number, value: number, proceed: boolean): void;
  setChildSubreaper(): void;
}

export const testAddonPath = path.join(path.dirname(addonPath), 'tsrun_test_native.node');

const binding = createRequire(__filename)(testAddonPath) as TestBinding;

/** What the C decoder read from `plan` (throws as spawnInit does on a malformed plan). */
export function decodePlan(plan: Buffer): InitPlan {
  return binding.decodePlan(plan);
}

/** A close-on-exec AF_UNIX stream socket listening on `path` (a console socket's receiving side). */
export function listenUnix(path: string): number {
  return binding.listenUnix(path);
}

/** The next connection on a listening socket (blocks). */
export function acceptUnix(fd: number): number {
  return binding.acceptUnix(fd);
}

/** How many device programs are attached to the v2 cgroup `cgroupDir`. */
export function deviceFilterCount(cgroupDir: string): number {
  return binding.deviceFilterCount(cgroupDir);
}

/** poll(2) for input on `fd` (a connection, data, a seccomp notification); false on timeout. */
export function waitReadable(fd: number, timeoutMs: number): boolean {
  return binding.waitReadable(fd, timeoutMs);
}

/**
 * A seccomp agent's wait for the next notification on a notify fd (SECCOMP_IOCTL_NOTIF_RECV);
 * null when none came within `timeoutMs`.
 */
export function seccompNotifyReceive(notifyFd: number, timeoutMs: number): SeccompNotification | null {
  return binding.seccompNotifyReceive(notifyFd, timeoutMs);
}

/**
 * Answer notification `id` (SECCOMP_IOCTL_NOTIF_SEND): the syscall fails with `answer.errno`,
 * returns `answer.value`, or runs as if never stopped (`proceed`).
 * @throws code ENOENT when the caller is gone (killed, or its wait interrupted).
 */
export function seccompNotifyRespond(notifyFd: number, id: string, answer: { errno?: number; value?: number; proceed?: boolean }): void {
  binding.seccompNotifyRespond(notifyFd, id, answer.errno ?? 0, answer.value ?? 0, answer.proceed ?? false);
}

/** PR_SET_CHILD_SUBREAPER: orphaned descendants become this process's children. */
export function setChildSubreaper(): void {
  binding.setChildSubreaper();
}

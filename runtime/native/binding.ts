/**
 * The compiled addon (native/src/addon), loaded once, with its raw interface typed. Use the API
 * of ./index.ts; this module is for it and for tests of the wire format (decodePlan).
 */
import * as fs from 'fs';
import { createRequire } from 'module';
import * as path from 'path';
import type { InitPlan, PlanFailure } from '../plan/types';

const ADDON_RELATIVE_PATH = path.join('build', 'native', 'Release', 'tsrun_native.node');

export interface ExitStatus {
  /** Exit code when the process exited, else null. */
  code: number | null;
  /** Number of the signal that killed it, else null. */
  signal: number | null;
}

/** The addon's handle of a spawn whose init waits at a parentHooks step. */
export type PausedSpawn = { readonly __pausedSpawn: unique symbol };

export type SpawnOutcome = { pid: number; paused?: PausedSpawn } | { failure: PlanFailure };

export interface NativeBinding {
  spawnInit(plan: Buffer): { pid: number } | { failure: PlanFailure };
  releaseInit(fifoPath: string, pid: number): void;
  /** spawnInit that stops where init waits for the runtime-namespace hooks (`paused`). */
  spawnInitStart(plan: Buffer): SpawnOutcome;
  spawnInitResume(paused: PausedSpawn): SpawnOutcome;
  /** Kill and reap the paused init. */
  spawnInitAbort(paused: PausedSpawn): void;
  /** What the C decoder read from `plan` (throws as spawnInit does on a malformed plan). */
  decodePlan(plan: Buffer): InitPlan;
  mkfifo(path: string, mode: number): void;
  flock(fd: number, mode: 'exclusive' | 'shared' | 'unlock', wait: boolean): boolean;
  detachMount(path: string): void;
  pidfdOpen(pid: number): number;
  pidfdSendSignal(pidfd: number, signal: number): void;
  waitExit(pid: number): Promise<ExitStatus>;
  setChildSubreaper(): void;
  errnoName(n: number): string;
  connectUnix(path: string): number;
  listenUnix(path: string): number;
  acceptUnix(fd: number): number;
  socketPair(): [number, number];
  recvFd(fd: number): { fd: number; name: string };
  resizeTerminal(fd: number, width: number, height: number): void;
  attachDeviceFilter(cgroupDir: string, insns: Buffer, license: string): void;
  deviceFilterCount(cgroupDir: string): number;
  oomWatchOpen(kind: number, dir: string): { fd: number; count: number };
  oomWatchWait(kind: number, dir: string, fd: number, count: number, timeoutMs: number): Promise<{ fd: number; count: number; ooms: number }>;
  waitReadable(fd: number, timeoutMs: number): boolean;
  seccompNotifyReceive(fd: number, timeoutMs: number): SeccompNotification | null;
  seccompNotifyRespond(fd: number, id: string, errno: number, value: number, proceed: boolean): void;
  mknod(path: string, mode: number, major: number, minor: number): void;
  lsetxattr(path: string, name: string, value: Buffer): void;
  llistxattr(path: string): string[];
  lgetxattr(path: string, name: string): Buffer;
}

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

/** The addon of the package this file belongs to, from the sources or from dist/. */
function findAddon(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, ADDON_RELATIVE_PATH);
    if (fs.existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) {
      throw new Error(`${ADDON_RELATIVE_PATH} not found above ${__dirname}: build it with \`npx cmake-js compile --out build/native\``);
    }
  }
}

/** Where the addon is (for a test that loads it in another process). */
export const addonPath = findAddon();

let loaded: NativeBinding | null = null;

/**
 * The addon's functions, the addon loaded on the first call of any rather than at import: tsrun's
 * startup snapshot (dist/tsrun.blob) is built by evaluating every module, and a snapshot can hold
 * no addon. createRequire, because the `require` that a snapshot's modules keep loads built-in
 * modules only.
 */
export const native = new Proxy({} as NativeBinding, {
  get(_target, name) {
    loaded ??= createRequire(__filename)(addonPath) as NativeBinding;
    return loaded[name as keyof NativeBinding];
  },
});

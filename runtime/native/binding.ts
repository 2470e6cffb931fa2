/**
 * The compiled addon (native/src/addon), loaded once, with its raw interface typed. Use the API
 * of ./index.ts. What only tests call is in the test addon (test/helpers/test-native.ts).
 */
import * as fs from 'fs';
import * as path from 'path';
import type { BpfInstruction, PlanFailure } from '../plan/types';
import { phase } from '../trace';

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
  /** @throws an Error carrying the failure record as `failure`. */
  releaseInit(fifoPath: string, pid: number): void;
  /** spawnInit that stops where init waits for the runtime-namespace hooks (`paused`). */
  spawnInitStart(plan: Buffer): SpawnOutcome;
  spawnInitResume(paused: PausedSpawn): SpawnOutcome;
  /** Kill and reap the paused init. */
  spawnInitAbort(paused: PausedSpawn): void;
  /** The filter the plan's seccomp step compiles to; null without one or when compiling fails. */
  seccompProgram(plan: Buffer): BpfInstruction[] | null;
  mkfifo(path: string, mode: number): void;
  flock(fd: number, mode: 'exclusive' | 'shared' | 'unlock', wait: boolean): boolean;
  detachMount(path: string): void;
  mountTmpfs(path: string, data: string): void;
  pidfdOpen(pid: number): number;
  pidfdSendSignal(pidfd: number, signal: number): void;
  waitExit(pid: number): Promise<ExitStatus>;
  runProgram(file: string, args: string[], env: string[], stdio: (number | null)[]): Promise<ExitStatus>;
  errnoName(n: number): string;
  connectUnix(path: string): number;
  socketPair(): [number, number];
  recvFd(fd: number): { fd: number; name: string };
  resizeTerminal(fd: number, width: number, height: number): void;
  attachDeviceFilter(cgroupDir: string, insns: Buffer, license: string): void;
  oomWatchOpen(kind: number, dir: string): { fd: number; count: number };
  oomWatchWait(kind: number, dir: string, fd: number, count: number, timeoutMs: number): Promise<{ fd: number; count: number; ooms: number }>;
  mknod(path: string, mode: number, major: number, minor: number): void;
  lsetxattr(path: string, name: string, value: Buffer): void;
  llistxattr(path: string): string[];
  lgetxattr(path: string, name: string): Buffer;
  markTopDirectory(path: string): boolean;
  writeFiles(files: readonly FileToWrite[]): Promise<number[]>;
  netInterfaces(): NetInterfaces;
  netnsPin(path: string): void;
  netnsUnpin(path: string): void;
}

/** A regular file for writeFiles: created O_EXCL (never through a symlink), then owned, moded and timed. */
export interface FileToWrite {
  path: string;
  data: Buffer;
  /** Permission bits, set exactly (setuid, setgid and sticky included). */
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch, as fs.utimes takes them. */
  atime: number;
  mtime: number;
}

/** The caller's network namespace as rtnetlink dumps it: attributes as the kernel gave them. */
export interface NetInterfaces {
  links: NetLink[];
  addresses: NetLinkAddress[];
}

/** RTM_NEWLINK: struct ifinfomsg and IFLA_* attributes (null: absent). */
export interface NetLink {
  index: number;
  name: string | null;
  mtu: number | null;
  /** ifi_flags (IFF_UP, IFF_LOWER_UP, ...). */
  flags: number;
}

/** RTM_NEWADDR: struct ifaddrmsg and IFA_* attributes (null: absent, or a family not IPv4/IPv6). */
export interface NetLinkAddress {
  /** The link's index (NetLink.index). */
  index: number;
  /** AF_INET, AF_INET6, ... */
  family: number;
  prefixLength: number;
  /** ifa_scope: RT_SCOPE_UNIVERSE (0), RT_SCOPE_LINK (253), RT_SCOPE_HOST (254), ... */
  scope: number;
  /** IFA_FLAGS (IFA_F_PERMANENT, ...), or ifa_flags when the kernel sent none. */
  flags: number;
  local: string | null;
  address: string | null;
  broadcast: string | null;
  label: string | null;
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
 * no addon. process.dlopen, as `require` of a .node file ends in, without the module resolution
 * before it (a millisecond of every tsrun command, measured), and because the `require` that a
 * snapshot's modules keep loads built-in modules only.
 */
export const native = new Proxy({} as NativeBinding, {
  get(_target, name) {
    loaded ??= phase('addon load', () => {
      const addon = { exports: {} as NativeBinding };
      process.dlopen(addon, addonPath);
      return addon.exports;
    });
    return loaded[name as keyof NativeBinding];
  },
});

/**
 * The compiled addon (native/src/addon), loaded once, with its raw interface typed. Use the API
 * of ./index.ts; this module is for it and for tests of the wire format (decodePlan).
 */
import * as fs from 'fs';
import * as path from 'path';
import type { InitPlan, PlanFailure } from '../plan/types';

const ADDON_RELATIVE_PATH = path.join('build', 'native', 'Release', 'tsrun_native.node');

export interface ExitStatus {
  /** Exit code when the process exited, else null. */
  code: number | null;
  /** Number of the signal that killed it, else null. */
  signal: number | null;
}

export interface NativeBinding {
  spawnInit(plan: Buffer): { pid: number } | { failure: PlanFailure };
  releaseInit(fifoPath: string, pid: number): void;
  /** What the C decoder read from `plan` (throws as spawnInit does on a malformed plan). */
  decodePlan(plan: Buffer): InitPlan;
  mkfifo(path: string, mode: number): void;
  flock(fd: number, mode: 'exclusive' | 'shared' | 'unlock', wait: boolean): boolean;
  pidfdOpen(pid: number): number;
  pidfdSendSignal(pidfd: number, signal: number): void;
  waitExit(pid: number): Promise<ExitStatus>;
  setChildSubreaper(): void;
  errnoName(n: number): string;
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

/** Where the addon was loaded from (for a test that loads it in another process). */
export const addonPath = findAddon();
export const native: NativeBinding = require(addonPath);

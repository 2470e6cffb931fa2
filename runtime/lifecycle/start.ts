/**
 * Start: release a created container's init through the exec fifo so that it runs the
 * startContainer hooks and execs the user process; then the poststart hooks, whose failures
 * are warnings (runtime.md § Lifecycle). The front end checks the status first.
 */
import * as fs from 'fs';
import * as path from 'path';
import { releaseInit } from '../native';
import { EXEC_FIFO } from './create';
import { runPoststartHooks, type HookRunner } from './hooks';
import { phase } from '../trace';

export interface StartFront {
  /** Init left without the start byte (a startContainer hook failed, or the process could not be run). */
  initGone(): Error;
  /** The init runs the process now: recorded before the poststart hooks run. */
  released?(): void;
  hookRunner: HookRunner;
  warn(message: string): void;
}

export async function startInit(stateDir: string, pid: number, front: StartFront): Promise<void> {
  const fifo = path.join(stateDir, EXEC_FIFO);
  try {
    releaseInit(fifo, pid);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EPIPE' || code === 'ESRCH') throw front.initGone();
    throw err;
  }
  phase('fifo remove', () => fs.rmSync(fifo, { force: true }));
  front.released?.();
  await runPoststartHooks(stateDir, pid, front.hookRunner, front.warn);
}

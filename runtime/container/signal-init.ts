/** Signalling a container's init: through a pidfd, and only after checking it is still that process. */
import * as fs from 'fs';
import { ContainerError } from '../errors';
import { pidfdOpen, pidfdSendSignal } from '../native';
import { runPoll, runPollSync, type Poll } from '../poll-wait';
import { isSameLiveProcess } from '../state/proc';
import type { StoredState } from '../state/store';

export function signalInit(state: StoredState, signal: number): void {
  let fd: number;
  try {
    fd = pidfdOpen(state.pid);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') throw new ContainerError('container not running');
    throw err;
  }
  try {
    // The pidfd pins the process: if the start time matches now, the signal reaches that process.
    if (!isSameLiveProcess(state.pid, state.initStartTime)) throw new ContainerError('container not running');
    pidfdSendSignal(fd, signal);
  } finally {
    fs.closeSync(fd);
  }
}

function* initExiting(state: StoredState, timeoutMs: number): Poll<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isSameLiveProcess(state.pid, state.initStartTime)) {
    if (Date.now() > deadline) return false;
    yield 5;
  }
  return true;
}

/** Resolves true once the init is gone (a zombie counts as gone), false when `timeoutMs` pass first. */
export function waitForInitExit(state: StoredState, timeoutMs: number): Promise<boolean> {
  return runPoll(initExiting(state, timeoutMs));
}

/** waitForInitExit(), blocking the thread meanwhile (tsrun). */
export function waitForInitExitSync(state: StoredState, timeoutMs: number): boolean {
  return runPollSync(initExiting(state, timeoutMs));
}

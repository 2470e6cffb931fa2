/** Signalling a container's init: through a pidfd, and only after checking it is still that process. */
import * as fs from 'fs';
import { TsrunError } from '../../common/errors';
import { pidfdOpen, pidfdSendSignal } from '../native';
import { runPoll, type Poll } from '../poll-wait';
import { isSameLiveProcess } from '../state/proc';

/** The init as recorded at create: its pid and /proc start time (a recycled pid is never signalled). */
export interface InitProcess {
  pid: number;
  initStartTime: string;
}

export function signalInit(init: InitProcess, signal: number): void {
  let fd: number;
  try {
    fd = pidfdOpen(init.pid);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') throw new TsrunError('container not running');
    throw err;
  }
  try {
    // The pidfd pins the process: if the start time matches now, the signal reaches that process.
    if (!isSameLiveProcess(init.pid, init.initStartTime)) throw new TsrunError('container not running');
    pidfdSendSignal(fd, signal);
  } finally {
    fs.closeSync(fd);
  }
}

function* initExiting(init: InitProcess, timeoutMs: number): Poll<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isSameLiveProcess(init.pid, init.initStartTime)) {
    if (Date.now() > deadline) return false;
    yield 5;
  }
  return true;
}

/** Resolves true once the init is gone (a zombie counts as gone), false when `timeoutMs` pass first. */
export function waitForInitExit(init: InitProcess, timeoutMs: number): Promise<boolean> {
  return runPoll(initExiting(init, timeoutMs));
}

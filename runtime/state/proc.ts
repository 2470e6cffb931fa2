/** What /proc says about a process: enough to tell a live container init from a recycled pid. */
import * as fs from 'fs';
import { hasErrno } from '../../common/errors';

export interface ProcStat {
  /** One-letter state: R, S, D, Z, T, ... */
  state: string;
  /** Start time in clock ticks since boot (field 22): a pid plus this names one process forever. */
  startTime: string;
}

/** Parse /proc/<pid>/stat text. The command name may hold spaces and parentheses: split after the last ')'. */
export function parseProcStat(text: string): ProcStat {
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); field 22 is rest[19].
  return { state: rest[0], startTime: rest[19] };
}

export function readProcStat(pid: number): ProcStat | null {
  try {
    return parseProcStat(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch (err) {
    if (hasErrno(err, 'ENOENT', 'ESRCH')) return null; // no such process (any more)
    throw err;
  }
}

/** True while `pid` is the very process that started at `startTime` and has not exited. */
export function isSameLiveProcess(pid: number, startTime: string): boolean {
  if (pid <= 0) return false;
  const stat = readProcStat(pid);
  return stat !== null && stat.startTime === startTime && stat.state !== 'Z' && stat.state !== 'X';
}

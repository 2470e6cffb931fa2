/**
 * What ps shows of a process, read from /proc on tsrund's host (docker top): /proc/<pid>/stat
 * (proc(5): ppid, tty_nr, utime, stime, starttime in clock ticks since boot), /proc/<pid>/status
 * (the real uid), /proc/<pid>/cmdline.
 */
import * as fs from 'fs';
import type { ProcessInfo } from '../api/types';
import { timestampOf } from '../api/timestamp';

/** USER_HZ: Linux reports times in /proc in these ticks, 100 a second on every architecture it runs on. */
const CLOCK_TICKS = 100;
const PTS_MAJOR_FIRST = 136;
const PTS_MAJOR_LAST = 143;

/** The boot time in ms since the epoch (/proc/stat's btime). */
function bootTimeMs(): number {
  const m = /^btime (\d+)$/m.exec(fs.readFileSync('/proc/stat', 'utf8'));
  return m ? Number(m[1]) * 1000 : 0;
}

/** tty_nr as ps names it: "pts/N" for a pseudo-terminal, "" for none, else "major,minor". */
function ttyName(nr: number): string {
  if (nr === 0) return '';
  const major = (nr >> 8) & 0xfff;
  const minor = (nr & 0xff) | ((nr >> 12) & 0xfff00);
  if (major >= PTS_MAJOR_FIRST && major <= PTS_MAJOR_LAST) return `pts/${(major - PTS_MAJOR_FIRST) * 256 + minor}`;
  return `${major},${minor}`;
}

/** One process's entry; null once it is gone. */
function processInfo(pid: number, boot: number): ProcessInfo | null {
  let stat: string;
  let status: string;
  let cmdline: Buffer;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    cmdline = fs.readFileSync(`/proc/${pid}/cmdline`);
  } catch {
    return null;
  }
  // The name is in parentheses and may hold anything, spaces and ')' included: the fields follow the last ')'.
  const close = stat.lastIndexOf(')');
  const name = stat.slice(stat.indexOf('(') + 1, close);
  const f = stat.slice(close + 2).split(' ');
  // Fields counted from 3 (state) in proc(5): ppid 4, tty_nr 7, utime 14, stime 15, starttime 22.
  const field = (n: number) => Number(f[n - 3]);
  const args = cmdline
    .toString('utf8')
    .split('\0')
    .filter((a, i, all) => a !== '' || i < all.length - 1);
  return {
    pid,
    ppid: field(4),
    uid: Number(/^Uid:\s+(\d+)/m.exec(status)?.[1] ?? 0),
    startedAt: timestampOf(new Date(boot + (field(22) * 1000) / CLOCK_TICKS)),
    tty: ttyName(field(7)),
    cpuNanoseconds: ((field(14) + field(15)) * 1e9) / CLOCK_TICKS,
    command: args.length > 0 ? args.join(' ') : `[${name}]`,
  };
}

/** The entries of `pids` still running, sorted by pid. */
export function processInfos(pids: readonly number[]): ProcessInfo[] {
  const boot = bootTimeMs();
  return [...pids]
    .sort((a, b) => a - b)
    .map((pid) => processInfo(pid, boot))
    .filter((p): p is ProcessInfo => p !== null);
}

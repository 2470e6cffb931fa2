/**
 * Reading a container's log as its monitor writes it (native/src/monitor/log.c): the CRI log
 * format, one record a line, `<RFC 3339 time> <stdout|stderr> <F|P> <text>`, P marking a part of
 * a line whose end comes later. Following polls the file until the task has exited and
 * everything it wrote was read.
 */
import * as fs from 'fs';
import type { LogEntry } from '../api/types';
import { timestampFromRfc3339 } from '../api/timestamp';

const FOLLOW_POLL_MS = 100;
const CHUNK = 64 * 1024;

/** One log record -> an entry; a line not in the format comes back whole as stdout text. */
export function parseLogLine(line: string): LogEntry {
  const m = /^(\S+) (stdout|stderr) ([FP]) (.*)$/s.exec(line);
  const time = m ? timestampFromRfc3339(m[1]) : null;
  if (!m || !time) return { time: null, stream: 'stdout', text: line, partial: false };
  return { time, stream: m[2], text: m[4], partial: m[3] === 'P' };
}

export interface FollowOptions {
  follow: boolean;
  /** While true, end of file means "wait for more". */
  isLive(): boolean;
  /** Set when the reader should stop (the client went away). */
  cancelled(): boolean;
  /** Resolves once the process exited (never rejects), so that a follower ends at once rather than at its next poll. */
  exited?: Promise<unknown>;
}

export async function* readLog(file: string, o: FollowOptions): AsyncGenerator<LogEntry> {
  let fd: number | null = null;
  let offset = 0;
  let partial = '';
  const buf = Buffer.alloc(CHUNK);
  try {
    for (;;) {
      if (o.cancelled()) return;
      const live = o.follow && o.isLive();
      fd ??= openIfExists(file);
      let n = 0;
      if (fd !== null) {
        while ((n = fs.readSync(fd, buf, 0, CHUNK, offset)) > 0) {
          offset += n;
          const lines = (partial + buf.toString('utf8', 0, n)).split('\n');
          partial = lines.pop()!;
          for (const line of lines) yield parseLogLine(line);
          if (o.cancelled()) return;
        }
      }
      // Read once more after the task was seen gone: what it wrote last is in the file now.
      if (!live) break;
      await pollDelay(o.exited);
    }
    if (partial !== '') yield parseLogLine(partial);
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}

async function pollDelay(exited: Promise<unknown> | undefined): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const delay = new Promise<void>((resolve) => (timer = setTimeout(resolve, FOLLOW_POLL_MS)));
  try {
    await (exited ? Promise.race([delay, exited]) : delay);
  } finally {
    clearTimeout(timer);
  }
}

function openIfExists(file: string): number | null {
  try {
    return fs.openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

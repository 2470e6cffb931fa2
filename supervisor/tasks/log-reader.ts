/**
 * Reading a container's log as its monitor writes it (native/src/monitor/log.c): the CRI log
 * format, one record a line, `<RFC 3339 time> <stdout|stderr> <F|P> <bytes>`, P marking a part of
 * a line whose end comes later. Following polls the file until the task has exited and
 * everything it wrote was read.
 *
 * The format is binary-safe as the monitor writes it: a record holds the process's bytes as they
 * were, cut only at newlines (which F stands for), as containerd's CRI logs do. So the log is the
 * one output path, attached clients included, and entries carry the record's bytes (`data`):
 * reading it as text would turn every byte sequence that is not UTF-8 into U+FFFD.
 */
import * as fs from 'fs';
import type { LogEntry } from '../api/types';
import { timestampFromRfc3339 } from '../api/timestamp';

const FOLLOW_POLL_MS = 100;
const CHUNK = 64 * 1024;
const NEWLINE = 0x0a;
const RECORD_HEAD = /^(\S+) (stdout|stderr) ([FP]) /;
/** Longer than any record head (time, stream, tag), so a head is always within this prefix. */
const HEAD_MAX = 64;

/** One log record (without its newline) -> an entry; a line not in the format comes back whole as stdout. */
export function parseLogLine(line: Buffer): LogEntry {
  const m = RECORD_HEAD.exec(line.toString('latin1', 0, Math.min(line.length, HEAD_MAX)));
  const time = m ? timestampFromRfc3339(m[1]) : null;
  const entry = (data: Buffer, stream = 'stdout', partial = false): LogEntry => ({
    time,
    stream,
    text: data.toString('utf8'),
    partial,
    data,
  });
  if (!m || !time) return entry(line);
  return entry(line.subarray(m[0].length), m[2], m[3] === 'P');
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
  /** The start of a record whose newline was not read yet. */
  let rest = Buffer.alloc(0);
  try {
    for (;;) {
      if (o.cancelled()) return;
      const live = o.follow && o.isLive();
      fd ??= openIfExists(file);
      let n = 0;
      if (fd !== null) {
        // A new buffer each read: entries hand out views of it.
        let buf = Buffer.allocUnsafe(CHUNK);
        while ((n = fs.readSync(fd, buf, 0, CHUNK, offset)) > 0) {
          offset += n;
          const chunk = rest.length ? Buffer.concat([rest, buf.subarray(0, n)]) : buf.subarray(0, n);
          let start = 0;
          for (let nl = chunk.indexOf(NEWLINE); nl >= 0; nl = chunk.indexOf(NEWLINE, start)) {
            yield parseLogLine(chunk.subarray(start, nl));
            start = nl + 1;
          }
          rest = Buffer.from(chunk.subarray(start));
          buf = Buffer.allocUnsafe(CHUNK);
          if (o.cancelled()) return;
        }
      }
      // Read once more after the task was seen gone: what it wrote last is in the file now.
      if (!live) break;
      await pollDelay(o.exited);
    }
    if (rest.length > 0) yield parseLogLine(rest);
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

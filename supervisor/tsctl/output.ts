/**
 * tsctl's output: aligned tables for people, JSON for scripts, written synchronously (tsctl exits
 * right after); a process's output (run, exec, logs) as bytes at the pace of tsctl's reader.
 */
import * as fs from 'fs';
import type { LogEntry, Timestamp } from '../api/types';
import { rfc3339Of } from '../api/timestamp';
import { TsrunError } from '../../common/errors';

/**
 * tsctl's exit status once the reader of its stdout went away (`tsctl logs c | head`): what a
 * shell shows for a process SIGPIPE ended, which is how docker and nerdctl (Go programs) end
 * there. Node ignores SIGPIPE, so tsctl exits with the status instead, without a message.
 */
export const STDOUT_CLOSED_EXIT = 128 + 13;

export class StdoutClosedError extends TsrunError {
  constructor() {
    super('stdout was closed by its reader', { code: 'unavailable', subject: 'stdout' });
    this.name = 'StdoutClosedError';
  }
}

/** Whether `err` says stdout's reader went away (an async write's error, or a sync write's EPIPE). */
export const isStdoutClosed = (err: unknown): boolean =>
  err instanceof StdoutClosedError || (err as NodeJS.ErrnoException | null)?.code === 'EPIPE';

export function out(text: string): void {
  const buf = Buffer.from(text);
  for (let off = 0; off < buf.length;) off += fs.writeSync(1, buf, off);
}

export function printJson(value: unknown): void {
  out(JSON.stringify(value, null, 2) + '\n');
}

/** Columns padded to their widest cell, as `docker ps` prints. */
export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('   ')
      .trimEnd();
  out([header, ...rows].map(line).join('\n') + '\n');
}

/** A timestamp as RFC 3339 (or "" when unset), the form JSON output carries. */
export function timeText(ts: Timestamp | null): string {
  return rfc3339Of(ts);
}

/** "3 seconds ago" style, for tables. */
export function ago(ts: Timestamp | null, now = Date.now()): string {
  if (!ts) return '';
  const s = Math.max(0, Math.round(now / 1000 - ts.seconds));
  if (s < 60) return `${s} second${s === 1 ? '' : 's'} ago`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} minute${m === 1 ? '' : 's'} ago`;
  const h = Math.round(m / 60);
  if (h < 48) return `${h} hour${h === 1 ? '' : 's'} ago`;
  return `${Math.round(h / 24)} days ago`;
}

export function bytesText(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v}B` : `${v.toFixed(1)}${units[i]}`;
}

let stdoutClosed = false;
let watching = false;
/** Writes of writeOutput() not yet handed to the kernel, and who waits for them (flushOutput). */
let unwritten = 0;
const flushed: (() => void)[] = [];

/** An EPIPE on stdout or stderr is an 'error' event of the stream: without a listener, a crash with a stack trace. */
function watchOutputs(): void {
  if (watching) return;
  watching = true;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') stdoutClosed = true;
  });
  // Nothing can be told once stderr is gone: what goes there is lost.
  process.stderr.on('error', () => undefined);
}

/** Write `data` to tsctl's stdout or stderr; resolves once the stream takes more (the reader's pace). */
export function writeOutput(stream: 'stdout' | 'stderr', data: Buffer | string): Promise<void> {
  watchOutputs();
  const s = process[stream];
  if (stream === 'stdout' && stdoutClosed) return Promise.reject(new StdoutClosedError());
  // What is written until the event loop next turns goes out in one writev, not a system call a line.
  if (!s.writableCorked) {
    s.cork();
    setImmediate(() => s.uncork());
  }
  unwritten++;
  const written = s.write(data, () => {
    if (--unwritten === 0) for (const f of flushed.splice(0)) f();
  });
  if (written) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = () => {
      s.off('drain', done);
      s.off('error', done);
      if (stream === 'stdout' && stdoutClosed) reject(new StdoutClosedError());
      else resolve();
    };
    s.on('drain', done);
    s.on('error', done);
  });
}

const NEWLINE = Buffer.from('\n');

/** A log entry's bytes as the process wrote them, to the stream it wrote them to (`prefix` before them). */
export function writeLogEntry(e: LogEntry, prefix = ''): Promise<void> {
  const parts = [Buffer.from(prefix), e.data, e.partial ? Buffer.alloc(0) : NEWLINE];
  return writeOutput(e.stream === 'stderr' ? 'stderr' : 'stdout', Buffer.concat(parts));
}

/** Resolves once what writeOutput() queued is written (process.exit would drop it), or failed to be. */
export function flushOutput(): Promise<void> {
  if (unwritten === 0 || stdoutClosed) return Promise.resolve();
  return new Promise((resolve) => flushed.push(resolve));
}

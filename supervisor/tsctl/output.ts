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

/**
 * Columns padded to their widest cell and 3 spaces, at least `minWidth` wide (docker's tables:
 * Go's tabwriter with padding 3, `docker ps` with a minimum width of 10); the last one unpadded.
 */
export function tableText(header: string[], rows: string[][], minWidth = 0): string {
  const widths = header.map((h, i) => Math.max(minWidth, 3 + Math.max(h.length, ...rows.map((r) => r[i].length))));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('')
      .trimEnd();
  return [header, ...rows].map(line).join('\n') + '\n';
}

export function printTable(header: string[], rows: string[][]): void {
  out(tableText(header, rows));
}

/** A timestamp as RFC 3339 (or "" when unset), the form JSON output carries. */
export function timeText(ts: Timestamp | null): string {
  return rfc3339Of(ts);
}

/** A span of time in docker's words (go-units' HumanDuration): "Less than a second", "About a minute", "3 hours". */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(seconds / 60);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.floor(ms / 3_600_000 + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(Math.floor(ms / 3_600_000) / 24 / 365)} years`;
}

/** The milliseconds since the epoch of a timestamp (0 when unset). */
export const msOf = (ts: Timestamp | null): number => (ts ? ts.seconds * 1000 + Math.floor(ts.nanos / 1e6) : 0);

/** "3 seconds ago", as docker's tables say it ("" when unset). */
export function ago(ts: Timestamp | null, now = Date.now()): string {
  return ts ? `${humanDuration(Math.max(0, now - msOf(ts)))} ago` : '';
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

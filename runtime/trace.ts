/**
 * Where one tsrun command spends its time, phase by phase: on when TSRUN_TRACE names a file, to
 * which the command appends one JSON line as it exits (TraceRecord); `npm run bench` reads it.
 * Off, a phase costs one comparison: nothing is timed or kept. Phases may nest (`run` holds
 * `create`); a phase that recurs (each state write) gives one span per time.
 */
import * as fs from 'fs';
import { performance } from 'perf_hooks';

/** One phase: its name and when it began and ended, ms since the process started. */
export interface TraceSpan {
  name: string;
  start: number;
  end: number;
}

export interface TraceRecord {
  /** The command (create, start, run, ...), as main parsed it. */
  command: string;
  pid: number;
  /** Node's own start-up, ms since the process started: V8 up, environment (and snapshot) ready, bootstrap done. */
  node: { v8Start: number; environment: number; bootstrapComplete: number };
  /** When tsrun's own code began (the snapshot's main function, or the bundle's first line). */
  main: number;
  spans: TraceSpan[];
  /** When the command was done and the process about to exit. */
  exit: number;
}

let sink: string | null = null;
let command = '';
let main = 0;
const spans: TraceSpan[] = [];

/**
 * Read TSRUN_TRACE (at run time: the startup snapshot evaluated this module where it was built)
 * and, when it names a file, record from now on and append the record there at exit.
 */
export function startTrace(): void {
  sink = process.env.TSRUN_TRACE || null;
  if (sink === null) return;
  main = performance.now();
  const file = sink;
  process.on('exit', () => {
    const t = performance.nodeTiming;
    const record: TraceRecord = {
      command,
      pid: process.pid,
      node: { v8Start: t.v8Start, environment: t.environment, bootstrapComplete: t.bootstrapComplete },
      main,
      spans,
      exit: performance.now(),
    };
    // One write of one line with O_APPEND: commands running at once do not interleave.
    fs.appendFileSync(file, JSON.stringify(record) + '\n');
  });
}

/** Name the command being traced. */
export function traceCommand(name: string): void {
  command = name;
}

/** Run `fn` as the phase `name` (a promise's phase ends when it settles). */
export function phase<T>(name: string, fn: () => T): T {
  if (sink === null) return fn();
  const start = performance.now();
  const end = () => spans.push({ name, start, end: performance.now() });
  let result: T;
  try {
    result = fn();
  } catch (err) {
    end();
    throw err;
  }
  if (result instanceof Promise) return result.finally(end) as T;
  end();
  return result;
}

/**
 * Where tsrund spends its time, for the benchmarks (bench/supervisor.ts, bench/images.ts): with
 * TSRUND_TRACE=<file> in its environment the daemon (and each tsrun-monitor it starts, which
 * inherits the variable) appends one JSON line per timed phase, {"phase","subject","ms"}, to that
 * file; without it nothing is timed and nothing is written. Lines are short single writes to an
 * O_APPEND file, so the daemon's and the monitors' lines never interleave.
 */
import * as fs from 'fs';
import { performance } from 'perf_hooks';

export const TRACE_ENV = 'TSRUND_TRACE';

export interface TraceLine {
  phase: string;
  /** What the phase was about: a container id, a layer digest, a file. */
  subject: string;
  ms: number;
}

const traceFile = process.env[TRACE_ENV] || null;
let traceFd: number | null = null;

/** True when phases are recorded (the variable is set). */
export const tracing = traceFile !== null;

function record(phase: string, subject: string, ms: number): void {
  traceFd ??= fs.openSync(traceFile!, 'a', 0o600);
  fs.writeSync(traceFd, `${JSON.stringify({ phase, subject, ms: Number(ms.toFixed(3)) } satisfies TraceLine)}\n`);
}

/** `fn`'s time, to its promise's settling when it returns one, recorded as `phase` of `subject`. */
export function traced<T>(phase: string, subject: string, fn: () => T): T {
  if (!tracing) return fn();
  const t0 = performance.now();
  let result: T;
  try {
    result = fn();
  } catch (err) {
    record(phase, subject, performance.now() - t0);
    throw err;
  }
  if (result instanceof Promise) return result.finally(() => record(phase, subject, performance.now() - t0)) as T;
  record(phase, subject, performance.now() - t0);
  return result;
}

/** A phase timed elsewhere (`ms` long). */
export function traceSpan(phase: string, subject: string, ms: number): void {
  if (tracing) record(phase, subject, ms);
}

/** Phases that follow one another through callbacks: each lap records the time since the last. */
export interface Laps {
  lap(phase: string): void;
}

const NO_LAPS: Laps = { lap: () => undefined };

export function laps(subject: string): Laps {
  if (!tracing) return NO_LAPS;
  let last = performance.now();
  return {
    lap(phase) {
      const now = performance.now();
      record(phase, subject, now - last);
      last = now;
    },
  };
}

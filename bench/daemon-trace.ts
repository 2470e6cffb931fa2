/**
 * tsrund's phase trace (supervisor/shared/trace.ts) as the daemon benchmarks show it: the bench
 * starts tsrund with TSRUND_TRACE naming a file, empties it before a traced pass, and afterwards
 * sums each phase over the pass and divides by the number of operations in it (containers run,
 * images pulled).
 */
import * as fs from 'fs';
import { TRACE_ENV, type TraceLine } from '../supervisor/shared/trace';

export interface TracePhase {
  phase: string;
  /** Mean time per operation (ms). */
  msPerOp: number;
  /** How often the phase ran per operation. */
  callsPerOp: number;
}

/** The trace file tsrund started now writes to (the environment it inherits). */
export function enableTrace(file: string): void {
  process.env[TRACE_ENV] = file;
  fs.writeFileSync(file, '');
}

/** Start a traced pass: what the file holds so far is dropped. */
export function clearTrace(file: string): void {
  fs.truncateSync(file, 0);
}

/**
 * The phases the file holds, in order of their first line, over `ops` operations; `key` names the
 * row a line counts to (its phase, or its phase and subject to tell layers apart).
 */
export function readTrace(file: string, ops: number, key: (line: TraceLine) => string = (l) => l.phase): TracePhase[] {
  const rows = new Map<string, { ms: number; calls: number }>();
  for (const text of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!text) continue;
    const line = JSON.parse(text) as TraceLine;
    const row = rows.get(key(line)) ?? { ms: 0, calls: 0 };
    row.ms += line.ms;
    row.calls++;
    rows.set(key(line), row);
  }
  return [...rows].map(([phase, r]) => ({ phase, msPerOp: Number((r.ms / ops).toFixed(3)), callsPerOp: Number((r.calls / ops).toFixed(2)) }));
}

/** A markdown table of `phases`. */
export function traceMarkdown(phases: TracePhase[], per: string): string[] {
  return [
    `| phase | ms per ${per} | runs per ${per} |`,
    '|---|---:|---:|',
    ...phases.map((p) => `| ${p.phase} | ${p.msPerOp.toFixed(2)} | ${p.callsPerOp} |`),
  ];
}

/**
 * tsrun's per-phase trace (runtime/trace.ts, TSRUN_TRACE=FILE) summed up (pure): for each command,
 * the median self time of each phase over the traced calls. A phase's self time leaves out the
 * phases within it, so a command's rows add up to its time from process start to exit; the
 * command's own row is what no phase names.
 */
import type { TraceRecord, TraceSpan } from '../runtime/trace';
import { summarize } from './stats';

/** The median ms of each phase of one command, in the order the phases first began. */
export interface CommandTrace {
  command: string;
  calls: number;
  phases: { name: string; ms: number }[];
  /** Median time from process start to exit. */
  totalMs: number;
}

/** Node's start-up before tsrun's code runs, as phases of their own. */
const NODE_PHASES = ['node: exec to V8 start', 'node: V8 start to environment (snapshot deserialised)', 'node: bootstrap to tsrun main'];
const AFTER = 'exit (after the command)';

export function parseTrace(text: string): TraceRecord[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as TraceRecord);
}

const contains = (outer: TraceSpan, inner: TraceSpan) => outer !== inner && outer.start <= inner.start && inner.end <= outer.end;

/** Each phase's self time in one record (phases of one name summed), in the order they began. */
export function selfTimes(record: TraceRecord): Map<string, number> {
  const spans = [...record.spans].sort((a, b) => a.start - b.start || b.end - a.end);
  const times = new Map<string, number>([
    [NODE_PHASES[0], record.node.v8Start],
    [NODE_PHASES[1], record.node.environment - record.node.v8Start],
    [NODE_PHASES[2], record.main - record.node.environment],
  ]);
  const top = spans.filter((s) => !spans.some((o) => contains(o, s)));
  // What ran in main outside any phase (global flags, the state store), and after it.
  const lastEnd = Math.max(record.main, ...top.map((s) => s.end));
  const outside = lastEnd - record.main - top.reduce((sum, s) => sum + (s.end - s.start), 0);
  times.set('main, outside any phase', outside);
  for (const s of spans) {
    const children = spans.filter((c) => contains(s, c) && !spans.some((m) => m !== s && contains(s, m) && contains(m, c)));
    const self = s.end - s.start - children.reduce((sum, c) => sum + (c.end - c.start), 0);
    times.set(s.name, (times.get(s.name) ?? 0) + self);
  }
  times.set(AFTER, record.exit - lastEnd);
  return times;
}

/** The medians per command, commands in the order first traced. */
export function summarizeTrace(records: TraceRecord[]): CommandTrace[] {
  const byCommand = new Map<string, TraceRecord[]>();
  for (const r of records) byCommand.set(r.command, [...(byCommand.get(r.command) ?? []), r]);
  return [...byCommand].map(([command, rs]) => {
    const perCall = rs.map(selfTimes);
    const names: string[] = [];
    for (const times of perCall) for (const name of times.keys()) if (!names.includes(name)) names.push(name);
    return {
      command,
      calls: rs.length,
      phases: names.map((name) => ({ name, ms: summarize(perCall.map((t) => t.get(name) ?? 0)).median })),
      totalMs: summarize(rs.map((r) => r.exit)).median,
    };
  });
}

/** One markdown table: a row per phase, a column per command. */
export function renderTrace(traces: CommandTrace[]): string {
  if (traces.length === 0) return '';
  const names: string[] = [];
  for (const t of traces) for (const p of t.phases) if (!names.includes(p.name)) names.push(p.name);
  const head = ['phase (median self time, ms)', ...traces.map((t) => `\`${t.command}\` (${t.calls})`)];
  const row = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const lines = [row(head), `|${head.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`];
  for (const name of names) {
    lines.push(row([name, ...traces.map((t) => t.phases.find((p) => p.name === name)?.ms.toFixed(2) ?? '–')]));
  }
  lines.push(row(['**process start to exit (median)**', ...traces.map((t) => `**${t.totalMs.toFixed(1)}**`)]));
  return lines.join('\n');
}

import type { TraceRecord } from '../runtime/trace';
import { parseTrace, renderTrace, selfTimes, summarizeTrace } from './trace';

function record(command: string, scale: number): TraceRecord {
  return {
    command,
    pid: 1,
    node: { v8Start: 2, environment: 10, bootstrapComplete: 14 },
    main: 15,
    spans: [
      { name: 'flags', start: 15, end: 16 },
      { name: command, start: 16, end: 16 + 20 * scale },
      { name: 'state write', start: 16 + scale, end: 16 + 3 * scale },
      { name: 'spawn', start: 16 + 4 * scale, end: 16 + 14 * scale },
      { name: 'state write', start: 16 + 15 * scale, end: 16 + 18 * scale },
    ],
    exit: 17 + 20 * scale,
  };
}

describe('selfTimes', () => {
  test("a phase's self time leaves out the phases within it; recurring phases add up; node's start-up and the exit count too", () => {
    const times = selfTimes(record('create', 1));
    expect(Object.fromEntries(times)).toEqual({
      'node: exec to V8 start': 2,
      'node: V8 start to environment (snapshot deserialised)': 8,
      'node: bootstrap to tsrun main': 5,
      'main, outside any phase': 0,
      flags: 1,
      create: 20 - 2 - 10 - 3,
      'state write': 5,
      spawn: 10,
      'exit (after the command)': 1,
    });
    // The rows add up to the time from process start to exit.
    expect([...times.values()].reduce((a, b) => a + b, 0)).toBe(37);
  });
});

describe('summarizeTrace', () => {
  test('medians per command over its calls, rendered as a column each', () => {
    const text = [record('create', 1), record('create', 2), record('create', 3), record('start', 1)].map((r) => JSON.stringify(r)).join('\n') + '\n';
    const traces = summarizeTrace(parseTrace(text));
    expect(traces.map((t) => [t.command, t.calls, t.totalMs])).toEqual([['create', 3, 57], ['start', 1, 37]]);
    expect(traces[0].phases.find((p) => p.name === 'spawn')?.ms).toBe(20);
    const table = renderTrace(traces);
    expect(table).toContain('| phase (median self time, ms) | `create` (3) | `start` (1) |');
    expect(table).toContain('| spawn | 20.00 | 10.00 |');
    expect(table).toContain('| create | 10.00 | – |');
  });
});

import { BenchResults, FLOOR, goalRows, perSecond, renderMarkdown, renderSvg } from './report';
import { ratio, summarize } from './stats';

describe('summarize', () => {
  test('median and p95 are measured samples, by nearest rank', () => {
    const s = summarize([5, 1, 4, 2, 3]);
    expect(s).toEqual({ n: 5, median: 3, p95: 5, min: 1, max: 5 });
    const hundred = summarize(Array.from({ length: 100 }, (_, i) => 100 - i));
    expect(hundred.median).toBe(50);
    expect(hundred.p95).toBe(95);
  });

  test('one sample is its own median and p95; none is an error', () => {
    expect(summarize([7])).toMatchObject({ median: 7, p95: 7 });
    expect(() => summarize([])).toThrow('no samples');
  });

  test('ratio is null without a figure to divide by', () => {
    expect(ratio(6, 3)).toBe(2);
    expect(ratio(6, undefined)).toBeNull();
    expect(ratio(6, 0)).toBeNull();
  });
});

const one = (v: number) => summarize([v]);

function results(withCrun: boolean): BenchResults {
  const runtime = (name: string, run: number, rssKiB: number) => ({
    name,
    version: '1.0',
    run: one(run),
    create: one(run / 2),
    start: one(run / 4),
    createStart: one((run * 3) / 4),
    delete: one(run / 8),
    parallelWall: one(run * 10),
    peakRssKiB: one(rssKiB),
  });
  return {
    date: '2026-01-02T03:04:05.000Z',
    host: { kernel: '6.1', cpus: 2, cpuModel: 'CPU <x>', node: 'v20.0.0', loadavg: [0.5, 1.25] },
    iterations: 10,
    parallel: { containers: 50, rounds: 3 },
    runtimes: [
      { name: FLOOR, version: 'v20.0.0', run: one(30), peakRssKiB: one(40 * 1024) },
      runtime('tsrun', 80, 50 * 1024),
      runtime('runc', 40, 10 * 1024),
      ...(withCrun ? [runtime('crun', 20, 4 * 1024)] : []),
    ],
  };
}

describe('renderMarkdown', () => {
  const md = renderMarkdown(results(true));

  test('a column per runtime and a ratio column per runtime compared with', () => {
    expect(md).toContain('|  | `node -e 0` | `tsrun` | `runc` | `crun` | tsrun / runc | tsrun / crun |');
    expect(md).toContain('| run /bin/true, median (ms) | 30.0 | 80.0 | 40.0 | 20.0 | 2.00 | 4.00 |');
    // containers/s: 50 in 800 ms for tsrun, 400 ms for runc.
    expect(md).toContain('| 50 in parallel, containers/s (higher is better) | – | 62.5 | 125.0 | 250.0 | 0.50 | 0.25 |');
    expect(md).toContain('| peak RSS, median (MiB) | 40.0 | 50.0 | 10.0 | 4.0 | 5.00 | 12.50 |');
  });

  test("the floor has no lifecycle figures, and tsrun's overhead above it is stated", () => {
    expect(md).toContain('| create + start, median (ms) | – | 60.0 | 30.0 | 15.0 | 2.00 | 4.00 |');
    expect(md).toContain('50.0 ms of its 80.0 ms median `run`');
    expect(md).toContain('load average 0.5 at the start, 1.3 at the end');
  });

  test('without crun, no crun column and no ratio to it', () => {
    const without = renderMarkdown(results(false));
    expect(without).not.toContain('crun`');
    expect(without).toContain('|  | `node -e 0` | `tsrun` | `runc` | tsrun / runc |');
  });
});

describe('renderSvg', () => {
  const svg = renderSvg(results(true));

  test('is one SVG document with its text escaped', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).not.toContain('<x>');
  });

  test('a bar per runtime per measure, the largest spanning the full width', () => {
    // 4 panels: run (4 runtimes with the floor), create+start, parallel and peak RSS.
    expect(svg.match(/<rect x=/g)).toHaveLength(4 + 3 + 3 + 4);
    const widths = [...svg.matchAll(/<rect x="\d+" y="\d+" width="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(Math.max(...widths)).toBe(440);
    expect(svg).toContain('>250.0</text>');
  });

  test('perSecond turns a wall time into a rate', () => {
    expect(perSecond(50, 1000)).toBe(50);
  });
});

describe('goalRows', () => {
  test("ISSUE-16's rows: run above the floor against crun's run, start and delete and the parallel rate against runc, RSS above the floor", () => {
    const rows = goalRows(results(true));
    expect(rows.map((r) => [r.name, r.tsrun, r.anchor, r.ratio])).toEqual([
      ['run of /bin/true above node -e 0 (ms)', 50, 20, 2.5],
      ['start (ms)', 20, 10, 2],
      ['delete --force (ms)', 10, 5, 2],
      // 50 in 800 ms against 50 in 400 ms.
      ['50 created + started in parallel (containers/s)', 62.5, 125, 0.5],
      ['peak RSS of run above node -e 0 (MiB)', 10, 40, null],
    ]);
    const md = renderMarkdown({ ...results(true), goals: rows });
    expect(md).toContain("| run of /bin/true above node -e 0 (ms) | 50.0 | 20.0 (crun's whole run) | 2.50 | ≤ 1.0 |");
    expect(md).toContain('| peak RSS of run above node -e 0 (MiB) | 10.0 | 40.0 (node -e 0) | – | ≤ +5 MiB |');
  });

  test('without crun, no row that needs it', () => {
    expect(goalRows(results(false)).map((r) => r.name)).not.toContain('run of /bin/true above node -e 0 (ms)');
  });
});

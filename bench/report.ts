/** Benchmark results as data, and their rendering as a markdown table and an SVG chart (pure). */
import { ratio, Summary } from './stats';
import { renderTrace, type CommandTrace } from './trace';

/** What was measured for one runtime (or for the Node floor, which only has `run` and `peakRssKiB`). */
export interface RuntimeResult {
  name: string;
  version: string;
  /** Latency of `run` of /bin/true until the runtime exits, ms. */
  run: Summary;
  /** `create`, then `start`, and their sum per container, then `delete --force`, ms. */
  create?: Summary;
  start?: Summary;
  createStart?: Summary;
  delete?: Summary;
  /** Wall time, ms, from launching `containers` create-then-start sequences at once to the last exit. */
  parallelWall?: Summary;
  /** Peak resident set size of the runtime process (wait4's ru_maxrss), KiB. */
  peakRssKiB: Summary;
}

export interface BenchResults {
  date: string;
  /** loadavg: the 1-minute load average when the run started and when it ended (other work on the host). */
  host: { kernel: string; cpus: number; cpuModel: string; node: string; loadavg: [number, number] };
  iterations: number;
  parallel: { containers: number; rounds: number };
  /** The Node floor first, then tsrun, then the runtimes it is compared with. */
  runtimes: RuntimeResult[];
  /** ISSUE-16's rows, from the figures above (none in results from before them). */
  goals?: GoalRow[];
  /** tsrun's per-phase trace of calls made beside the timed ones (none in results from before it). */
  trace?: CommandTrace[];
}

export const FLOOR = 'node -e 0';

/** Containers per second for a parallel wall time. */
export function perSecond(containers: number, wallMs: number): number {
  return (containers * 1000) / wallMs;
}

interface Row {
  label: string;
  value: (r: RuntimeResult) => number | undefined;
  digits: number;
}

function rows(results: BenchResults): Row[] {
  const n = results.parallel.containers;
  return [
    { label: 'run /bin/true, median (ms)', value: (r) => r.run.median, digits: 1 },
    { label: 'run /bin/true, p95 (ms)', value: (r) => r.run.p95, digits: 1 },
    { label: 'create + start, median (ms)', value: (r) => r.createStart?.median, digits: 1 },
    { label: 'create + start, p95 (ms)', value: (r) => r.createStart?.p95, digits: 1 },
    { label: '&nbsp;&nbsp;create, median (ms)', value: (r) => r.create?.median, digits: 1 },
    { label: '&nbsp;&nbsp;start, median (ms)', value: (r) => r.start?.median, digits: 1 },
    { label: 'delete --force, median (ms)', value: (r) => r.delete?.median, digits: 1 },
    { label: `${n} created + started in parallel, wall (ms)`, value: (r) => r.parallelWall?.median, digits: 0 },
    { label: `${n} in parallel, containers/s (higher is better)`, value: (r) => r.parallelWall && perSecond(n, r.parallelWall.median), digits: 1 },
    { label: 'peak RSS, median (MiB)', value: (r) => r.peakRssKiB.median / 1024, digits: 1 },
  ];
}

/** A row of ISSUE-16's table: tsrun's figure, the anchor measured in the same run, their ratio and the goal for it. */
export interface GoalRow {
  name: string;
  tsrun: number;
  anchor: number;
  anchorName: string;
  /** tsrun / anchor, or null where the goal is a difference (peak RSS). */
  ratio: number | null;
  goal: string;
}

/** The rows the runtimes in `runtimes` allow (crun and runc are anchors; each row needs its own). */
export function goalRows(results: Pick<BenchResults, 'runtimes' | 'parallel'>): GoalRow[] {
  const get = (name: string) => results.runtimes.find((r) => r.name === name);
  const [tsrun, floor, runc, crun] = [get('tsrun'), get(FLOOR), get('runc'), get('crun')];
  if (!tsrun) return [];
  const n = results.parallel.containers;
  const rows: GoalRow[] = [];
  const add = (name: string, value: number | undefined, anchor: number | undefined, anchorName: string, goal: string) => {
    if (value !== undefined && anchor !== undefined) rows.push({ name, tsrun: value, anchor, anchorName, ratio: ratio(value, anchor), goal });
  };
  if (floor) add(`run of /bin/true above ${FLOOR} (ms)`, tsrun.run.median - floor.run.median, crun?.run.median, "crun's whole run", '≤ 1.0');
  add('start (ms)', tsrun.start?.median, runc?.start?.median, 'runc', '≤ 2');
  add('delete --force (ms)', tsrun.delete?.median, runc?.delete?.median, 'runc', '≤ 2');
  const rate = (r: RuntimeResult | undefined) => r?.parallelWall && perSecond(n, r.parallelWall.median);
  add(`${n} created + started in parallel (containers/s)`, rate(tsrun), rate(runc), 'runc', '≥ 1');
  if (floor) {
    const mib = (r: RuntimeResult) => r.peakRssKiB.median / 1024;
    rows.push({ name: `peak RSS of run above ${FLOOR} (MiB)`, tsrun: mib(tsrun) - mib(floor), anchor: mib(floor), anchorName: FLOOR, ratio: null, goal: '≤ +5 MiB' });
  }
  return rows;
}

function renderGoals(rows: GoalRow[]): string[] {
  if (rows.length === 0) return [];
  return [
    '| goal (ISSUE-16) | tsrun | anchor | ratio | goal |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...rows.map((r) => `| ${r.name} | ${r.tsrun.toFixed(1)} | ${r.anchor.toFixed(1)} (${r.anchorName}) | ${cell(r.ratio, 2)} | ${r.goal} |`),
    '',
  ];
}

const cell = (v: number | undefined | null, digits: number) => (v === undefined || v === null ? '–' : v.toFixed(digits));

export function renderMarkdown(results: BenchResults): string {
  const get = (name: string) => results.runtimes.find((r) => r.name === name);
  const tsrun = get('tsrun');
  const others = ['runc', 'crun'].filter((n) => get(n));
  const cols = results.runtimes.map((r) => r.name);
  const head = ['', ...cols.map((c) => `\`${c}\``), ...others.map((o) => `tsrun / ${o}`)];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`];
  for (const row of rows(results)) {
    const values = results.runtimes.map((r) => cell(row.value(r), row.digits));
    const ratios = others.map((o) => {
      const t = tsrun && row.value(tsrun);
      const v = row.value(get(o)!);
      return t === undefined || t === null ? '–' : cell(ratio(t, v), 2);
    });
    lines.push(`| ${[row.label, ...values, ...ratios].join(' | ')} |`);
  }
  const floor = get(FLOOR);
  const overhead =
    tsrun && floor
      ? `tsrun's own cost above the Node floor (\`${FLOOR}\`, ${floor.run.median.toFixed(1)} ms): ` +
        `${(tsrun.run.median - floor.run.median).toFixed(1)} ms of its ${tsrun.run.median.toFixed(1)} ms median \`run\`.`
      : '';
  const h = results.host;
  return [
    '# Benchmarks',
    '',
    `Generated by \`npm run bench\` on ${results.date.slice(0, 10)}: ${h.cpus} × ${h.cpuModel}, Linux ${h.kernel}, Node ${h.node}; ` +
      `${results.iterations} iterations of each latency, ${results.parallel.rounds} rounds of the parallel test, ` +
      'interleaved across runtimes so that machine noise spreads evenly; ' +
      `1-minute load average ${h.loadavg[0].toFixed(1)} at the start, ${h.loadavg[1].toFixed(1)} at the end.`,
    `Versions: ${results.runtimes.map((r) => `${r.name} ${r.version}`).join(', ')}.`,
    '',
    ...lines,
    '',
    overhead,
    '',
    ...renderGoals(results.goals ?? []),
    'Every runtime runs the same busybox bundle (process `/bin/true`, no terminal) with its own state',
    'directory, with the environment reduced to `PATH`. `run` is timed from spawn to the runtime\'s exit;',
    '`start` returns once the container process has been released to exec. Peak RSS is the `ru_maxrss`',
    'that wait4 reports for the runtime process: its own peak, or that of a child it reaped if larger',
    '(runc\'s `runc init`). crun 1.8 refuses this hybrid cgroup host while `/sys/fs/cgroup/unified` is',
    'mounted, so its commands run from a helper process in a private mount namespace without that',
    'mount. tsrun runs as `bin/tsrun` starts it: Node from the V8 startup snapshot of the bundled CLI',
    '(`dist/tsrun.blob`, made by `npm run build`: its modules already evaluated, its validators and plan',
    'builder already compiled). Raw figures: `bench/results/latest.json`.',
    '',
    '![benchmark chart](benchmarks.svg)',
    '',
    ...(results.trace?.length
      ? [
          '## Where tsrun\'s time goes',
          '',
          'Calls traced with `TSRUN_TRACE=FILE` (runtime/trace.ts) beside the timed ones, the median self time of each',
          'phase (a phase\'s own time, less the phases within it), from process start to exit; the',
          'command\'s own row is what no phase names. Traced calls start through `env`, which is before process start.',
          '',
          renderTrace(results.trace),
          '',
        ]
      : []),
  ].join('\n');
}

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

interface Panel {
  title: string;
  unit: string;
  digits: number;
  bars: { name: string; value: number }[];
}

function panels(results: BenchResults): Panel[] {
  const n = results.parallel.containers;
  const pick = (value: (r: RuntimeResult) => number | undefined) =>
    results.runtimes.flatMap((r) => {
      const v = value(r);
      return v === undefined ? [] : [{ name: r.name, value: v }];
    });
  return [
    { title: 'run /bin/true to exit, median', unit: 'ms', digits: 1, bars: pick((r) => r.run.median) },
    { title: 'create + start, median', unit: 'ms', digits: 1, bars: pick((r) => r.createStart?.median) },
    { title: `${n} containers created + started in parallel`, unit: 'containers/s', digits: 1, bars: pick((r) => r.parallelWall && perSecond(n, r.parallelWall.median)) },
    { title: 'peak RSS, median', unit: 'MiB', digits: 1, bars: pick((r) => r.peakRssKiB.median / 1024) },
  ].filter((p) => p.bars.length > 0);
}

const COLORS: Record<string, string> = { tsrun: '#3178c6', runc: '#7f8c8d', crun: '#b5651d', [FLOOR]: '#8fbf5a' };

/** Horizontal bar chart, one panel per measure, each scaled to its own largest value. */
export function renderSvg(results: BenchResults): string {
  const width = 640;
  const labelWidth = 90;
  const barMax = width - labelWidth - 110;
  const barHeight = 18;
  const out: string[] = [];
  let y = 10;
  for (const p of panels(results)) {
    out.push(`<text x="10" y="${y + 14}" font-weight="bold">${escapeXml(p.title)} (${escapeXml(p.unit)})</text>`);
    y += 24;
    const max = Math.max(...p.bars.map((b) => b.value));
    for (const b of p.bars) {
      const w = max > 0 ? Math.max(1, (b.value / max) * barMax) : 1;
      const color = COLORS[b.name] ?? '#999999';
      out.push(
        `<text x="${labelWidth - 6}" y="${y + 13}" text-anchor="end">${escapeXml(b.name)}</text>`,
        `<rect x="${labelWidth}" y="${y}" width="${w.toFixed(1)}" height="${barHeight}" fill="${color}"/>`,
        `<text x="${(labelWidth + w + 6).toFixed(1)}" y="${y + 13}">${b.value.toFixed(p.digits)}</text>`,
      );
      y += barHeight + 4;
    }
    y += 14;
  }
  const title = `tsrun benchmarks, ${results.date.slice(0, 10)}`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" viewBox="0 0 ${width} ${y}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${width}" height="${y}" fill="#ffffff"/>`,
    ...out,
    '</svg>',
    '',
  ].join('\n');
}

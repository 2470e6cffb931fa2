/**
 * Two benchmark results files compared (pure): every figure both have, as new / old, with the
 * ones that got worse by more than a threshold flagged. Works on any results file of bench/
 * (startup, supervisor, images): figures are the numbers in it, a summary ({ median, p95, ... })
 * counting by its median and p95, entries of a list by their name (or command).
 */

export interface Figure {
  /** Where it is in the file, e.g. "runtimes.tsrun.run.median". */
  path: string;
  value: number;
  /** Containers per second and the like: more is better. Everything else is a time or a size. */
  higherIsBetter: boolean;
}

export interface Comparison {
  path: string;
  old: number;
  new: number;
  /** new / old. */
  ratio: number;
  regression: boolean;
}

/** What describes the run rather than measures it. */
const NOT_FIGURES = new Set(['date', 'host', 'versions', 'version', 'iterations', 'parallel', 'n', 'calls', 'image', 'refs', 'goal', 'anchorName']);
/** Of a summary, the figures a comparison is about (min and max are single samples). */
const SUMMARY_KEYS = ['median', 'p95'];

const isSummary = (v: Record<string, unknown>) => typeof v.median === 'number' && typeof v.p95 === 'number' && typeof v.n === 'number';
const higherIsBetter = (path: string) => /per-?second|throughput|containers\/s/i.test(path);

function entryKey(entry: unknown, index: number): string {
  const e = entry as Record<string, unknown> | null;
  const key = e && (e.name ?? e.command);
  return typeof key === 'string' ? key : String(index);
}

/** Every figure of a results document. */
export function figures(doc: unknown, at = ''): Figure[] {
  const join = (key: string) => (at ? `${at}.${key}` : key);
  if (typeof doc === 'number') return Number.isFinite(doc) ? [{ path: at, value: doc, higherIsBetter: higherIsBetter(at) }] : [];
  if (Array.isArray(doc)) return doc.flatMap((e, i) => figures(e, join(entryKey(e, i))));
  if (doc === null || typeof doc !== 'object') return [];
  const o = doc as Record<string, unknown>;
  const keys = isSummary(o) ? SUMMARY_KEYS : Object.keys(o).filter((k) => !NOT_FIGURES.has(k));
  return keys.flatMap((k) => figures(o[k], join(k)));
}

/**
 * The figures of `newer` that `older` has too. `threshold`: the fraction by which a figure may get
 * worse before it is flagged (0.1: 10%); figures below `floor` in both files (sub-millisecond
 * phases, say) are compared but never flagged, their ratios being mostly noise.
 */
export function compareResults(older: unknown, newer: unknown, threshold: number, floor: number): Comparison[] {
  const before = new Map(figures(older).map((f) => [f.path, f.value]));
  return figures(newer).flatMap((f) => {
    const old = before.get(f.path);
    if (old === undefined || old === 0) return [];
    const ratio = f.value / old;
    const worse = f.higherIsBetter ? ratio < 1 / (1 + threshold) : ratio > 1 + threshold;
    return [{ path: f.path, old, new: f.value, ratio, regression: worse && Math.max(old, f.value) >= floor }];
  });
}

export function renderComparison(rows: Comparison[], threshold: number): string {
  const width = Math.max(6, ...rows.map((r) => r.path.length));
  const num = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2)).padStart(10);
  const lines = [`${'figure'.padEnd(width)} ${'previous'.padStart(10)} ${'latest'.padStart(10)}  ratio`];
  for (const r of rows) {
    lines.push(`${r.path.padEnd(width)} ${num(r.old)} ${num(r.new)}  ${r.ratio.toFixed(2)}${r.regression ? '  REGRESSION' : ''}`);
  }
  const regressions = rows.filter((r) => r.regression).length;
  lines.push('', `${regressions} regression(s) beyond ${(threshold * 100).toFixed(0)}% of ${rows.length} figures compared.`);
  return lines.join('\n') + '\n';
}

/**
 * The rows of ISSUE-16's table as the daemon benchmarks write them (the "rows" of
 * bench/results/supervisor.json and images.json): tsrund's figure, its anchor's measured in the
 * same run, and their ratio, for a comparison against a previous results file.
 */

export interface Row {
  name: string;
  unit: string;
  value: number;
  anchor: string;
  anchorValue: number;
  /** value / anchorValue. */
  ratio: number;
  /** Whether a larger value is better (containers/s) or worse (ms, MiB). */
  higherIsBetter: boolean;
}

export function row(name: string, unit: string, value: number, anchor: string, anchorValue: number, higherIsBetter: boolean): Row {
  return {
    name,
    unit,
    value: Number(value.toFixed(2)),
    anchor,
    anchorValue: Number(anchorValue.toFixed(2)),
    ratio: Number((value / anchorValue).toFixed(3)),
    higherIsBetter,
  };
}

const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));

export function rowsMarkdown(rows: Row[]): string[] {
  return [
    '| what | tsrund | anchor | ratio |',
    '|---|---:|---|---:|',
    ...rows.map((r) => `| ${r.name} | ${fmt(r.value)} ${r.unit} | ${r.anchor}: ${fmt(r.anchorValue)} ${r.unit} | ${r.ratio.toFixed(2)} |`),
  ];
}

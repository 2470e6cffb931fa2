/** Summary statistics of benchmark samples (pure). */

export interface Summary {
  n: number;
  median: number;
  p95: number;
  min: number;
  max: number;
}

/**
 * Median and 95th percentile by nearest rank (the sample at rank ceil(q·n)), so every figure is
 * one that was measured. Throws on no samples: a benchmark without samples is a bug.
 */
export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new Error('summarize: no samples');
  const s = [...samples].sort((a, b) => a - b);
  const rank = (q: number) => s[Math.max(0, Math.ceil(q * s.length) - 1)];
  return { n: s.length, median: rank(0.5), p95: rank(0.95), min: s[0], max: s[s.length - 1] };
}

/** a / b, or null when b is missing or zero (no runtime to compare with). */
export function ratio(a: number, b: number | undefined): number | null {
  return b === undefined || b === 0 ? null : a / b;
}

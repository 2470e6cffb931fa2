import { compareResults, figures, renderComparison } from './regressions';

const summary = (median: number) => ({ n: 3, median, p95: median * 2, min: 0, max: 99 });

describe('figures', () => {
  test("a summary counts by median and p95, a list's entries by name, what describes the run not at all", () => {
    const doc = { date: 'x', host: { cpus: 2 }, iterations: 5, runtimes: [{ name: 'tsrun', version: '1', run: summary(10) }], perSecond: { a: 3 } };
    expect(figures(doc)).toEqual([
      { path: 'runtimes.tsrun.run.median', value: 10, higherIsBetter: false },
      { path: 'runtimes.tsrun.run.p95', value: 20, higherIsBetter: false },
      { path: 'perSecond.a', value: 3, higherIsBetter: true },
    ]);
  });
});

describe('compareResults', () => {
  const older = { runtimes: [{ name: 'tsrun', run: summary(10) }], goals: [{ name: '50 in parallel (containers/s)', tsrun: 20, goal: '≥ 1' }], trace: [{ command: 'run', phases: [{ name: 'flags', ms: 0.1 }] }] };

  test('flags a time that grew beyond the threshold and a rate that fell beyond it', () => {
    const newer = { runtimes: [{ name: 'tsrun', run: summary(12) }], goals: [{ name: '50 in parallel (containers/s)', tsrun: 10, goal: '≥ 1' }], trace: [{ command: 'run', phases: [{ name: 'flags', ms: 0.3 }] }] };
    const rows = compareResults(older, newer, 0.1, 1);
    expect(rows.filter((r) => r.regression).map((r) => r.path)).toEqual([
      'runtimes.tsrun.run.median',
      'runtimes.tsrun.run.p95',
      'goals.50 in parallel (containers/s).tsrun',
    ]);
    // Three times slower, but below the floor: noise, not flagged.
    expect(rows.find((r) => r.path === 'trace.run.phases.flags.ms')).toMatchObject({ ratio: expect.closeTo(3), regression: false });
  });

  test('within the threshold, faster, or only in one file: no regression', () => {
    const newer = { runtimes: [{ name: 'tsrun', run: summary(10.5) }, { name: 'crun', run: summary(50) }], goals: [{ name: '50 in parallel (containers/s)', tsrun: 40, goal: '≥ 1' }] };
    const rows = compareResults(older, newer, 0.1, 1);
    expect(rows.map((r) => r.path)).toEqual(['runtimes.tsrun.run.median', 'runtimes.tsrun.run.p95', 'goals.50 in parallel (containers/s).tsrun']);
    expect(rows.some((r) => r.regression)).toBe(false);
    expect(renderComparison(rows, 0.1)).toContain('0 regression(s) beyond 10% of 3 figures compared.');
  });

  test('the report names each figure with both values and the ratio', () => {
    const text = renderComparison(compareResults(older, { runtimes: [{ name: 'tsrun', run: summary(20) }] }, 0.1, 1), 0.1);
    expect(text).toMatch(/runtimes\.tsrun\.run\.median +10\.00 +20\.00 +2\.00 +REGRESSION/);
    expect(text).toContain('2 regression(s) beyond 10% of 2 figures compared.');
  });
});

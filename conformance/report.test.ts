import { Case } from './case';
import { regressions, summary, table, tap } from './report';
import { Outcome, RuntimeResults } from './suite';

const cases: Case[] = ['a', 'b', 'c'].map((id) => ({
  id,
  clause: 'runtime.md § State',
  level: 'MUST',
  requirement: `requirement ${id}`,
  check: async () => undefined,
}));

function results(name: string, outcomes: Record<string, Outcome>): RuntimeResults {
  return { name, binary: `/bin/${name}`, outcomes: new Map(Object.entries(outcomes)) };
}

const runc = results('runc', { a: { status: 'pass' }, b: { status: 'fail', detail: 'runc b' }, c: { status: 'pass' } });
const tsrun = results('tsrun', { a: { status: 'fail', detail: 'tsrun a' }, b: { status: 'pass' }, c: { status: 'skip', detail: 'no x | y' } });

describe('regressions', () => {
  test('counts only cases the graded runtime fails and the reference passes', () => {
    expect(regressions(cases, runc, tsrun).map((c) => c.id)).toEqual(['a']);
  });
  test('a case the reference fails is no regression, whatever the graded runtime does', () => {
    const sameFailure = results('tsrun', { a: { status: 'pass' }, b: { status: 'fail' }, c: { status: 'pass' } });
    expect(regressions(cases, runc, sameFailure)).toEqual([]);
  });
  test('with a single runtime every failure counts', () => {
    expect(regressions(cases, runc, runc).map((c) => c.id)).toEqual(['b']);
  });
});

describe('report text', () => {
  test('summary counts the graded runtime', () => {
    expect(summary(tsrun, cases)).toBe('1 passed, 1 failed, 1 skipped');
  });
  test('table has a column per runtime, skips with their reason, pipes escaped', () => {
    const lines = table(cases, [runc, tsrun]).split('\n');
    expect(lines[0]).toBe('| clause | runc | tsrun |');
    expect(lines[4]).toBe('| c: runtime.md § State (MUST) — requirement c | pass | skip (no x \\| y) |');
  });
  test('TAP marks failures not ok with the message and skips with a directive', () => {
    const out = tap(tsrun, cases);
    expect(out).toContain('1..3');
    expect(out).toContain('not ok 1 a - runtime.md § State (MUST)');
    expect(out).toContain('  message: "tsrun a"');
    expect(out).toContain('ok 3 c - runtime.md § State (MUST) # SKIP no x | y');
  });
});

/**
 * Pure formatting and grading of suite results: TAP per runtime, the comparison table, the
 * summary line and the regressions that decide the exit code.
 */
import { Case } from './case';
import { Outcome, RuntimeResults, Status } from './suite';

function outcomeOf(results: RuntimeResults, c: Case): Outcome {
  return results.outcomes.get(c.id) ?? { status: 'skip', detail: 'not run' };
}

/** TAP version 13 for one runtime. */
export function tap(results: RuntimeResults, cases: Case[]): string {
  const lines = [`TAP version 13`, `# ${results.binary}`, `1..${cases.length}`];
  cases.forEach((c, i) => {
    const o = outcomeOf(results, c);
    const name = `${c.id} - ${c.clause} (${c.level})`;
    if (o.status === 'skip') lines.push(`ok ${i + 1} ${name} # SKIP ${o.detail}`);
    else lines.push(`${o.status === 'pass' ? 'ok' : 'not ok'} ${i + 1} ${name}`);
    if (o.status === 'fail') lines.push('  ---', `  message: ${JSON.stringify(o.detail)}`, '  ...');
  });
  return lines.join('\n');
}

function cell(o: Outcome): string {
  return o.status === 'skip' ? `skip (${o.detail})` : o.status;
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** A Markdown table: one row per case, one column per runtime. */
export function table(cases: Case[], all: RuntimeResults[]): string {
  const header = `| clause | ${all.map((r) => r.name).join(' | ')} |`;
  const rule = `|---|${all.map(() => '---|').join('')}`;
  const rows = cases.map(
    (c) => `| ${escapeCell(`${c.id}: ${c.clause} (${c.level}) — ${c.requirement}`)} | ${all.map((r) => escapeCell(cell(outcomeOf(r, c)))).join(' | ')} |`,
  );
  return [header, rule, ...rows].join('\n');
}

/** `N passed, N failed, N skipped` for one runtime. */
export function summary(results: RuntimeResults, cases: Case[]): string {
  const count = (s: Status) => cases.filter((c) => outcomeOf(results, c).status === s).length;
  return `${count('pass')} passed, ${count('fail')} failed, ${count('skip')} skipped`;
}

/**
 * Cases the graded runtime fails although the reference passes them. With a single runtime there
 * is no reference, so every failure counts.
 */
export function regressions(cases: Case[], reference: RuntimeResults, graded: RuntimeResults): Case[] {
  return cases.filter((c) => {
    if (outcomeOf(graded, c).status !== 'fail') return false;
    return reference === graded || outcomeOf(reference, c).status === 'pass';
  });
}

/** Each failure of each runtime with its reason, for reading after the table. */
export function failureDetails(cases: Case[], all: RuntimeResults[]): string {
  const lines: string[] = [];
  for (const r of all) {
    for (const c of cases) {
      const o = outcomeOf(r, c);
      if (o.status === 'fail') lines.push(`- ${r.name} ${c.id}: ${escapeCell(o.detail ?? '')}`);
    }
  }
  return lines.join('\n');
}

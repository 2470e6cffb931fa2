/**
 * The conformance runner: `node dist/conformance/run.js --runtime PATH [--runtime PATH ...] [--tap]
 * [--only SUBSTRING]`. Grades each runtime with every case, prints TAP per runtime when asked, then
 * the comparison table and the summary of the last runtime. Exits 1 when the last runtime fails a
 * case the first one passes (or, with one runtime, fails any case); 2 on a usage error.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Case } from './case';
import { allCases } from './cases';
import { makeScratch } from './driver';
import { probeBinary } from './probe';
import { failureDetails, regressions, summary, table, tap } from './report';
import { RuntimeResults, runSuite } from './suite';

export interface RunOptions {
  runtimes: string[];
  tap: boolean;
  only?: string;
}

export function parseArgs(argv: string[]): RunOptions {
  const options: RunOptions = { runtimes: [], tap: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--tap') options.tap = true;
    else if (arg === '--runtime' || arg === '--only') {
      const value = argv[++i];
      if (value === undefined) throw new Error(`${arg} needs a value`);
      if (arg === '--runtime') options.runtimes.push(path.resolve(value));
      else options.only = value;
    } else throw new Error(`unknown argument ${JSON.stringify(arg)}`);
  }
  if (options.runtimes.length === 0) throw new Error('give at least one --runtime PATH');
  for (const r of options.runtimes) {
    try {
      fs.accessSync(r, fs.constants.X_OK);
    } catch {
      throw new Error(`--runtime ${r}: not an executable file`);
    }
  }
  return options;
}

export interface SuiteRun {
  cases: Case[];
  results: RuntimeResults[];
}

/** Run the selected cases against every runtime in turn, `log` receiving progress lines. */
export async function runAll(options: RunOptions, log: (line: string) => void): Promise<SuiteRun> {
  const cases = allCases.filter((c) => !options.only || c.id.includes(options.only));
  const probe = probeBinary();
  const scratch = makeScratch();
  const results: RuntimeResults[] = [];
  try {
    for (const binary of options.runtimes) {
      log(`# ${binary}`);
      results.push(await runSuite(binary, cases, probe, scratch, (c, o) => log(`#   ${o.status.padEnd(4)} ${c.id}${o.detail ? `: ${o.detail}` : ''}`)));
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  return { cases, results };
}

async function main(): Promise<number> {
  let options: RunOptions;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`conformance: ${(e as Error).message}\n`);
    return 2;
  }
  const { cases, results } = await runAll(options, (line) => process.stderr.write(`${line}\n`));
  if (options.tap) for (const r of results) process.stdout.write(`${tap(r, cases)}\n\n`);
  const graded = results[results.length - 1];
  const failed = regressions(cases, results[0], graded);
  const details = failureDetails(cases, results);
  process.stdout.write(`${table(cases, results)}\n\n${details ? `Failures:\n${details}\n\n` : ''}`);
  if (failed.length) {
    const what = results.length > 1 ? `Regressions of ${graded.name} against ${results[0].name}` : `Failures of ${graded.name}`;
    process.stdout.write(`${what}: ${failed.map((c) => c.id).join(', ')}\n`);
  }
  process.stdout.write(`${summary(graded, cases)}\n`);
  return failed.length ? 1 : 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`conformance: ${(e as Error).stack ?? e}\n`);
      process.exit(2);
    },
  );
}

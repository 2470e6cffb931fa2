/**
 * A report (not a timed test) of how a benchmark's figures moved: the previous results file
 * against the latest, each figure's ratio, regressions flagged.
 *
 *   npm run bench:compare [-- --threshold 0.1] [--floor 1] [PREVIOUS.json LATEST.json]
 *
 * Without files it compares bench/results/previous.json with latest.json, which `npm run bench`
 * writes (the run before becomes previous.json).
 */
import * as fs from 'fs';
import * as path from 'path';
import { compareResults, renderComparison } from './regressions';

function number(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(args[i + 1]);
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name}: want a non-negative number, got ${args[i + 1]}`);
  args.splice(i, 2);
  return v;
}

function main(): void {
  const args = process.argv.slice(2);
  const threshold = number(args, '--threshold', 0.1);
  const floor = number(args, '--floor', 1);
  const results = path.join(__dirname, '..', '..', 'bench', 'results');
  if (args.length !== 0 && args.length !== 2) throw new Error('usage: compare-results [--threshold F] [--floor V] [PREVIOUS.json LATEST.json]');
  const [older, newer] = args.length === 2 ? args : [path.join(results, 'previous.json'), path.join(results, 'latest.json')];
  const read = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
  process.stdout.write(`${older} -> ${newer}\n\n`);
  process.stdout.write(renderComparison(compareResults(read(older), read(newer), threshold, floor), threshold));
}

try {
  main();
} catch (err) {
  process.stderr.write(`compare-results: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}

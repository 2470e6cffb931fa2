/** What the daemon benchmarks (bench/supervisor.ts, bench/images.ts) share: options, timing, versions, output files. */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { performance } from 'perf_hooks';

/** `--name N` of `args` as a positive integer, or `fallback`. */
export function option(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const n = Number(args[i + 1]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} wants a positive integer, not ${args[i + 1]}`);
  return n;
}

/** Milliseconds `fn` takes to settle. */
export async function timed(fn: () => unknown): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** The first line a program prints about its version. */
export function version(argv: string[]): string {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
  return (r.stdout || r.stderr).split('\n')[0].trim();
}

/** Write bench/results/<name>.json and docs/<doc>.md under `repo`, and print the markdown. */
export function writeResults(repo: string, name: string, doc: string, results: unknown, markdown: string): void {
  fs.mkdirSync(path.join(repo, 'bench', 'results'), { recursive: true });
  fs.writeFileSync(path.join(repo, 'bench', 'results', `${name}.json`), JSON.stringify(results, null, 2) + '\n');
  fs.writeFileSync(path.join(repo, 'docs', `${doc}.md`), markdown);
  process.stdout.write(markdown);
}

/**
 * Side-by-side timing of command variants (for trying a start-up idea against the current way),
 * interleaved so that machine noise spreads evenly, environment reduced to PATH as in the bench:
 *
 *   node dist/bench/compare.js [--iterations N] -- bin/tsrun --root /tmp/r run -b B {id} -- node x.js ...
 *
 * `{id}` becomes a fresh container id per run. Prints median and p95 wall time per variant.
 */
import { perform, removeLog } from './jobs';
import { summarize } from './stats';

function parse(args: string[]): { iterations: number; variants: string[][] } {
  const at = args.indexOf('--iterations');
  const iterations = at >= 0 ? Number(args[at + 1]) : 30;
  if (!Number.isInteger(iterations) || iterations < 1) throw new Error(`--iterations: want a positive integer, got ${args[at + 1]}`);
  const variants: string[][] = [];
  for (const arg of args.slice(args.indexOf('--'))) {
    if (arg === '--') variants.push([]);
    else variants[variants.length - 1].push(arg);
  }
  if (args.indexOf('--') < 0 || variants.some((v) => v.length === 0)) throw new Error('usage: compare [--iterations N] -- COMMAND... [-- COMMAND...]');
  return { iterations, variants };
}

async function main(): Promise<void> {
  const { iterations, variants } = parse(process.argv.slice(2));
  const samples = variants.map(() => [] as number[]);
  try {
    for (let i = 0; i < iterations; i++) {
      for (let k = 0; k < variants.length; k++) {
        const v = (i + k) % variants.length;
        const argv = variants[v].map((a) => a.replace('{id}', `cmp-${process.pid}-${v}-${i}`));
        samples[v].push((await perform({ kind: 'time', argv })) as number);
      }
    }
  } finally {
    removeLog();
  }
  process.stdout.write(' median     p95  (ms, wall)\n');
  for (const [v, s] of samples.entries()) {
    const { median, p95 } = summarize(s);
    process.stdout.write(`${median.toFixed(1).padStart(7)} ${p95.toFixed(1).padStart(7)}  ${variants[v].join(' ')}\n`);
  }
}

main().catch((err) => {
  process.stderr.write(`compare: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

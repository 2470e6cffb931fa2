/**
 * Start-up benchmark (not a test): `run` of /bin/true in a busybox bundle by tsrun, runc and crun,
 * and bare `node -e 0` as tsrun's floor, in one run, interleaved so that machine noise spreads
 * evenly. Prints median and p95 per runtime and tsrun's overhead above bare Node as a ratio to
 * crun's total.
 *
 *   npm run bench [-- --iterations N]
 *
 * crun 1.8 refuses to run on a hybrid cgroup host unless the v2 `unified` mount is out of sight,
 * so its iterations run in a child process inside a private mount namespace without it.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { makeBundle } from '../test/helpers/bundle';
import { TSRUN } from '../test/helpers/tsrun';

interface Runner {
  name: string;
  /** Command for one iteration, given the iteration's container id. */
  argv: (id: string) => string[];
}

function which(bin: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

function timeOnce(argv: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

function stats(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { median: at(0.5), p95: at(0.95) };
}

/** Inner mode: time `iterations` runs of one runner and print the samples as JSON. */
function inner(argv: string[], iterations: number): void {
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) samples.push(timeOnce(argv.map((a) => a.replace('{id}', `bench-${process.pid}-${i}`))));
  process.stdout.write(JSON.stringify(samples));
}

function main(): void {
  const args = process.argv.slice(2);
  if (args[0] === '--inner') return inner(JSON.parse(args[2]), Number(args[1]));
  const iterations = Number(args[args.indexOf('--iterations') + 1]) || 100;

  // crun 1.8 refuses an ociVersion newer than 1.0.x; the config uses nothing later.
  const bundle = makeBundle(['/bin/true'], (c) => {
    c.ociVersion = '1.0.2';
  });
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-bench-'));
  const runners: Runner[] = [
    { name: 'node -e 0', argv: () => [process.execPath, '-e', '0'] },
    { name: 'tsrun', argv: (id) => [TSRUN, '--root', `${root}/tsrun`, 'run', '-b', bundle.dir, id] },
  ];
  const runc = which('runc');
  if (runc) runners.push({ name: 'runc', argv: (id) => [runc, '--root', `${root}/runc`, 'run', '-b', bundle.dir, id] });
  const crun = which('crun');

  const samples = new Map<string, number[]>(runners.map((r) => [r.name, []]));
  try {
    for (let i = 0; i < iterations; i++) {
      for (const r of runners) samples.get(r.name)!.push(timeOnce(r.argv(`bench-${i}`)));
    }
    if (crun) {
      const argv = [crun, '--root', `${root}/crun`, 'run', '-b', bundle.dir, '{id}'];
      const script = 'umount /sys/fs/cgroup/unified 2>/dev/null; exec "$@"';
      const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', process.execPath, __filename, '--inner', String(iterations), JSON.stringify(argv)], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`crun iterations failed: ${r.stderr}`);
      samples.set('crun', JSON.parse(r.stdout));
    }
  } finally {
    bundle.cleanup();
    fs.rmSync(root, { recursive: true, force: true });
  }

  const results = [...samples].map(([name, s]) => ({ name, ...stats(s) }));
  console.log(`run of /bin/true, ${iterations} iterations each (ms)`);
  console.log('runtime      median      p95');
  for (const r of results) console.log(`${r.name.padEnd(12)} ${r.median.toFixed(2).padStart(7)}  ${r.p95.toFixed(2).padStart(7)}`);
  const get = (n: string) => results.find((r) => r.name === n);
  const node = get('node -e 0')!;
  const ts = get('tsrun')!;
  const cr = get('crun');
  if (!crun) console.log('crun: not installed (apt-get install crun), no ratio');
  if (cr) {
    console.log(`tsrun overhead above bare node: ${(ts.median - node.median).toFixed(2)} ms = ${((ts.median - node.median) / cr.median).toFixed(2)} x crun's total`);
  }
  for (const other of ['runc', 'crun']) {
    const o = get(other);
    if (o) console.log(`tsrun / ${other}: ${(ts.median / o.median).toFixed(2)}`);
  }
}

main();

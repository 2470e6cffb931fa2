/**
 * Benchmarks (not a test) of tsrun, runc and crun on this host in one run, with bare
 * `node -e 0` as tsrun's floor: `run` of /bin/true to exit, create/start/delete, N containers
 * created and started in parallel, and peak RSS. Iterations are interleaved across runtimes, the
 * starting runtime rotating, so that machine noise spreads evenly.
 *
 *   npm run bench [-- --iterations N] [--parallel N] [--rounds N] [--baseline OTHER/bin/tsrun]
 *
 * --baseline measures another build of tsrun (a checkout of the commit before a change, built)
 * as one more runtime, `tsrun-baseline`, interleaved with the others: a before and after in the
 * same conditions, which two runs on a busy machine are not.
 *
 * Writes bench/results/latest.json (the one before it becomes previous.json, for
 * `npm run bench:compare`), docs/benchmarks.md and docs/benchmarks.svg, and prints the table with
 * tsrun's per-phase trace (TSRUN_TRACE, runtime/trace.ts) of calls made beside the timed ones. crun 1.8 refuses a hybrid cgroup host while /sys/fs/cgroup/unified is mounted, so its
 * jobs run in bench/agent.ts inside a private mount namespace without that mount.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { makeBundle } from '../test/helpers/bundle';
import { TSRUN } from '../test/helpers/tsrun';
import { startAgent } from './crun-agent';
import { GNU_TIME, Job, JobResult, perform, removeLog } from './jobs';
import { BenchResults, FLOOR, goalRows, renderMarkdown, renderSvg, RuntimeResult } from './report';
import { summarize } from './stats';
import { parseTrace, summarizeTrace } from './trace';

interface Runner {
  name: string;
  version: string;
  /** The runtime's command line for `args` (the floor has none: it only runs `node -e 0`). */
  cmd?: (args: string[]) => string[];
  /** The same, traced (tsrun only): calls made beside the timed ones, which run untraced. */
  traced?: (args: string[]) => string[];
  perform: (job: Job) => Promise<JobResult>;
}

interface Samples {
  run: number[];
  rss: number[];
  create: number[];
  start: number[];
  createStart: number[];
  delete: number[];
  parallel: number[];
}

const REPO = path.dirname(path.dirname(TSRUN));

function which(bin: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

function version(argv: string[]): string {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
  return r.stdout.split('\n')[0].replace(/^.*version /, '').trim();
}

function option(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  const v = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name}: want a positive integer, got ${args[i + 1]}`);
  return v;
}

async function measure(runners: Runner[], bundle: string, opts: { iterations: number; parallel: number; rounds: number }) {
  const samples = new Map<string, Samples>(
    runners.map((r) => [r.name, { run: [], rss: [], create: [], start: [], createStart: [], delete: [], parallel: [] }]),
  );
  const rotated = (i: number) => runners.map((_, k) => runners[(i + k) % runners.length]);
  const id = (r: Runner, what: string, i: number) => `bench-${process.pid}-${r.name}-${what}-${i}`;
  // Peak RSS barely varies; measuring it on every fifth iteration keeps the run short.
  const rssEvery = 5;
  for (let i = 0; i < opts.iterations; i++) {
    if (i % 10 === 0) process.stderr.write(`latency: iteration ${i}/${opts.iterations}\n`);
    for (const r of rotated(i)) {
      const s = samples.get(r.name)!;
      const runArgv = (cid: string) => (r.cmd ? r.cmd(['run', '-b', bundle, cid]) : [process.execPath, '-e', '0']);
      const cleanup = (cid: string) => r.cmd?.(['delete', '--force', cid]);
      s.run.push((await r.perform({ kind: 'time', argv: runArgv(id(r, 'run', i)), cleanup: cleanup(id(r, 'run', i)) })) as number);
      if (i % rssEvery === 0) {
        s.rss.push((await r.perform({ kind: 'rss', argv: runArgv(id(r, 'rss', i)), cleanup: cleanup(id(r, 'rss', i)) })) as number);
      }
      if (!r.cmd) continue;
      if (r.traced && i % rssEvery === 0) await traceCalls(r, r.traced, bundle, id(r, 'traced', i));
      const cid = id(r, 'life', i);
      const t = (await r.perform({
        kind: 'lifecycle',
        create: r.cmd(['create', '-b', bundle, cid]),
        start: r.cmd(['start', cid]),
        delete: r.cmd(['delete', '--force', cid]),
      })) as { create: number; start: number; delete: number };
      s.create.push(t.create);
      s.start.push(t.start);
      s.createStart.push(t.create + t.start);
      s.delete.push(t.delete);
    }
  }
  for (let round = 0; round < opts.rounds; round++) {
    for (const r of rotated(round)) {
      if (!r.cmd) continue;
      const cmd = r.cmd;
      process.stderr.write(`parallel: round ${round + 1}/${opts.rounds}, ${r.name}\n`);
      const containers = Array.from({ length: opts.parallel }, (_, k) => {
        const cid = id(r, `par${round}`, k);
        return { create: cmd(['create', '-b', bundle, cid]), start: cmd(['start', cid]), delete: cmd(['delete', '--force', cid]) };
      });
      samples.get(r.name)!.parallel.push((await r.perform({ kind: 'parallel', containers })) as number);
    }
  }
  return samples;
}

/** One run and one create, start, delete, traced; their times are not samples. */
async function traceCalls(r: Runner, traced: (args: string[]) => string[], bundle: string, cid: string): Promise<void> {
  await r.perform({ kind: 'time', argv: traced(['run', '-b', bundle, `${cid}-run`]), cleanup: traced(['delete', '--force', `${cid}-run`]) });
  await r.perform({ kind: 'lifecycle', create: traced(['create', '-b', bundle, cid]), start: traced(['start', cid]), delete: traced(['delete', '--force', cid]) });
}

function toResult(r: Runner, s: Samples): RuntimeResult {
  const opt = (v: number[]) => (v.length ? summarize(v) : undefined);
  return {
    name: r.name,
    version: r.version,
    run: summarize(s.run),
    create: opt(s.create),
    start: opt(s.start),
    createStart: opt(s.createStart),
    delete: opt(s.delete),
    parallelWall: opt(s.parallel),
    peakRssKiB: summarize(s.rss),
  };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opts = { iterations: option(args, '--iterations', 100), parallel: option(args, '--parallel', 50), rounds: option(args, '--rounds', 3) };
  if (!fs.existsSync(GNU_TIME)) throw new Error(`${GNU_TIME} is missing: install Debian's time package (apt-get install time)`);

  // crun 1.8 refuses an ociVersion newer than 1.0.x; the config uses nothing later.
  const bundle = makeBundle(['/bin/true'], (c) => {
    c.ociVersion = '1.0.2';
  });
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-bench-'));
  const here = (job: Job) => perform(job);
  const runtime = (name: string, bin: string, jobs = here): Runner => ({
    name,
    version: version([bin, '--version']),
    cmd: (a) => [bin, '--root', path.join(root, name), ...a],
    perform: jobs,
  });
  const traceFile = path.join(root, 'trace.jsonl');
  const tsrun: Runner = { ...runtime('tsrun', TSRUN), traced: (a) => ['env', `TSRUN_TRACE=${traceFile}`, TSRUN, '--root', path.join(root, 'tsrun'), ...a] };
  const runners: Runner[] = [{ name: FLOOR, version: process.version, perform: here }, tsrun];
  const baseline = args.includes('--baseline') ? path.resolve(args[args.indexOf('--baseline') + 1] ?? '') : null;
  if (baseline) runners.push(runtime('tsrun-baseline', baseline));
  const runc = which('runc');
  if (runc) runners.push(runtime('runc', runc));
  else process.stderr.write('runc: not installed, left out\n');
  const crun = which('crun');
  const agent = crun ? startAgent() : null;
  if (crun && agent) runners.push(runtime('crun', crun, agent.perform));
  else process.stderr.write('crun: not installed (apt-get install crun), left out\n');

  const loadAtStart = os.loadavg()[0];
  let samples: Map<string, Samples>;
  let trace: BenchResults['trace'];
  try {
    samples = await measure(runners, bundle.dir, opts);
    trace = summarizeTrace(parseTrace(fs.readFileSync(traceFile, 'utf8')));
  } finally {
    agent?.child.stdin!.end();
    bundle.cleanup();
    fs.rmSync(root, { recursive: true, force: true });
    removeLog();
  }

  const results: BenchResults = {
    date: new Date().toISOString(),
    host: { kernel: os.release(), cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown', node: process.version, loadavg: [loadAtStart, os.loadavg()[0]] },
    iterations: opts.iterations,
    parallel: { containers: opts.parallel, rounds: opts.rounds },
    runtimes: runners.map((r) => toResult(r, samples.get(r.name)!)),
    trace,
  };
  results.goals = goalRows(results);
  const dir = path.join(REPO, 'bench/results');
  fs.mkdirSync(dir, { recursive: true });
  if (fs.existsSync(path.join(dir, 'latest.json'))) fs.renameSync(path.join(dir, 'latest.json'), path.join(dir, 'previous.json'));
  fs.writeFileSync(path.join(dir, 'latest.json'), JSON.stringify(results, null, 2) + '\n');
  const markdown = renderMarkdown(results);
  fs.writeFileSync(path.join(REPO, 'docs/benchmarks.md'), markdown);
  fs.writeFileSync(path.join(REPO, 'docs/benchmarks.svg'), renderSvg(results));
  process.stdout.write(markdown);
}

main().catch((err) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

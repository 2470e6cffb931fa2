/**
 * Benchmark (not a test) of tsctl, the client, on this host in one run, side by side:
 *
 *   - start-up (wall and CPU time): `tsctl version --help` (parses its command line, prints, exits; no daemon) as
 *     bin/tsctl runs it (dist/tsctl.blob, the startup snapshot of the bundle), from the bundle
 *     alone (dist/tsctl.js, as when the snapshot cannot be used), and as tsc compiled it
 *     (dist/supervisor/tsctl/main.js and its modules, what bin/tsctl ran before it was bundled);
 *     beside `node -e 0`, the floor of any Node program, and the Go clients' `ctr --version` and
 *     `podman --version`;
 *   - one container of /bin/true from a busybox image, run to its exit and removed, no network:
 *     `tsctl run --rm` (bin/tsctl, and unbundled) against a tsrund, `ctr run --rm` against a
 *     containerd 1.6 (Debian's runc under containerd-shim-runc-v2) and `podman run --rm` (Debian's
 *     podman 4 with conmon and runc), the same image imported into each; and tsrund's API from a
 *     client already running, which is what tsctl adds its start-up to.
 *
 * Each program runs with no environment but PATH (NODE_EXTRA_CA_CERTS, which this host sets,
 * would add Node's certificate loading to the unbundled run), the ways interleaved in a new
 * seeded order each round. Engines run privately (test/helpers/daemons.ts,
 * test/supervisor/daemon.ts).
 *
 *   npm run bench:tsctl [-- --iterations N] [--runs N]
 *
 * Writes bench/results/tsctl.json and docs/benchmarks-tsctl.md and prints the tables.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Containerd, Podman } from '../test/helpers/daemons';
import { buildBusyboxArchive } from '../test/helpers/oci-image';
import { TSCTL, TestDaemon } from '../test/supervisor/daemon';
import { seededRandom } from '../test/helpers/seeded-random';
import { summarize, type Summary } from './stats';
import { apiRunToExit, exec, option, runBenchmark, timed, version, writeResults } from './harness';

const REPO = path.dirname(path.dirname(TSCTL));
const IMAGE = 'localhost/tsrun-busybox:bench-tsctl';
const TRUE = ['/bin/true'];
/** The seed of the order of the ways in each round (fixed: a run can be repeated). */
const ORDER_SEED = 13;
/** No environment but PATH, as a login would give at least. */
const ENV = { PATH: process.env.PATH };
const UNBUNDLED = ['node', path.join(REPO, 'dist/supervisor/tsctl/main.js')];
const BUNDLE = ['node', path.join(REPO, 'dist/tsctl.js')];

/**
 * One way of doing the thing measured: resolves once it is done (rejects unless it succeeded),
 * with the CPU time its program took (ms, user + system, with the children it waited for), or
 * null when it runs in this process.
 */
type Way = [name: string, run: (i: number) => Promise<number | null>];

interface Figures {
  wallMs: Summary;
  /** Mean CPU ms per run (GNU time counts in 10 ms steps: a mean says more than a median); null for this process's own calls. */
  cpuMs: number | null;
}

interface Results {
  date: string;
  host: { cpus: number; kernel: string; loadavgBefore: number[]; loadavgAfter: number[] };
  versions: Record<string, string>;
  iterations: { startup: number; runs: number };
  startup: Record<string, Figures>;
  runRm: Record<string, Figures>;
}

/** Run `argv` to its exit (rejects unless it exits 0) under GNU time; its CPU time in ms. */
async function cpuTimed(argv: string[], scratch: string, i: number): Promise<number> {
  const out = path.join(scratch, `time-${i}`);
  await exec(['/usr/bin/time', '-f', '%U %S', '-o', out, ...argv], ENV);
  const [user, system] = fs.readFileSync(out, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  fs.rmSync(out);
  return (user + system) * 1000;
}

/** `ways` in a random order (Fisher-Yates). */
function shuffled<T>(ways: readonly T[], random: () => number): T[] {
  const out = [...ways];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * `iterations` rounds of every way, each round in a new seeded order: what an engine leaves to
 * finish after its run (podman's cleanup, a shim's exit) then falls on no way more than another.
 * After one untimed round (its ids after the timed ones).
 */
async function measure(ways: Way[], iterations: number): Promise<Record<string, Figures>> {
  for (const [k, [, run]] of ways.entries()) await run(iterations * ways.length + k);
  const wall = new Map<string, number[]>(ways.map(([name]) => [name, []]));
  const cpu = new Map<string, number[]>(ways.map(([name]) => [name, []]));
  const random = seededRandom(ORDER_SEED);
  for (let i = 0; i < iterations; i++) {
    for (const [k, [name, run]] of shuffled(ways, random).entries()) {
      let used: number | null = null;
      wall.get(name)!.push(await timed(async () => (used = await run(i * ways.length + k))));
      if (used !== null) cpu.get(name)!.push(used);
    }
  }
  const mean = (s: number[]) => (s.length === 0 ? null : s.reduce((a, b) => a + b, 0) / s.length);
  return Object.fromEntries([...wall].map(([name, s]) => [name, { wallMs: summarize(s), cpuMs: mean(cpu.get(name)!) }]));
}

function startupWays(scratch: string): Way[] {
  const cli = (argv: string[]) => (i: number) => cpuTimed(argv, scratch, i);
  return [
    ['bin/tsctl (snapshot)', cli([TSCTL, 'version', '--help'])],
    ['node dist/tsctl.js (bundle)', cli([...BUNDLE, 'version', '--help'])],
    ['node dist/supervisor/tsctl/main.js (unbundled)', cli([...UNBUNDLED, 'version', '--help'])],
    ['node -e 0', cli(['node', '-e', '0'])],
    ['ctr --version', cli(['ctr', '--version'])],
    ['podman --version', cli(['podman', '--version'])],
  ];
}

function runWays(scratch: string, daemon: TestDaemon, containerd: Containerd, podman: Podman): Way[] {
  const tsctlRun = (argv: string[], id: string, i: number) =>
    cpuTimed([...argv, '--address', daemon.address, 'run', '--rm', '--network', 'none', '--name', id, IMAGE, ...TRUE], scratch, i);
  const ctr = ['ctr', '--address', containerd.socket, '--namespace', containerd.namespace];
  return [
    ['tsctl run --rm (bin/tsctl)', (i) => tsctlRun([TSCTL], `bt-s-${i}`, i)],
    ['tsctl run --rm (unbundled)', (i) => tsctlRun(UNBUNDLED, `bt-u-${i}`, i)],
    ['ctr run --rm (runc)', (i) => cpuTimed([...ctr, 'run', '--rm', '--fifo-dir', containerd.fifoDir, IMAGE, `bt-c-${i}`, ...TRUE], scratch, i)],
    ['podman run --rm (runc)', (i) => cpuTimed(podman.argv(['run', '--rm', ...podman.runFlags, '--network', 'none', IMAGE, ...TRUE]), scratch, i)],
    ['tsrund API (client running)', async (i) => (await apiRunToExit(daemon.client, `bt-a-${i}`, IMAGE, TRUE, 'none'), null)],
  ];
}

const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));
const ratio = (a: number, b: number) => (a / b).toFixed(2);

function table(rows: Record<string, Figures>): string[] {
  return [
    '| how | median ms | p95 ms | min ms | max ms | CPU ms (mean) |',
    '|---|---:|---:|---:|---:|---:|',
    ...Object.entries(rows).map(
      ([name, { wallMs: s, cpuMs }]) => `| ${name} | ${fmt(s.median)} | ${fmt(s.p95)} | ${fmt(s.min)} | ${fmt(s.max)} | ${cpuMs === null ? '—' : fmt(cpuMs)} |`,
    ),
  ];
}

function renderMarkdown(r: Results): string {
  const up = (name: string) => r.startup[name].wallMs.median;
  const run = (name: string) => r.runRm[name].wallMs.median;
  const cpu = (name: string) => r.runRm[name].cpuMs ?? NaN;
  const busy = r.host.loadavgBefore[0] > r.host.cpus || r.host.loadavgAfter[0] > r.host.cpus;
  return [
    '# tsctl: start-up, and `run --rm` against ctr and podman',
    '',
    `Measured ${r.date} by \`npm run bench:tsctl\` (bench/tsctl.ts) on one host: ${r.host.cpus} cores, Linux ${r.host.kernel}; ` +
      `load average ${r.host.loadavgBefore.map((n) => n.toFixed(2)).join(' ')} before, ${r.host.loadavgAfter.map((n) => n.toFixed(2)).join(' ')} after. ` +
      'Every program ran with no environment but PATH.',
    '',
    ...(busy ? ['**The host was busy** (a load average above its core count, from other work): the ratios between ways (measured interleaved) mean more than the absolute values.', ''] : []),
    ...Object.entries(r.versions).map(([k, v]) => `- ${k}: ${v}`),
    '',
    `## Start-up: \`tsctl version --help\` (${r.iterations.startup} runs each, interleaved in a seeded order)`,
    '',
    ...table(r.startup),
    '',
    `bin/tsctl starts from dist/tsctl.blob, a V8 startup snapshot of the bundle (scripts/build-snapshot.js): ` +
      `**${ratio(up('bin/tsctl (snapshot)'), up('node dist/supervisor/tsctl/main.js (unbundled)'))}** of the unbundled start-up, ` +
      `${ratio(up('bin/tsctl (snapshot)'), up('node dist/tsctl.js (bundle)'))} of the bundle's; ` +
      `${fmt(up('bin/tsctl (snapshot)') - up('node -e 0'))} ms above \`node -e 0\`. ` +
      'The snapshot holds every tsctl module but main.js evaluated, the API\'s protos loaded and their codecs generated ' +
      '(supervisor/client/warm-up.ts); grpc-js\'s http2 and tls load on the first call (Node 20 cannot keep them in a snapshot), ' +
      'which `--help` does not make.',
    '',
    `## One container of /bin/true, run to its exit and removed (${r.iterations.runs} runs each, interleaved in a seeded order)`,
    '',
    ...table(r.runRm),
    '',
    `tsctl run --rm / ctr run --rm: **${ratio(run('tsctl run --rm (bin/tsctl)'), run('ctr run --rm (runc)'))}**; ` +
      `tsctl run --rm / podman run --rm: **${ratio(run('tsctl run --rm (bin/tsctl)'), run('podman run --rm (runc)'))}** (medians). ` +
      `Unbundled, tsctl took ${ratio(run('tsctl run --rm (unbundled)'), run('tsctl run --rm (bin/tsctl)'))}× as long. ` +
      `What tsctl adds to the API's sequence (Containers.Create, Tasks.Create/Start/Wait/Delete, Containers.Delete from a running client): ` +
      `${fmt(run('tsctl run --rm (bin/tsctl)') - run('tsrund API (client running)'))} ms of wall time. ` +
      `The client's CPU per run: tsctl ${fmt(cpu('tsctl run --rm (bin/tsctl)'))} ms (unbundled ${fmt(cpu('tsctl run --rm (unbundled)'))}), ` +
      `ctr ${fmt(cpu('ctr run --rm (runc)'))} ms, podman ${fmt(cpu('podman run --rm (runc)'))} ms: on a busy host a client waits for a core ` +
      'for each of its milliseconds of CPU, so the wall-time gap is wider than the CPU one.',
    '',
    'Every way includes starting its client program (Node for tsctl, Go for ctr and podman) except the API row; ' +
      'podman\'s also starts conmon per container (not in its CPU figure: conmon is not a child podman waits for); ' +
      'no way has a network (tsctl and podman `--network none`, ctr\'s default: a loopback of its own). ' +
      'CPU: user + system time of the program and the children it waited for, from GNU time (10 ms steps), each run under it.',
    '',
  ].join('\n');
}

async function main(argv: string[]): Promise<void> {
  const iterations = { startup: option(argv, 'iterations', 30), runs: option(argv, 'runs', 20) };
  const loadavgBefore = os.loadavg();
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-bench-tsctl-'));
  const daemon = new TestDaemon();
  let containerd: Containerd | null = null;
  let podman: Podman | null = null;
  try {
    console.error(`start-up: ${iterations.startup} runs each`);
    const startup = await measure(startupWays(scratch), iterations.startup);

    const image = buildBusyboxArchive(scratch, IMAGE);
    await daemon.start(['--log-level', 'warn']);
    await daemon.client.importImages(image.file);
    containerd = await Containerd.start();
    const imported = containerd.ctr(['images', 'import', image.file]);
    if (imported.code !== 0) throw new Error(`ctr images import: ${imported.stderr}`);
    podman = await Podman.start('/usr/sbin/runc');
    const loaded = podman.cmd(['load', '--quiet', '--input', image.file]);
    if (loaded.code !== 0) throw new Error(`podman load: ${loaded.stderr}`);
    console.error(`run --rm: ${iterations.runs} runs each`);
    const runRm = await measure(runWays(scratch, daemon, containerd, podman), iterations.runs);

    const server = await daemon.client.version();
    const results: Results = {
      date: new Date().toISOString(),
      host: { cpus: os.cpus().length, kernel: os.release(), loadavgBefore, loadavgAfter: os.loadavg() },
      versions: {
        tsrund: `${server.version} (API ${server.api}, Node ${server.node})`,
        containerd: version(['containerd', '--version']),
        podman: version(['podman', '--version']),
        runc: version(['runc', '--version']),
      },
      iterations,
      startup,
      runRm,
    };
    writeResults(REPO, 'tsctl', 'benchmarks-tsctl', results, renderMarkdown(results));
  } finally {
    await podman?.cleanup();
    await containerd?.cleanup();
    await daemon.cleanup();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

runBenchmark(main);

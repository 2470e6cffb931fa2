/**
 * Benchmark (not a test) of tsrund against containerd 1.6 from Debian on this host in one run,
 * with the same busybox image in both (test/helpers/oci-image.ts; imported with Images.Import and
 * `ctr images import`). containerd runs with its own root, state and socket under a temp dir in a
 * private mount namespace (test/helpers/daemons.ts), with Debian's runc under its shim.
 *
 *   - latency of one container of /bin/true run to its exit and removed: `tsctl run --rm`,
 *     tsrund's API directly (supervisor/client, in this process), and `ctr run --rm`;
 *     median and p95, iterations interleaved with the starting engine rotating;
 *   - containers per second, the same runs back to back and with 2 and 8 at a time;
 *   - memory with N running `sleep` containers (default 100): VmRSS (and PSS) per container of
 *     its helper processes (tsrun-monitor; containerd-shim-runc-v2), and each daemon's own;
 *   - the anchor of the latency row, `crun run` of a busybox bundle of /bin/true (bench/crun-agent.ts),
 *     interleaved with the others;
 *   - where tsrund's time goes: a traced pass of API runs (tsrund started with TSRUND_TRACE,
 *     bench/daemon-trace.ts), each phase's mean per container.
 *
 *   npm run bench:supervisor [-- --iterations N] [--containers N] [--running N]
 *
 * Writes bench/results/supervisor.json ("rows": ISSUE-16's rows, each with its anchor and ratio)
 * and docs/benchmarks-supervisor.md and prints the tables.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { TsrundClient } from '../supervisor/client/client';
import { Containerd } from '../test/helpers/daemons';
import { makeBundle } from '../test/helpers/bundle';
import { buildBusyboxArchive } from '../test/helpers/oci-image';
import { TSCTL, TestDaemon } from '../test/supervisor/daemon';
import { summarize, type Summary } from './stats';
import { startAgent } from './crun-agent';
import { clearTrace, enableTrace, readTrace, traceMarkdown, type TracePhase } from './daemon-trace';
import { apiRunToExit, exec, onNetwork, option, runBenchmark, timed, version, writeResults } from './harness';
import { row, rowsMarkdown, type Row } from './issue-rows';

const REPO = path.dirname(path.dirname(TSCTL));
const IMAGE = 'localhost/tsrun-busybox:bench';
const CONCURRENCY = [1, 2, 8] as const;
const LIFECYCLE_ARGS = ['/bin/true'];
const SLEEP_ARGS = ['sleep', '3600'];
/** API runs in the traced pass. */
const TRACED_RUNS = 10;

/** One way of running containers. */
interface Engine {
  name: string;
  /**
   * Run `args` in a new container to its exit, then remove it; rejects unless it exited 0.
   * Resolves with the time it measured itself (ms), when it did.
   */
  runRm(id: string): Promise<number | void>;
}

interface MemoryFigures {
  running: number;
  /** Sum over the containers' helper processes, divided by the number of containers (KiB). */
  helperRssPerContainerKiB: number;
  helperPssPerContainerKiB: number;
  helperProcesses: number;
  daemonRssKiB: number;
  daemonPssKiB: number;
}

interface Results {
  date: string;
  host: { cpus: number; kernel: string; memoryGiB: number; loadavgBefore: number[]; loadavgAfter: number[] };
  versions: Record<string, string>;
  iterations: number;
  containersPerThroughputRun: number;
  latencyMs: Record<string, Summary>;
  containersPerSecond: Record<string, Record<string, number>>;
  memory: Record<string, MemoryFigures>;
  /** Phases of tsrund's API path, mean ms per container over a traced pass. */
  trace: { containers: number; phases: TracePhase[] };
  rows: Row[];
}





/**
 * `total` calls of `fn`, at most `concurrency` at a time; the wall time in ms. A failure stops
 * the workers from taking more, and is thrown once every call under way has ended (so that the
 * clean-up after it finds every container made).
 */
async function pool(total: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  let failure: { error: unknown } | null = null;
  const worker = async () => {
    while (next < total && failure === null) {
      try {
        await fn(next++);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  const ms = await timed(async () => {
    await Promise.all(Array.from({ length: concurrency }, worker));
  });
  if (failure !== null) throw (failure as { error: unknown }).error;
  return ms;
}

/** VmRSS and PSS of a process in KiB (0 for one that is gone). */
function memoryOf(pid: number): { rss: number; pss: number } {
  const field = (text: string, name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
  try {
    return {
      rss: field(fs.readFileSync(`/proc/${pid}/status`, 'utf8'), 'VmRSS'),
      pss: field(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'), 'Pss'),
    };
  } catch {
    return { rss: 0, pss: 0 };
  }
}

/** Pids whose comm is `comm` in mount namespace `ns` (containerd's shims). */
function processesNamed(comm: string, ns: string): number[] {
  return fs
    .readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .map(Number)
    .filter((pid) => {
      try {
        return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === comm && fs.readlinkSync(`/proc/${pid}/ns/mnt`) === ns;
      } catch {
        return false;
      }
    });
}

function memoryFigures(running: number, helpers: number[], daemonPid: number): MemoryFigures {
  const sum = helpers.map(memoryOf).reduce((a, m) => ({ rss: a.rss + m.rss, pss: a.pss + m.pss }), { rss: 0, pss: 0 });
  const daemon = memoryOf(daemonPid);
  return {
    running,
    helperRssPerContainerKiB: Math.round(sum.rss / running),
    helperPssPerContainerKiB: Math.round(sum.pss / running),
    helperProcesses: helpers.length,
    daemonRssKiB: daemon.rss,
    daemonPssKiB: daemon.pss,
  };
}

function tsctlEngine(daemon: TestDaemon): Engine {
  return {
    name: 'tsctl run --rm',
    runRm: (id) => exec([TSCTL, '--address', daemon.address, 'run', '--rm', '--network', 'none', '--name', id, IMAGE, ...LIFECYCLE_ARGS]),
  };
}

function apiEngine(client: TsrundClient): Engine {
  return {
    name: 'tsrund API',
    runRm: (id) => apiRunToExit(client, id, IMAGE, LIFECYCLE_ARGS, 'none'),
  };
}

/** `crun run` of a bundle in the agent's mount namespace (crun times itself there: no IPC in the figure). */
function crunEngine(agent: ReturnType<typeof startAgent>, root: string, bundle: string): Engine {
  return {
    name: 'crun run',
    runRm: async (id) =>
      (await agent.perform({ kind: 'time', argv: ['crun', '--root', root, 'run', '-b', bundle, id], cleanup: ['crun', '--root', root, 'delete', '--force', id] })) as number,
  };
}

function ctrArgs(containerd: Containerd, args: string[]): string[] {
  return ['ctr', '--address', containerd.socket, '--namespace', containerd.namespace, ...args];
}

function ctrEngine(containerd: Containerd): Engine {
  return {
    name: 'ctr run --rm',
    runRm: (id) => exec(ctrArgs(containerd, ['run', '--rm', '--fifo-dir', containerd.fifoDir, IMAGE, id, ...LIFECYCLE_ARGS])),
  };
}

async function measureLatency(engines: Engine[], iterations: number): Promise<Record<string, Summary>> {
  const samples = new Map<string, number[]>(engines.map((e) => [e.name, []]));
  for (let i = 0; i < iterations; i++) {
    for (let k = 0; k < engines.length; k++) {
      const e = engines[(i + k) % engines.length];
      let own: number | void = undefined;
      const ms = await timed(async () => (own = await e.runRm(`lat-${i}-${k}`)));
      samples.get(e.name)!.push(own ?? ms);
    }
  }
  return Object.fromEntries([...samples].map(([name, s]) => [name, summarize(s)]));
}

async function measureThroughput(engines: Engine[], total: number): Promise<Record<string, Record<string, number>>> {
  const out: Record<string, Record<string, number>> = Object.fromEntries(engines.map((e) => [e.name, {}]));
  for (const c of CONCURRENCY) {
    for (const [k, e] of engines.entries()) {
      const ms = await pool(total, c, async (i) => void (await e.runRm(`tp-${c}-${k}-${i}`)));
      out[e.name][`parallel${c}`] = Number(((total * 1000) / ms).toFixed(2));
    }
  }
  return out;
}

async function tsrundMemory(daemon: TestDaemon, client: TsrundClient, running: number): Promise<MemoryFigures> {
  await pool(running, 8, async (i) => {
    const id = `mem-${i}`;
    await client.createContainer({ id, image: IMAGE, overrides: { args: SLEEP_ARGS, network: onNetwork('none') } });
    await client.createTask(id);
    await client.startTask(id);
  });
  const tasks = (await client.listTasks()).filter((t) => t.status === 'RUNNING');
  if (tasks.length !== running) throw new Error(`tsrund: ${tasks.length} of ${running} containers running`);
  await new Promise((r) => setTimeout(r, 1000));
  const figures = memoryFigures(running, tasks.map((t) => t.monitorPid), daemon.proc!.pid!);
  await pool(running, 8, async (i) => {
    await client.deleteTask(`mem-${i}`, { force: true });
    await client.deleteContainer(`mem-${i}`);
  });
  return figures;
}

async function containerdMemory(containerd: Containerd, running: number): Promise<MemoryFigures> {
  await pool(running, 8, (i) => exec(ctrArgs(containerd, ['run', '-d', '--fifo-dir', containerd.fifoDir, IMAGE, `mem-${i}`, ...SLEEP_ARGS])));
  const listed = containerd.ctr(['tasks', 'ls']).stdout.split('\n').filter((l) => /\sRUNNING\s*$/.test(l));
  if (listed.length !== running) throw new Error(`containerd: ${listed.length} of ${running} containers running`);
  await new Promise((r) => setTimeout(r, 1000));
  // containerd-shim-runc-v2's comm, cut to 15 characters by the kernel.
  const shims = processesNamed('containerd-shim', containerd.mountNamespace);
  return memoryFigures(running, shims, containerd.pid);
}


function issueRows(latency: Results['latencyMs'], perSecond: Results['containersPerSecond'], memory: Results['memory']): Row[] {
  const api = perSecond['tsrund API'];
  const ctr = perSecond['ctr run --rm'];
  return [
    row('tsrund API: one container run to exit and removed (median)', 'ms', latency['tsrund API'].median, 'crun run (median)', latency['crun run'].median, false),
    row('tsrund API containers/s, 1 at a time', '/s', api.parallel1, 'ctr run --rm', ctr.parallel1, true),
    row('tsrund API containers/s, 8 at a time', '/s', api.parallel8, 'ctr run --rm', ctr.parallel8, true),
    row(`tsrund RSS with ${memory.tsrund.running} running containers`, 'MiB', memory.tsrund.daemonRssKiB / 1024, 'containerd RSS', memory.containerd.daemonRssKiB / 1024, false),
  ];
}

const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));
const mib = (kib: number) => (kib / 1024).toFixed(1);

function renderMarkdown(r: Results): string {
  const engines = Object.keys(r.latencyMs);
  const lines = [
    '# tsrund vs containerd',
    '',
    `Measured ${r.date} by \`npm run bench:supervisor\` (bench/supervisor.ts) on one host: ${r.host.cpus} cores, ` +
      `${r.host.memoryGiB} GiB, Linux ${r.host.kernel}; load average ${r.host.loadavgBefore.map((n) => n.toFixed(2)).join(' ')} ` +
      `before, ${r.host.loadavgAfter.map((n) => n.toFixed(2)).join(' ')} after. The same busybox image in both; ` +
      'containerd with its own root/state/socket in a private mount namespace, Debian\'s runc under containerd-shim-runc-v2.',
    '',
    ...(Math.max(...r.host.loadavgBefore.slice(0, 1), ...r.host.loadavgAfter.slice(0, 1)) > r.host.cpus
      ? ['**The host was busy** (a load average above its core count, from other work): the figures are noisy, ' +
          'the ratios between the engines (measured interleaved) mean more than the absolute values.', '']
      : []),
    ...Object.entries(r.versions).map(([k, v]) => `- ${k}: ${v}`),
    '',
    "## ISSUE-16's rows (anchors measured in this run)",
    '',
    ...rowsMarkdown(r.rows),
    '',
    `## One container of /bin/true, run to its exit and removed (${r.iterations} runs each, interleaved)`,
    '',
    '| how | median ms | p95 ms | min ms | max ms |',
    '|---|---:|---:|---:|---:|',
    ...engines.map((e) => {
      const s = r.latencyMs[e];
      return `| ${e} | ${fmt(s.median)} | ${fmt(s.p95)} | ${fmt(s.min)} | ${fmt(s.max)} |`;
    }),
    '',
    '`tsctl run --rm` and `ctr run --rm` include starting the client program (Node for tsctl, Go for ctr); ' +
      '"tsrund API" is the same sequence of calls (Containers.Create, Tasks.Create/Start/Wait/Delete, Containers.Delete) ' +
      'from a client already running.',
    '',
    `## Containers per second (${r.containersPerThroughputRun} runs of the above per figure)`,
    '',
    `| how | ${CONCURRENCY.map((c) => (c === 1 ? 'one at a time' : `${c} at a time`)).join(' | ')} |`,
    `|---|${CONCURRENCY.map(() => '---:').join('|')}|`,
    ...Object.keys(r.containersPerSecond).map((e) => `| ${e} | ${CONCURRENCY.map((c) => r.containersPerSecond[e][`parallel${c}`].toFixed(1)).join(' | ')} |`),
    '',
    `## Memory with ${Object.values(r.memory)[0]?.running ?? 0} running \`sleep\` containers`,
    '',
    '| daemon | helper processes | helper VmRSS per container | helper PSS per container | daemon VmRSS | daemon PSS |',
    '|---|---:|---:|---:|---:|---:|',
    ...Object.entries(r.memory).map(
      ([name, m]) =>
        `| ${name} | ${m.helperProcesses} | ${mib(m.helperRssPerContainerKiB)} MiB | ${mib(m.helperPssPerContainerKiB)} MiB | ` +
        `${mib(m.daemonRssKiB)} MiB | ${mib(m.daemonPssKiB)} MiB |`,
    ),
    '',
    "Helpers: tsrund's per-container tsrun-monitor; containerd's containerd-shim-runc-v2 (one per container). " +
      'VmRSS counts shared pages (libc, the shim binary) in every process; PSS divides them among their users.',
    '',
    `## Where tsrund's time goes (a traced pass of ${r.trace.containers} API runs, mean per container)`,
    '',
    ...traceMarkdown(r.trace.phases, 'container'),
    '',
    'Phases nest: an rpc line holds the phases of its handler, a "task create" lap holds the state writes in it, ' +
      'and "monitor (C)" lines are the monitor\'s own clock inside "monitor: spawn to its report".',
    '',
  ];
  return lines.join('\n');
}

async function main(argv: string[]): Promise<void> {
  const iterations = option(argv, 'iterations', 20);
  const total = option(argv, 'containers', 24);
  const running = option(argv, 'running', 100);
  const loadavgBefore = os.loadavg();
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-bench-supervisor-'));
  const daemon = new TestDaemon();
  const traceFile = path.join(scratch, 'trace.jsonl');
  // crun 1.8 refuses an ociVersion newer than 1.0.x; the config uses nothing later.
  const crunBundle = makeBundle(LIFECYCLE_ARGS, (c) => {
    c.ociVersion = '1.0.2';
  });
  const agent = startAgent();
  let containerd: Containerd | null = null;
  try {
    const image = buildBusyboxArchive(scratch, IMAGE);
    enableTrace(traceFile);
    await daemon.start(['--log-level', 'warn']);
    const client = daemon.client;
    await client.importImages(image.file);
    containerd = await Containerd.start();
    const imported = containerd.ctr(['images', 'import', image.file]);
    if (imported.code !== 0) throw new Error(`ctr images import: ${imported.stderr}`);

    const engines = [tsctlEngine(daemon), apiEngine(client), ctrEngine(containerd)];
    const latencyEngines = [...engines, crunEngine(agent, path.join(scratch, 'crun'), crunBundle.dir)];
    // One untimed run each: caches, the overlay snapshots, containerd's shim binary.
    for (const [k, e] of latencyEngines.entries()) await e.runRm(`warm-${k}`);
    console.error(`latency: ${iterations} runs per engine`);
    const latencyMs = await measureLatency(latencyEngines, iterations);
    console.error(`throughput: ${total} containers per figure`);
    const containersPerSecond = await measureThroughput(engines, total);
    console.error(`trace: ${TRACED_RUNS} API runs`);
    clearTrace(traceFile);
    for (let i = 0; i < TRACED_RUNS; i++) await apiEngine(client).runRm(`trace-${i}`);
    const trace = { containers: TRACED_RUNS, phases: readTrace(traceFile, TRACED_RUNS) };
    console.error(`memory: ${running} running containers each`);
    const memory = {
      tsrund: await tsrundMemory(daemon, client, running),
      containerd: await containerdMemory(containerd, running),
    };
    const server = await client.version();
    const results: Results = {
      date: new Date().toISOString(),
      host: {
        cpus: os.cpus().length,
        kernel: os.release(),
        memoryGiB: Math.round(os.totalmem() / 2 ** 30),
        loadavgBefore,
        loadavgAfter: os.loadavg(),
      },
      versions: {
        tsrund: `${server.version} (API ${server.api}, Node ${server.node})`,
        containerd: version(['containerd', '--version']),
        runc: version(['runc', '--version']),
      },
      iterations,
      containersPerThroughputRun: total,
      latencyMs,
      containersPerSecond,
      memory,
      trace,
      rows: issueRows(latencyMs, containersPerSecond, memory),
    };
    writeResults(REPO, 'supervisor', 'benchmarks-supervisor', results, renderMarkdown(results));
  } finally {
    agent.child.stdin!.end();
    crunBundle.cleanup();
    await containerd?.cleanup();
    await daemon.cleanup();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

runBenchmark(main);

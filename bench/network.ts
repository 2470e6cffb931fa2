/**
 * Benchmark (not a test) of tsrund's networks on this host in one run, side by side:
 *
 *   - TCP throughput container → container on one user network (a bridge), against the same two
 *     busybox programs talking over the host's loopback: `nc -e dd` sending GiB of zeros to an
 *     `nc -ll -e cat` server; the time of a 1-block send is taken off so that start-up is not
 *     counted;
 *   - the time to run a container of /bin/true to its exit and remove it, with `--network
 *     bridge` (CNI ADD and DEL on the default network) and with `--network none`, through
 *     tsrund's API and through podman (Debian's, with runc; its CNI network built from the same
 *     plugins: bridge, host-local, portmap), iterations interleaved.
 *
 *   npm run bench:network [-- --iterations N] [--gib N]
 *
 * Writes bench/results/network.json and docs/benchmarks-network.md and prints the table. Traffic
 * stays on this machine: containers, their bridges and the host's loopback.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { TsrundClient } from '../supervisor/client/client';
import { NetworkFirewall } from '../supervisor/network/firewall';
import { Podman } from '../test/helpers/daemons';
import { buildBusyboxArchive } from '../test/helpers/oci-image';
import { TSCTL, TestDaemon } from '../test/supervisor/daemon';
import { summarize, type Summary } from './stats';
import { apiRunToExit, exec, onNetwork, option, timed, version, writeResults } from './harness';

const REPO = path.dirname(path.dirname(TSCTL));
const IMAGE = 'localhost/tsrun-busybox:bench-network';
const PORT = 5001;
const BLOCK = 65536;
/** podman's network: its own bridge and a subnet of the benchmark's own. */
const PODMAN_BRIDGE = `tsbp${process.pid % 100000}`;
const PODMAN_SUBNET = '10.237.0.0/24';

interface Results {
  date: string;
  host: { cpus: number; kernel: string; loadavgBefore: number[]; loadavgAfter: number[] };
  versions: Record<string, string>;
  iterations: number;
  gib: number;
  throughputMiBps: { bridge: number; loopback: number };
  runToExitMs: Record<string, Summary>;
}


const sender = (address: string, blocks: number) => ['nc', address, String(PORT), '-e', 'dd', 'if=/dev/zero', `bs=${BLOCK}`, `count=${blocks}`];
const SERVER = ['nc', '-ll', '-p', String(PORT), '-e', 'sh', '-c', 'cat > /dev/null'];

/** MiB/s of `send(blocks)` (ms) for `gib` GiB, less the time of a one-block send. */
async function throughput(gib: number, send: (blocks: number) => Promise<number>): Promise<number> {
  const blocks = (gib * 2 ** 30) / BLOCK;
  const base = Math.min(await send(1), await send(1), await send(1));
  const ms = await send(blocks);
  return (gib * 1024) / ((ms - base) / 1000);
}

const apiRun = (client: TsrundClient, id: string, args: string[], network: string) => timed(() => apiRunToExit(client, id, IMAGE, args, network));

async function bridgeThroughput(client: TsrundClient, gib: number): Promise<number> {
  await client.createNetwork({ name: 'benchnet' });
  await client.createContainer({ id: 'tp-server', image: IMAGE, overrides: { args: SERVER, network: onNetwork('benchnet') } });
  try {
    await client.createTask('tp-server');
    await client.startTask('tp-server');
    const address = (await client.getContainer('tp-server')).networkStatus!.endpoints[0].ipv4Address.split('/')[0];
    let n = 0;
    return await throughput(gib, (blocks) => apiRun(client, `tp-client-${n++}`, sender(address, blocks), 'benchnet'));
  } finally {
    await client.deleteTask('tp-server', { force: true }).catch(() => undefined);
    await client.deleteContainer('tp-server').catch(() => undefined);
    await client.deleteNetwork('benchnet').catch(() => undefined);
  }
}

async function loopbackThroughput(gib: number): Promise<number> {
  const server = spawn('busybox', SERVER, { stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 200));
    return await throughput(gib, (blocks) => timed(() => exec(['busybox', ...sender('127.0.0.1', blocks)])));
  } finally {
    server.kill('SIGKILL');
  }
}

function podmanNetwork() {
  return {
    name: 'tsbench',
    configList: {
      cniVersion: '1.0.0',
      name: 'tsbench',
      plugins: [
        {
          type: 'bridge',
          bridge: PODMAN_BRIDGE,
          isGateway: true,
          ipMasq: true,
          hairpinMode: true,
          ipam: { type: 'host-local', ranges: [[{ subnet: PODMAN_SUBNET }]], routes: [{ dst: '0.0.0.0/0' }] },
        },
        { type: 'portmap', capabilities: { portMappings: true } },
      ],
    },
  };
}

async function measureRuns(client: TsrundClient, podman: Podman, iterations: number): Promise<Record<string, Summary>> {
  const podmanRun = (network: string) => async () => {
    const r = podman.cmd(['run', '--rm', ...podman.runFlags, '--network', network, IMAGE, '/bin/true']);
    if (r.code !== 0) throw new Error(`podman run --network ${network}: ${r.stderr}`);
  };
  const ways: Array<[string, (i: number) => Promise<number>]> = [
    ['tsrund API --network bridge', (i) => apiRun(client, `net-b-${i}`, ['/bin/true'], 'bridge')],
    ['tsrund API --network none', (i) => apiRun(client, `net-n-${i}`, ['/bin/true'], 'none')],
    ['podman run --network bridge (runc)', () => timed(podmanRun('tsbench'))],
    ['podman run --network none (runc)', () => timed(podmanRun('none'))],
  ];
  for (const [, way] of ways) await way(-1 - ways.length);
  const samples = new Map<string, number[]>(ways.map(([name]) => [name, []]));
  for (let i = 0; i < iterations; i++) {
    for (let k = 0; k < ways.length; k++) {
      const [name, way] = ways[(i + k) % ways.length];
      samples.get(name)!.push(await way(i * ways.length + k));
    }
  }
  return Object.fromEntries([...samples].map(([name, s]) => [name, summarize(s)]));
}

const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));

function renderMarkdown(r: Results): string {
  const ms = (name: string) => r.runToExitMs[name].median;
  const ratio = (a: number, b: number) => (a / b).toFixed(2);
  return [
    '# tsrund networks',
    '',
    `Measured ${r.date} by \`npm run bench:network\` (bench/network.ts) on one host: ${r.host.cpus} cores, Linux ${r.host.kernel}; ` +
      `load average ${r.host.loadavgBefore.map((n) => n.toFixed(2)).join(' ')} before, ${r.host.loadavgAfter.map((n) => n.toFixed(2)).join(' ')} after.`,
    '',
    ...Object.entries(r.versions).map(([k, v]) => `- ${k}: ${v}`),
    '',
    `## TCP throughput, ${r.gib} GiB (busybox nc → nc | cat)`,
    '',
    '| path | MiB/s |',
    '|---|---:|',
    `| container → container, one bridge (tsrund user network) | ${fmt(r.throughputMiBps.bridge)} |`,
    `| host loopback (the same programs) | ${fmt(r.throughputMiBps.loopback)} |`,
    '',
    `Bridge / loopback: **${ratio(r.throughputMiBps.bridge, r.throughputMiBps.loopback)}**.`,
    '',
    `## A container of /bin/true run to its exit and removed (${r.iterations} runs each, interleaved)`,
    '',
    '| how | median ms | p95 ms | min ms |',
    '|---|---:|---:|---:|',
    ...Object.entries(r.runToExitMs).map(([name, s]) => `| ${name} | ${fmt(s.median)} | ${fmt(s.p95)} | ${fmt(s.min)} |`),
    '',
    `The network's cost (bridge − none, medians): tsrund ${fmt(ms('tsrund API --network bridge') - ms('tsrund API --network none'))} ms, ` +
      `podman ${fmt(ms('podman run --network bridge (runc)') - ms('podman run --network none (runc)'))} ms. ` +
      `tsrund / podman with a bridge: **${ratio(ms('tsrund API --network bridge'), ms('podman run --network bridge (runc)'))}**; ` +
      `without a network: **${ratio(ms('tsrund API --network none'), ms('podman run --network none (runc)'))}**. ` +
      'podman\'s figures include starting the podman program and conmon; tsrund\'s client is already running.',
    '',
  ].join('\n');
}

async function main(argv: string[]): Promise<void> {
  const iterations = option(argv, 'iterations', 10);
  const gib = option(argv, 'gib', 1);
  const loadavgBefore = os.loadavg();
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-bench-network-'));
  const daemon = new TestDaemon();
  let podman: Podman | null = null;
  try {
    const image = buildBusyboxArchive(scratch, IMAGE);
    await daemon.start(['--log-level', 'warn']);
    const client = daemon.client;
    await client.importImages(image.file);
    podman = await Podman.start('/usr/sbin/runc', { network: podmanNetwork() });
    const loaded = podman.cmd(['load', '--quiet', '--input', image.file]);
    if (loaded.code !== 0) throw new Error(`podman load: ${loaded.stderr}`);

    console.error(`throughput: ${gib} GiB each way`);
    const throughputMiBps = { bridge: await bridgeThroughput(client, gib), loopback: await loopbackThroughput(gib) };
    console.error(`run to exit: ${iterations} runs each`);
    const runToExitMs = await measureRuns(client, podman, iterations);
    const server = await client.version();
    const results: Results = {
      date: new Date().toISOString(),
      host: { cpus: os.cpus().length, kernel: os.release(), loadavgBefore, loadavgAfter: os.loadavg() },
      versions: {
        tsrund: `${server.version} (API ${server.api}, Node ${server.node})`,
        podman: version(['podman', '--version']),
        runc: version(['runc', '--version']),
        'CNI plugins': `containernetworking-plugins ${spawnSync('dpkg-query', ['-W', '-f=${Version}', 'containernetworking-plugins'], { encoding: 'utf8' }).stdout}`,
      },
      iterations,
      gib,
      throughputMiBps,
      runToExitMs,
    };
    writeResults(REPO, 'network', 'benchmarks-network', results, renderMarkdown(results));
  } finally {
    await podman?.cleanup();
    spawnSync('ip', ['link', 'del', PODMAN_BRIDGE], { stdio: 'ignore' });
    await daemon.cleanup();
    new NetworkFirewall().removeUnusedCniChains();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (err: unknown) => {
    console.error((err as Error).stack ?? String(err));
    process.exit(1);
  },
);

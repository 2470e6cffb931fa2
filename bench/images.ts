/**
 * Benchmark (not a test) of images in tsrund against containerd 1.6 from Debian, on this host in
 * one run, from the same local registry (Debian's docker-registry on 127.0.0.1, its own storage;
 * test/helpers/registry.ts) holding the images of bench/images-fixture.ts. containerd runs with
 * its own root, state and socket under a temp dir in a private mount namespace
 * (test/helpers/daemons.ts), its overlayfs snapshotter, and Debian's runc under
 * containerd-shim-runc-v2; tsrund with its own --root/--state (test/supervisor/daemon.ts).
 *
 *   - pull + unpack of the multi-layer image from a cold store: tsrund's Images.Pull then
 *     Containers.Create (which unpacks the layers into overlay snapshots, as containerd's pull
 *     does); containerd's `ctr content fetch` then `ctr images pull` of the fetched content (the
 *     unpack); iterations interleaved, the first engine rotating;
 *   - first container from a cold store: `tsctl pull` + `tsctl run --rm IMAGE /bin/true`,
 *     `ctr images pull` + `ctr run --rm`, and tsrund's API from a running client;
 *   - disk use of the snapshots (and content) with one image, then with the 10 images that share
 *     four layers: `du -sx` of each daemon's snapshot directory.
 *
 * A cold store is one with no blob and no snapshot: after each iteration the image is removed
 * (tsrund: Images.Delete, which collects blobs and snapshots; containerd: `ctr images rm --sync`),
 * and both stores are checked to be empty before the next.
 *
 * Where tsrund's time goes: tsrund runs with TSRUND_TRACE (bench/daemon-trace.ts), and the
 * phases of the pull + unpack runs (manifest, each blob's download and commit, each layer's unpack)
 * are shown per pull.
 *
 *   npm run bench:images [-- --iterations N]
 *
 * Writes bench/results/images.json ("rows": ISSUE-16's row with its anchor and ratio) and
 * docs/benchmarks-images.md and prints the tables.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { TsrundClient } from '../supervisor/client/client';
import { Containerd } from '../test/helpers/daemons';
import { TestRegistry } from '../test/helpers/registry';
import { TSCTL, TestDaemon } from '../test/supervisor/daemon';
import { pushBenchImages, type BenchImages } from './images-fixture';
import { ratio, summarize, type Summary } from './stats';
import type { TraceLine } from '../supervisor/shared/trace';
import { clearTrace, enableTrace, readTrace, traceMarkdown, type TracePhase } from './daemon-trace';
import { onNetwork, option, runBenchmark, timed, version, writeResults } from './harness';
import { row, rowsMarkdown, type Row } from './issue-rows';

const REPO = path.dirname(path.dirname(TSCTL));
const TRUE_ARGS = ['/bin/true'];

/** Named phases of one timed operation (ms), e.g. pull, unpack, total. */
type Phases = Record<string, number>;

/** One engine's way of doing the operation being measured, from a cold store. */
interface Engine {
  name: string;
  run(id: string): Promise<Phases>;
}

interface DiskFigures {
  /** `du -sx --block-size=1` (allocated bytes). */
  snapshotsBytes: number;
  /** `du -sxb` (apparent size). */
  snapshotsApparentBytes: number;
  contentBytes: number;
}

interface Results {
  date: string;
  host: { cpus: number; kernel: string; memoryGiB: number; loadavgBefore: number[]; loadavgAfter: number[] };
  versions: Record<string, string>;
  iterations: number;
  image: BenchImages & { blobBytes: number; fileBytes: number };
  pullUnpackMs: Record<string, Record<string, Summary>>;
  firstStartMs: Record<string, Record<string, Summary>>;
  disk: Record<string, { oneImage: DiskFigures; allImages: DiskFigures; images: number }>;
  /** Phases of tsrund's pull + unpack runs (and the removals between them), mean ms per run. */
  trace: { runs: number; phases: TracePhase[] };
  rows: Row[];
}


/** Run `argv` to its exit (synchronously: nothing else runs in this process meanwhile); throws unless it exits 0. */
function must(argv: string[], timeoutMs = 300_000): string {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: exit ${r.status ?? r.signal ?? r.error?.message}: ${r.stderr.trim().slice(-800)}`);
  return r.stdout;
}


function entries(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
}

/** Poll `isEmpty` for up to 10 s (containerd removes snapshot directories after its collection). */
async function expectCold(what: string, isEmpty: () => string[]): Promise<void> {
  let left: string[] = [];
  for (const end = Date.now() + 10_000; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
    left = isEmpty();
    if (left.length === 0) return;
  }
  throw new Error(`${what}: the store is not cold after removing the image: ${left.slice(0, 5).join(', ')}`);
}

async function drain(stream: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of stream);
}

// tsrund --------------------------------------------------------------------------------------

class Tsrund {
  constructor(
    readonly daemon: TestDaemon,
    readonly client: TsrundClient,
  ) {}

  get snapshotsDir(): string {
    return path.join(this.daemon.root, 'snapshots');
  }

  get contentDir(): string {
    return path.join(this.daemon.root, 'content');
  }

  tsctl(args: string[]): string {
    return must([TSCTL, '--address', this.daemon.address, ...args]);
  }

  /** The layers of `ref` unpacked, as a container needs them: Containers.Create, then Delete (the layers stay). */
  async unpack(ref: string, id: string): Promise<number> {
    const ms = await timed(() => this.client.createContainer({ id, image: ref, overrides: { args: TRUE_ARGS, network: onNetwork('none') } }));
    await this.client.deleteContainer(id);
    return ms;
  }

  async makeCold(refs: string[]): Promise<void> {
    for (const ref of refs) await this.client.deleteImage(ref);
    await expectCold('tsrund', () => [
      ...entries(path.join(this.contentDir, 'blobs/sha256')),
      ...entries(path.join(this.snapshotsDir, 'layers')),
      ...entries(path.join(this.snapshotsDir, 'active')),
    ]);
  }
}

// containerd ----------------------------------------------------------------------------------

class Ctr {
  constructor(readonly containerd: Containerd) {}

  get snapshotsDir(): string {
    return path.join(this.containerd.dir, 'root', 'io.containerd.snapshotter.v1.overlayfs');
  }

  get contentDir(): string {
    return path.join(this.containerd.dir, 'root', 'io.containerd.content.v1.content');
  }

  ctr(args: string[]): string {
    return must(['ctr', '--address', this.containerd.socket, '--namespace', this.containerd.namespace, ...args]);
  }

  async makeCold(refs: string[]): Promise<void> {
    this.ctr(['images', 'rm', '--sync', ...refs]);
    await expectCold('containerd', () => [
      ...this.ctr(['content', 'ls', '--quiet']).split('\n').filter(Boolean),
      ...entries(path.join(this.snapshotsDir, 'snapshots')),
    ]);
  }
}

// The measured operations -----------------------------------------------------------------------

function pullUnpackEngines(t: Tsrund, c: Ctr, ref: string): Engine[] {
  return [
    {
      name: 'tsrund (API)',
      async run(id) {
        const pull = await timed(() => drain(t.client.pullImage(ref)));
        const unpack = await t.unpack(ref, id);
        await t.makeCold([ref]);
        return { pull, unpack, total: pull + unpack };
      },
    },
    {
      name: 'containerd (ctr)',
      async run() {
        const pull = await timed(() => c.ctr(['content', 'fetch', '--plain-http', ref]));
        // The content is all there: this pull resolves the tag and unpacks.
        const unpack = await timed(() => c.ctr(['images', 'pull', '--plain-http', ref]));
        await c.makeCold([ref]);
        return { pull, unpack, total: pull + unpack };
      },
    },
  ];
}

function firstStartEngines(t: Tsrund, c: Ctr, ref: string): Engine[] {
  return [
    {
      name: 'tsctl pull + tsctl run --rm',
      async run(id) {
        const pull = await timed(() => t.tsctl(['pull', ref]));
        const run = await timed(() => t.tsctl(['run', '--rm', '--network', 'none', '--name', id, ref, ...TRUE_ARGS]));
        await t.makeCold([ref]);
        return { pull, run, total: pull + run };
      },
    },
    {
      name: 'tsrund API',
      async run(id) {
        const pull = await timed(() => drain(t.client.pullImage(ref)));
        const run = await timed(async () => {
          await t.client.createContainer({ id, image: ref, overrides: { args: TRUE_ARGS, network: onNetwork('none') } });
          await t.client.createTask(id);
          await t.client.startTask(id);
          const exit = await t.client.wait(id);
          await t.client.deleteTask(id);
          await t.client.deleteContainer(id);
          if (exit.exitStatus !== 0) throw new Error(`${id} exited ${exit.exitStatus}`);
        });
        await t.makeCold([ref]);
        return { pull, run, total: pull + run };
      },
    },
    {
      name: 'ctr images pull + ctr run --rm',
      async run(id) {
        const pull = await timed(() => c.ctr(['images', 'pull', '--plain-http', ref]));
        const run = await timed(() => c.ctr(['run', '--rm', '--fifo-dir', c.containerd.fifoDir, ref, id, ...TRUE_ARGS]));
        await c.makeCold([ref]);
        return { pull, run, total: pull + run };
      },
    },
  ];
}

/** `iterations` runs of each engine, interleaved, the first engine rotating; summaries per phase. */
async function measure(label: string, engines: Engine[], iterations: number): Promise<Record<string, Record<string, Summary>>> {
  const samples = new Map<string, Phases[]>(engines.map((e) => [e.name, []]));
  for (let i = 0; i < iterations; i++) {
    for (let k = 0; k < engines.length; k++) {
      const e = engines[(i + k) % engines.length];
      const phases = await e.run(`${label}-${i}-${k}`);
      samples.get(e.name)!.push(phases);
      console.error(`${label} ${i + 1}/${iterations} ${e.name}: ${Object.entries(phases).map(([p, ms]) => `${p} ${ms.toFixed(0)} ms`).join(', ')}`);
    }
  }
  return Object.fromEntries(
    [...samples].map(([name, runs]) => [name, Object.fromEntries(Object.keys(runs[0]).map((p) => [p, summarize(runs.map((r) => r[p]))]))]),
  );
}

function du(dir: string, apparent: boolean): number {
  return Number(must(['du', '-sx', apparent ? '-b' : '--block-size=1', dir]).split('\t')[0]);
}

function diskOf(snapshots: string, content: string): DiskFigures {
  return { snapshotsBytes: du(snapshots, false), snapshotsApparentBytes: du(snapshots, true), contentBytes: du(content, false) };
}

/** Pull (and unpack) `refs` one after the other into each daemon; disk use after the first and after all. */
async function measureDisk(t: Tsrund, c: Ctr, refs: string[]): Promise<Results['disk']> {
  const tsrund = async (ref: string, i: number) => {
    await drain(t.client.pullImage(ref));
    await t.unpack(ref, `disk-${i}`);
  };
  const containerd = (ref: string) => c.ctr(['images', 'pull', '--plain-http', ref]);
  await tsrund(refs[0], 0);
  containerd(refs[0]);
  const one = { tsrund: diskOf(t.snapshotsDir, t.contentDir), containerd: diskOf(c.snapshotsDir, c.contentDir) };
  for (const [i, ref] of refs.slice(1).entries()) {
    await tsrund(ref, i + 1);
    containerd(ref);
  }
  const all = { tsrund: diskOf(t.snapshotsDir, t.contentDir), containerd: diskOf(c.snapshotsDir, c.contentDir) };
  await t.makeCold(refs);
  await c.makeCold(refs);
  return {
    tsrund: { oneImage: one.tsrund, allImages: all.tsrund, images: refs.length },
    containerd: { oneImage: one.containerd, allImages: all.containerd, images: refs.length },
  };
}

// Report ----------------------------------------------------------------------------------------


const ms = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));
const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
const times = (r: number | null) => (r === null ? '–' : `${r.toFixed(2)}×`);

/**
 * Rows "engine | phase | median | p95 | min | max | median vs <reference>" for each engine's
 * phases; the ratio only for the phases in `compared` (others measure different work).
 */
function timingRows(figures: Record<string, Record<string, Summary>>, reference: string, compared: string[]): string[] {
  return Object.entries(figures).flatMap(([engine, phases]) =>
    Object.entries(phases).map(([phase, s]) => {
      const vs = !compared.includes(phase) ? '' : engine === reference ? '1.00×' : times(ratio(s.median, figures[reference]?.[phase]?.median));
      return `| ${engine} | ${phase} | ${ms(s.median)} | ${ms(s.p95)} | ${ms(s.min)} | ${ms(s.max)} | ${vs} |`;
    }),
  );
}

function renderMarkdown(r: Results): string {
  const d = r.disk;
  const diskRow = (what: string, pick: (f: DiskFigures) => number, which: 'oneImage' | 'allImages') =>
    `| ${what} | ${pick(d.tsrund[which])} (${mb(pick(d.tsrund[which]))} MB) | ${pick(d.containerd[which])} (${mb(pick(d.containerd[which]))} MB) | ` +
    `${times(ratio(pick(d.tsrund[which]), pick(d.containerd[which])))} |`;
  const n = d.tsrund.images;
  const lines = [
    '# Images: tsrund vs containerd',
    '',
    `Measured ${r.date} by \`npm run bench:images\` (bench/images.ts) on one host: ${r.host.cpus} cores, ` +
      `${r.host.memoryGiB} GiB, Linux ${r.host.kernel}; load average ${r.host.loadavgBefore.map((x) => x.toFixed(2)).join(' ')} ` +
      `before, ${r.host.loadavgAfter.map((x) => x.toFixed(2)).join(' ')} after. Both daemons pull from the same Debian ` +
      "docker-registry on 127.0.0.1 (plain http). containerd runs with its own root/state/socket in a private mount " +
      "namespace, its default overlayfs snapshotter, and Debian's runc under its own shim, containerd-shim-runc-v2; " +
      "tsrund runs containers under its tsrun-monitor with tsrun's executor.",
    '',
    ...Object.entries(r.versions).map(([k, v]) => `- ${k}: ${v}`),
    '',
    "## ISSUE-16's row (its anchor measured in this run)",
    '',
    ...rowsMarkdown(r.rows),
    '',
    `## The image`,
    '',
    `\`tsrun-bench/app:0\` (bench/images-fixture.ts; deterministic content, the same digests every run): ` +
      `${r.image.layers.length} gzip layers, ${mb(r.image.blobBytes)} MB to download, ${mb(r.image.fileBytes)} MB of files. ` +
      `\`:1\` … \`:${n - 1}\` share its first four layers and differ in the last.`,
    '',
    '| layer | files | file bytes | blob bytes (gzip) |',
    '|---|---:|---:|---:|',
    ...r.image.layers.map((l) => `| ${l.name} | ${l.files} | ${l.fileBytes} | ${l.blobBytes} |`),
    '',
    `## Pull + unpack from a cold store (${r.iterations} runs each, interleaved)`,
    '',
    '| engine | phase | median ms | p95 ms | min ms | max ms | median vs containerd |',
    '|---|---|---:|---:|---:|---:|---:|',
    ...timingRows(r.pullUnpackMs, 'containerd (ctr)', ['pull', 'unpack', 'total']),
    '',
    "- tsrund: **pull** is Images.Pull to its last message (from a client already running: no process start); " +
      '**unpack** is Containers.Create of a container from the image, which unpacks every layer into its overlay ' +
      'snapshot (and writes the container record, its empty writable layer and its config; the Containers.Delete after it is not timed). ' +
      'tsrund pulls without unpacking, as `ctr content fetch` does.',
    '- containerd: **pull** is `ctr content fetch --plain-http` (blobs and the image record); **unpack** is ' +
      '`ctr images pull --plain-http` of the fetched image (it resolves the tag again, finds every blob present, and ' +
      'unpacks into the overlayfs snapshotter). A plain `ctr images pull` does both at once, unpacking each layer as ' +
      'it arrives; it is the "pull" phase of the ctr row in the next table.',
    '- Cold: before every run neither store holds a blob or a snapshot (checked). The registry\'s files stay in the page cache for both.',
    '',
    `### Where tsrund's time goes (traced, mean per run of ${r.trace.runs})`,
    '',
    ...traceMarkdown(r.trace.phases, 'run'),
    '',
    'Blobs download 3 at a time, so their lines overlap; the rpc lines hold the phases of their handlers ' +
      '(Containers.Create holds the unpack), Images.Delete is the removal between runs (not timed in the table above).',
    '',
    `## First container from a cold store: pull, then run /bin/true to its exit and remove it (${r.iterations} runs each, interleaved)`,
    '',
    '| engine | phase | median ms | p95 ms | min ms | max ms | median vs ctr |',
    '|---|---|---:|---:|---:|---:|---:|',
    ...timingRows(r.firstStartMs, 'ctr images pull + ctr run --rm', ['total']),
    '',
    '- tsctl and ctr rows include starting the client program each time (Node for tsctl, Go for ctr). ' +
      '"tsrund API": Images.Pull, then Containers.Create (unpacks), Tasks.Create/Start/Wait/Delete, Containers.Delete from a running client.',
    '- The phases differ in what they hold, so only totals are compared: tsrund unpacks in the "run" phase ' +
      '(Containers.Create), `ctr images pull` unpacks in the "pull" phase and ctr\'s "run" phase starts from the snapshot.',
    '',
    `## Disk use of the snapshots`,
    '',
    `\`du -sx\` of tsrund's \`<root>/snapshots\` (layers/<chain id>, active/, tmp/) and of containerd's ` +
      '`<root>/io.containerd.snapshotter.v1.overlayfs` (snapshots/<n>/fs and metadata.db), after pulling and unpacking ' +
      `\`:0\` alone, then all ${n} images (no container left). Content: each daemon's blob store (the compressed layers).`,
    '',
    '| | tsrund bytes | containerd bytes | tsrund / containerd |',
    '|---|---:|---:|---:|',
    diskRow('snapshots, 1 image (du, allocated)', (f) => f.snapshotsBytes, 'oneImage'),
    diskRow(`snapshots, ${n} images (du, allocated)`, (f) => f.snapshotsBytes, 'allImages'),
    diskRow(`snapshots, ${n} images (du -b, apparent)`, (f) => f.snapshotsApparentBytes, 'allImages'),
    diskRow('content store, 1 image', (f) => f.contentBytes, 'oneImage'),
    diskRow(`content store, ${n} images`, (f) => f.contentBytes, 'allImages'),
    '',
    `Sharing: ${n} images take ${(d.tsrund.allImages.snapshotsBytes / d.tsrund.oneImage.snapshotsBytes).toFixed(2)}× ` +
      `the snapshot space of one in tsrund and ${(d.containerd.allImages.snapshotsBytes / d.containerd.oneImage.snapshotsBytes).toFixed(2)}× ` +
      `in containerd (${n}× without sharing).`,
    '',
  ];
  return lines.join('\n');
}

// ------------------------------------------------------------------------------------------------

async function main(argv: string[]): Promise<void> {
  const iterations = option(argv, 'iterations', 10);
  const loadavgBefore = os.loadavg();
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-bench-images-'));
  const registry = new TestRegistry();
  const daemon = new TestDaemon();
  let containerd: Containerd | null = null;
  try {
    await registry.start();
    console.error('building and pushing the images');
    const images = await pushBenchImages(registry, scratch);
    const ref = images.refs[0];
    const traceFile = path.join(scratch, 'trace.jsonl');
    enableTrace(traceFile);
    await daemon.start(['--log-level', 'warn']);
    const t = new Tsrund(daemon, daemon.client);
    containerd = await Containerd.start();
    const c = new Ctr(containerd);

    // One untimed run each: the registry's files into the page cache, containerd's shim binary.
    const pullUnpack = pullUnpackEngines(t, c, ref);
    const firstStart = firstStartEngines(t, c, ref);
    for (const [k, e] of [...pullUnpack, ...firstStart].entries()) await e.run(`warm-${k}`);

    clearTrace(traceFile);
    const pullUnpackMs = await measure('pull-unpack', pullUnpack, iterations);
    const layerName = new Map(images.layers.map((l) => [l.digest, l.name]));
    // A layer's lines are told apart by its name (the blob commit's subject is its ingest ref).
    const rowOf = (l: TraceLine) => {
      const layer = layerName.get(l.subject.replace(/^blob-/, ''));
      return layer ? `${l.phase} [${layer}]` : l.phase;
    };
    const trace = { runs: iterations, phases: readTrace(traceFile, iterations, rowOf) };
    const firstStartMs = await measure('first-start', firstStart, iterations);
    console.error(`disk: ${images.refs.length} images`);
    const disk = await measureDisk(t, c, images.refs);

    const server = await t.client.version();
    const results: Results = {
      date: new Date().toISOString(),
      host: { cpus: os.cpus().length, kernel: os.release(), memoryGiB: Math.round(os.totalmem() / 2 ** 30), loadavgBefore, loadavgAfter: os.loadavg() },
      versions: {
        tsrund: `${server.version} (API ${server.api}, Node ${server.node})`,
        containerd: version(['containerd', '--version']),
        runc: version(['runc', '--version']),
        'docker-registry': version(['docker-registry', '--version']),
      },
      iterations,
      image: {
        ...images,
        blobBytes: images.layers.reduce((a, l) => a + l.blobBytes, 0),
        fileBytes: images.layers.reduce((a, l) => a + l.fileBytes, 0),
      },
      pullUnpackMs,
      firstStartMs,
      disk,
      trace,
      rows: [
        row(
          `pull + unpack of the ${images.layers.length}-layer image, cold store (median)`,
          'ms',
          pullUnpackMs['tsrund (API)'].total.median,
          'containerd (ctr content fetch + ctr images pull)',
          pullUnpackMs['containerd (ctr)'].total.median,
          false,
        ),
      ],
    };
    writeResults(REPO, 'images', 'benchmarks-images', results, renderMarkdown(results));
  } finally {
    await containerd?.cleanup();
    await daemon.cleanup();
    await registry.stop();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

runBenchmark(main);

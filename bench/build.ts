/**
 * Benchmark (not a test) of image builds: tsrund's Builds service (from a client already running)
 * against buildah from Debian (`buildah bud --layers`, overlay storage under a temp dir, chroot
 * isolation, in a private mount namespace), the same Dockerfile and context, one run:
 *
 *   - first build (the base image already pulled by both, the build caches empty);
 *   - rebuild with no change;
 *   - rebuild after one source file changed (the dependency-install RUN before the sources'
 *     COPY stays cached; the COPY of the sources and what follows run again);
 *   - push of the result to Debian's docker-registry on 127.0.0.1 (plain http), each to a
 *     repository of its own;
 *   - the image's size as each reports it (tsrund: the blobs the image uses; buildah: its
 *     `images --json` size, the uncompressed layers).
 *
 *   npm run bench:build
 *
 * Writes bench/results/build.json and docs/benchmarks-build.md and prints the table.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { build, drain, startBaseRegistry, writeContext } from '../test/build/build-helpers';
import { TSCTL, TestDaemon } from '../test/supervisor/daemon';
import { ratio } from './stats';
import { runBenchmark, timed, version, writeResults } from './harness';

const REPO = path.dirname(path.dirname(TSCTL));
const TAG = 'localhost/bench-build/app:1';

/** A dependency-install step before the sources, as the Docker introductions recommend. */
const DOCKERFILE = (base: string) =>
  [
    `FROM ${base}`,
    // No WORKDIR: buildah 1.28 with --layers then fails its own commit ("history lists 1
    // non-empty layers, but we have 2 layers on disk").
    'COPY deps.txt /app/',
    // "Installing" the dependencies: 300 files written, the slow step a cache should spare.
    "RUN cd /app && i=0; while [ $i -lt 300 ]; do head -c 4096 /dev/zero | tr '\\0' d > dep-$i; i=$((i+1)); done",
    'COPY src/ /app/src/',
    'RUN cat /app/src/* > /app/bundle.txt',
    'ENV MODE=production',
    'CMD ["cat", "/app/bundle.txt"]',
    '',
  ].join('\n');

function sources(): Record<string, string> {
  const files: Record<string, string> = { 'deps.txt': 'left-pad 1.3.0\nleft-pad-utils 2.0.0\n' };
  for (let i = 0; i < 50; i++) files[`src/module-${i}.js`] = `export const m${i} = ${JSON.stringify('x'.repeat(2000))};\n`;
  return files;
}

type Phase = 'first build' | 'no-change rebuild' | 'one-file rebuild' | 'push';
const PHASES: Phase[] = ['first build', 'no-change rebuild', 'one-file rebuild', 'push'];

interface Results {
  date: string;
  host: { cpus: number; kernel: string; loadavgBefore: number[]; loadavgAfter: number[] };
  versions: Record<string, string>;
  ms: Record<'tsrund' | 'buildah', Record<Phase, number>>;
  /** tsrund: bytes; buildah: its own text ("3.62 MB"). */
  imageSize: { tsrund: number; buildah: string };
}

class Buildah {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-bench-buildah-'));

  /** buildah in a private mount namespace (its overlay mounts end with it), storage under `dir`. */
  run(args: string[]): string {
    const argv = ['--mount', '--propagation', 'private', '--', 'buildah', '--root', path.join(this.dir, 'root'), '--runroot', path.join(this.dir, 'runroot'), '--storage-driver', 'overlay', ...args];
    const r = spawnSync('unshare', argv, { encoding: 'utf8', maxBuffer: 64 << 20, env: { PATH: process.env.PATH, TMPDIR: this.dir, HOME: this.dir } });
    if (r.status !== 0) throw new Error(`buildah ${args.join(' ')}: ${r.stderr || r.error?.message}`);
    return r.stdout;
  }

  cleanup(): void {
    spawnSync('unshare', ['--mount', '--propagation', 'private', '--', 'buildah', '--root', path.join(this.dir, 'root'), '--runroot', path.join(this.dir, 'runroot'), '--storage-driver', 'overlay', 'rmi', '-a', '-f'], { stdio: 'ignore' });
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-bench-build-'));
  const loadavgBefore = os.loadavg();
  const { registry, base } = await startBaseRegistry(work, { history: true });
  const daemon = new TestDaemon();
  const buildah = new Buildah();
  try {
    await daemon.start();
    const c = daemon.client;
    await drain(c.pullImage(base));
    buildah.run(['pull', '--tls-verify=false', base]);
    const contexts = { tsrund: writeContext(work, 'tsrund', { Dockerfile: DOCKERFILE(base), ...sources() }), buildah: writeContext(work, 'buildah', { Dockerfile: DOCKERFILE(base), ...sources() }) };
    const bud = (ctx: string) => buildah.run(['bud', '--layers', '--isolation', 'chroot', '--tls-verify=false', '-t', TAG, ctx]);
    const change = (ctx: string) => fs.writeFileSync(path.join(ctx, 'src', 'module-7.js'), 'export const m7 = "changed";\n');
    const ms: Results['ms'] = { tsrund: {} as Record<Phase, number>, buildah: {} as Record<Phase, number> };
    // Interleaved phase by phase: each engine's step runs beside the other's on the same host state.
    ms.tsrund['first build'] = await timed(() => build(c, contexts.tsrund, { tags: [TAG] }));
    ms.buildah['first build'] = await timed(() => bud(contexts.buildah));
    ms.tsrund['no-change rebuild'] = await timed(() => build(c, contexts.tsrund, { tags: [TAG] }));
    ms.buildah['no-change rebuild'] = await timed(() => bud(contexts.buildah));
    change(contexts.tsrund);
    change(contexts.buildah);
    ms.tsrund['one-file rebuild'] = await timed(() => build(c, contexts.tsrund, { tags: [TAG] }));
    ms.buildah['one-file rebuild'] = await timed(() => bud(contexts.buildah));
    ms.tsrund.push = await timed(() => drain(c.pushImage(TAG, { destination: `${registry.host}/bench-build/tsrund:1` })));
    ms.buildah.push = await timed(() => buildah.run(['push', '--tls-verify=false', TAG, `docker://${registry.host}/bench-build/buildah:1`]));
    const listed = JSON.parse(buildah.run(['images', '--json'])) as { names?: string[]; size: string }[];
    const results: Results = {
      date: new Date().toISOString(),
      host: { cpus: os.cpus().length, kernel: os.release(), loadavgBefore, loadavgAfter: os.loadavg() },
      versions: { tsrund: (await c.version()).version, buildah: version(['buildah', '--version']) },
      ms,
      imageSize: { tsrund: (await c.getImage(TAG)).image!.size, buildah: listed.find((i) => i.names?.some((n) => n.startsWith(TAG)))?.size ?? 'not listed' },
    };
    writeResults(REPO, 'build', 'benchmarks-build', results, markdown(results));
  } finally {
    await daemon.cleanup();
    buildah.cleanup();
    await registry.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function markdown(r: Results): string {
  const rows = PHASES.map((p) => `| ${p} | ${r.ms.tsrund[p].toFixed(0)} | ${r.ms.buildah[p].toFixed(0)} | ${(ratio(r.ms.tsrund[p], r.ms.buildah[p]) ?? 0).toFixed(2)}× |`);
  return [
    '# Builds: tsrund vs buildah',
    '',
    `Measured ${r.date} by \`npm run bench:build\` (bench/build.ts), one run, on one host: ${r.host.cpus} cores, Linux ${r.host.kernel}; load average ${r.host.loadavgBefore.map((l) => l.toFixed(2)).join(' ')} before, ${r.host.loadavgAfter.map((l) => l.toFixed(2)).join(' ')} after.`,
    `tsrund ${r.versions.tsrund} (Builds.Build from a client already running); ${r.versions.buildah} (\`buildah bud --layers\`, overlay storage, chroot isolation, a process start per command). The same Dockerfile (a 300-file dependency step before the COPY of 50 source files) and context; the busybox base pulled by both beforehand from Debian's docker-registry on 127.0.0.1, which the pushes go to as well.`,
    '',
    '| phase | tsrund ms | buildah ms | tsrund / buildah |',
    '|---|---:|---:|---:|',
    ...rows,
    '',
    `Image size: tsrund ${r.imageSize.tsrund} bytes (the blobs it uses: compressed layers, config, manifest); buildah ${r.imageSize.buildah} (its own figure, the uncompressed layers: not the same measure).`,
    '',
  ].join('\n');
}

runBenchmark(main);

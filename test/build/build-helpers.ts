/**
 * What the build tests share: a busybox base image in a local docker-registry (pulled by the
 * build when missing), a context directory written from a table of files, the context sent as
 * GNU tar makes it (a client the builder did not write), the build's messages collected, and a
 * built image run to see inside it.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { BuildOptions, BuildProgress, BuildResult } from '../../supervisor/api/types';
import type { TsrundClient } from '../../supervisor/client/client';
import { BUSYBOX_FILES, Layout, TestRegistry, type LayerFile } from '../helpers/registry';
import { runTaskToEnd, TestDaemon } from '../supervisor/daemon';

/** busybox with the applets the tests' RUN lines use, and a passwd and group for --chown and USER. */
const BASE_FILES: LayerFile[] = [
  ...BUSYBOX_FILES,
  ...['ls', 'rm', 'id', 'mkdir', 'stat', 'echo', 'touch', 'tar', 'gzip', 'wc', 'env', 'true', 'sleep'].map((a) => ({ path: `bin/${a}`, symlink: 'busybox' })),
  { path: 'etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\napp:x:1234:2345:app:/home/app:/bin/sh\n' },
  { path: 'etc/group', content: 'root:x:0:\napp:x:2345:\n' },
  { path: 'etc/base-file', content: 'from the base\n' },
];

/** A registry serving the base as <host>/tsrun-build/busybox:1; `stop()` ends it. `history`: see Layout.image. */
export async function startBaseRegistry(work: string, o: { history?: boolean } = {}): Promise<{ registry: TestRegistry; base: string }> {
  const registry = new TestRegistry();
  await registry.start();
  const layout = new Layout(path.join(work, 'layout'));
  layout.tag(layout.image([layout.layer(BASE_FILES)], { history: o.history }), 'base');
  await registry.push(layout.dir, 'base', 'tsrun-build/busybox:1');
  return { registry, base: `${registry.host}/tsrun-build/busybox:1` };
}

/** A fresh context directory holding `files` (path → content; a mode with {content, mode}). */
export function writeContext(work: string, name: string, files: Record<string, string | { content: string; mode: number }>): string {
  const dir = fs.mkdtempSync(path.join(work, `${name}-`));
  for (const [rel, f] of Object.entries(files)) {
    const p = path.join(dir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, typeof f === 'string' ? f : f.content);
    if (typeof f !== 'string') fs.chmodSync(p, f.mode);
  }
  return dir;
}

/** `dir` as GNU tar writes it, streamed. */
export async function* gnuTar(dir: string): AsyncGenerator<Buffer> {
  const child = spawn('tar', ['-C', dir, '-cf', '-', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const done = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
  for await (const chunk of child.stdout) yield chunk as Buffer;
  if ((await done) !== 0) throw new Error(`tar -C ${dir} failed`);
}

export interface Built {
  result: BuildResult;
  progress: BuildProgress[];
  /** What RUN steps wrote. */
  output: string;
}

/** A request's options with nothing set. */
export const NO_OPTIONS: BuildOptions = { tags: [], dockerfile: '', dockerfileText: '', buildArgs: {}, target: '', noCache: false, platform: '', network: '', output: null, buildFilesOnly: [] };

/** Read a stream to its end. */
export async function drain(stream: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of stream);
}

export async function build(c: TsrundClient, context: string, o: Partial<BuildOptions> = {}): Promise<Built> {
  const options: BuildOptions = { ...NO_OPTIONS, ...o };
  const progress: BuildProgress[] = [];
  let result: BuildResult | null = null;
  for await (const m of c.build(options, gnuTar(context))) {
    if (m.progress) progress.push(m.progress);
    if (m.result) result = m.result;
  }
  if (!result) throw new Error('the build ended without a result');
  const output = progress
    .filter((p) => p.status === 'output')
    .map((p) => p.output.toString())
    .join('');
  return { result, progress, output };
}

/** Which steps ran (not cached), by instruction. */
export const rebuilt = (b: Built): string[] => b.result.steps.filter((s) => !s.cached).map((s) => s.instruction);

let serial = 0;

/** Run `image` with `args` (or its own command); its exit status and output. The container is removed. */
export async function runImage(c: TsrundClient, image: string, args: string[] = []): Promise<{ status: number; out: string }> {
  const id = `tsrun-build-run-${process.pid}-${serial++}`;
  await c.createContainer({ id, image, overrides: { args } });
  try {
    return await runTaskToEnd(c, id);
  } finally {
    await c.deleteContainer(id);
  }
}

/**
 * A test daemon, a work directory and the base registry for a describe block: started before its
 * tests, removed after. `base()` is the base image's reference.
 */
export function buildFixture(): { daemon: TestDaemon; work: string; base: () => string } {
  const daemon = new TestDaemon();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-build-'));
  let registry: TestRegistry | null = null;
  let base = '';
  beforeAll(async () => {
    ({ registry, base } = await startBaseRegistry(work));
    await daemon.start();
  });
  afterAll(async () => {
    await daemon.cleanup();
    await registry?.stop();
    fs.rmSync(work, { recursive: true, force: true });
  });
  return { daemon, work, base: () => base };
}

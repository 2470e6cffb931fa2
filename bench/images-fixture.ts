/**
 * The images bench/images.ts pulls: deterministic content (an AES-256-CTR key stream with a fixed
 * key, GNU tar with fixed owners, order and mtimes, zlib's gzip), so every run pushes the same
 * digests and runs are comparable.
 *
 *   base   busybox-static: /bin/busybox, a symlink per applet, /etc/passwd and /etc/group
 *   blobs  8 files of 4 MiB of random bytes (incompressible)
 *   docs   4000 files of 2 KiB of hex text (many small files; gzip halves them)
 *   libs   16 files of 2 MiB of base64 text (gzip takes a quarter off)
 *   app-i  1 MiB of random bytes and /etc/app-id, one per image
 *
 * `tsrun-bench/app:0` … `:9` are the four shared layers plus their own app layer; `:0` is the
 * multi-layer image the pull and start figures use.
 */
import { execFileSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { BUSYBOX_FILES, Layout, type LayerFile, type TestRegistry } from '../test/helpers/registry';

export const SHARED_IMAGES = 10;
export const REPOSITORY = 'tsrun-bench/app';

export interface BenchImages {
  /** Full references in the registry, `:0` first. */
  refs: string[];
  /** The layers of `:0`: blob size (compressed) and the size of its files. */
  layers: { name: string; digest: string; blobBytes: number; fileBytes: number; files: number }[];
}

/** `bytes` of key stream named `name`: the same bytes on every run. */
function deterministicBytes(name: string, bytes: number): Buffer {
  const key = crypto.createHash('sha256').update('tsrun bench/images').digest();
  const iv = crypto.createHash('sha256').update(name).digest().subarray(0, 16);
  return crypto.createCipheriv('aes-256-ctr', key, iv).update(Buffer.alloc(bytes));
}

/** `bytes` of text: random bytes encoded as hex or base64, in lines of 63 characters. */
function textOf(name: string, bytes: number, encoding: 'hex' | 'base64'): Buffer {
  const text = Buffer.from(deterministicBytes(name, bytes).toString(encoding).slice(0, bytes));
  for (let i = 63; i < bytes; i += 64) text[i] = 0x0a;
  return text;
}

const MiB = 1 << 20;

function baseFiles(): LayerFile[] {
  const applets = execFileSync('/bin/busybox', ['--list'], { encoding: 'utf8' })
    .split('\n')
    .filter((a) => a && a !== 'busybox' && !BUSYBOX_FILES.some((f) => f.path === `bin/${a}`));
  return [
    ...BUSYBOX_FILES,
    ...applets.map((a) => ({ path: `bin/${a}`, symlink: 'busybox' })),
    { path: 'etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' },
    { path: 'etc/group', content: 'root:x:0:\nnogroup:x:65534:\n' },
  ];
}

function sharedLayers(): { name: string; files: LayerFile[] }[] {
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  return [
    { name: 'base', files: baseFiles() },
    { name: 'blobs', files: range(8).map((i) => ({ path: `opt/blobs/blob-${i}.bin`, content: deterministicBytes(`blob-${i}`, 4 * MiB) })) },
    {
      name: 'docs',
      files: range(4000).map((i) => ({ path: `usr/share/doc/d${Math.floor(i / 100)}/page-${i}.txt`, content: textOf(`doc-${i}`, 2048, 'hex') })),
    },
    { name: 'libs', files: range(16).map((i) => ({ path: `usr/lib/bench/lib-${i}.so.txt`, content: textOf(`lib-${i}`, 2 * MiB, 'base64') })) },
  ];
}

function appLayer(i: number): { name: string; files: LayerFile[] } {
  return {
    name: `app-${i}`,
    files: [
      { path: 'etc/app-id', content: `${i}\n` },
      { path: 'opt/app/data.bin', content: deterministicBytes(`app-${i}`, MiB) },
    ],
  };
}

function sizeOf(files: LayerFile[]): number {
  return files.reduce((n, f) => n + (f.from ? fs.statSync(f.from).size : f.content ? Buffer.byteLength(f.content) : 0), 0);
}

/** Build the images in an OCI layout under `dir` and push them to `registry`. */
export async function pushBenchImages(registry: TestRegistry, dir: string): Promise<BenchImages> {
  const layout = new Layout(path.join(dir, 'layout'));
  const shared = sharedLayers().map((l) => ({ ...l, built: layout.layer(l.files) }));
  const refs: string[] = [];
  let layers: BenchImages['layers'] = [];
  for (let i = 0; i < SHARED_IMAGES; i++) {
    const app = appLayer(i);
    const all = [...shared, { ...app, built: layout.layer(app.files) }];
    const manifest = layout.image(
      all.map((l) => l.built),
      { cmd: ['/bin/sh'] },
    );
    layout.tag(manifest, String(i));
    await registry.push(layout.dir, String(i), `${REPOSITORY}:${i}`);
    refs.push(`${registry.host}/${REPOSITORY}:${i}`);
    if (i === 0) {
      layers = all.map((l) => ({ name: l.name, digest: l.built.desc.digest, blobBytes: l.built.desc.size, fileBytes: sizeOf(l.files), files: l.files.length }));
    }
  }
  fs.rmSync(layout.dir, { recursive: true, force: true });
  return { refs, layers };
}

/**
 * OCI image-layout archives (a tar of `oci-layout`, `index.json`, `blobs/sha256/<hex>`; what
 * `skopeo copy ... oci-archive:FILE` and umoci write, and `podman load` / `ctr import` read):
 * reading one into the content store, writing one from it.
 */
import * as fs from 'fs';
import * as path from 'path';
import { readTar, TarWriter } from '../archive/tar';
import { decompress } from '../archive/compression';
import { children, isIndex, isManifest, plainDescriptor, type Descriptor, type ImageIndex } from './descriptor';
import { digestOf } from './digest';
import { ContentError, type ContentStore, type Lease } from './store';

export const REF_NAME = 'org.opencontainers.image.ref.name';
export const CONTAINERD_NAME = 'io.containerd.image.name';
const MAX_INDEX = 4 << 20;

/** Read the archive's blobs into the store (each verified); returns its index.json's manifests. */
export async function importArchive(file: string, content: ContentStore, lease: Lease): Promise<Descriptor[]> {
  let index: ImageIndex | null = null;
  let layoutSeen = false;
  const tar = await decompress(fs.createReadStream(file), file);
  for await (const entry of readTar(tar)) {
    const name = entry.header.path.replace(/^(\.\/)+/, '');
    if (entry.header.type !== 'file') continue;
    if (name === 'oci-layout') {
      const text = (await collect(entry.body, 64 << 10, `${file}: oci-layout`)).toString('utf8');
      const version = (JSON.parse(text) as { imageLayoutVersion?: string }).imageLayoutVersion;
      if (typeof version !== 'string' || !version.startsWith('1.'))
        throw new ContentError(`${file}: oci-layout says imageLayoutVersion ${JSON.stringify(version)}, not 1.x`);
      layoutSeen = true;
    } else if (name === 'index.json') {
      index = JSON.parse((await collect(entry.body, MAX_INDEX, `${file}: index.json`)).toString('utf8')) as ImageIndex;
    } else {
      const m = /^blobs\/sha256\/([a-f0-9]{64})$/.exec(name);
      if (!m) continue;
      const digest = `sha256:${m[1]}`;
      lease.add(digest);
      try {
        await content.ingest(`import-${digest}`, { digest, size: entry.header.size }, async () => ({ stream: entry.body, offset: 0 }));
      } catch (err) {
        content.abort(`import-${digest}`);
        if (err instanceof ContentError) throw new ContentError(`${file}: ${name}: ${err.message.replace(/^import-sha256:[a-f0-9]+: /, '')}`);
        throw err;
      }
    }
  }
  if (!layoutSeen) throw new ContentError(`${file}: not an OCI image layout archive (no oci-layout file)`);
  if (!index || !Array.isArray(index.manifests)) throw new ContentError(`${file}: index.json is missing or has no manifests list`);
  index.manifests.forEach((d, i) => {
    if (!isIndex(d.mediaType) && !isManifest(d.mediaType))
      throw new ContentError(`${file}: index.json manifests[${i}] has unknown media type ${JSON.stringify(d.mediaType)}`);
    checkComplete(d, content, `${file}: index.json manifests[${i}]`);
  });
  return index.manifests;
}

/** Every blob `d` reaches is in the store (an index's manifests for other platforms may be absent). */
function checkComplete(d: Descriptor, content: ContentStore, where: string): void {
  if (!content.has(d.digest)) throw new ContentError(`${where}: blob ${d.digest} is not in the archive`);
  const size = content.info(d.digest).size;
  if (size !== d.size) throw new ContentError(`${where}: blob ${d.digest} is ${size} bytes, its descriptor says ${d.size}`);
  const below = children(d, (digest) => content.readJson(digest));
  for (const c of below) {
    if (isIndex(d.mediaType) && !content.has(c.digest)) continue;
    checkComplete(c, content, where);
  }
}

/**
 * The blobs `target` reaches that are in the store; for an index, the manifests that are not in
 * the store are left out of a rewritten index (returned as `target` with its bytes).
 */
function exportTree(target: Descriptor, content: ContentStore): { target: Descriptor; extra: Map<string, Buffer>; blobs: Set<string> } {
  const blobs = new Set<string>();
  const extra = new Map<string, Buffer>();
  const walk = (d: Descriptor) => {
    if (blobs.has(d.digest) || !content.has(d.digest)) return;
    blobs.add(d.digest);
    for (const c of children(d, (digest) => content.readJson(digest))) walk(c);
  };
  if (!isIndex(target.mediaType)) {
    walk(target);
    return { target, extra, blobs };
  }
  const index = content.readJson<ImageIndex>(target.digest);
  const present = index.manifests.filter((m) => content.has(m.digest));
  if (present.length === index.manifests.length) {
    walk(target);
    return { target, extra, blobs };
  }
  const bytes = Buffer.from(JSON.stringify({ ...index, manifests: present }));
  const digest = digestOf(bytes);
  extra.set(digest, bytes);
  present.forEach(walk);
  return { target: { mediaType: target.mediaType, digest, size: bytes.length }, extra, blobs };
}

/** Write `images` (name → target) as an OCI image-layout tar at `file`, replaced atomically. */
export async function exportArchive(images: { name: string; target: Descriptor }[], content: ContentStore, file: string): Promise<number> {
  const manifests: Descriptor[] = [];
  const blobs = new Set<string>();
  const extra = new Map<string, Buffer>();
  for (const img of images) {
    const tree = exportTree(img.target, content);
    tree.blobs.forEach((b) => blobs.add(b));
    tree.extra.forEach((v, k) => extra.set(k, v));
    manifests.push({ ...plainDescriptor(tree.target), annotations: { [REF_NAME]: img.name, [CONTAINERD_NAME]: img.name } });
  }
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  // Opened here so that a missing directory fails now, not as an error event nobody awaits yet.
  const out = fs.createWriteStream(tmp, { fd: fs.openSync(tmp, 'w', 0o600) });
  const closed = new Promise<void>((resolve, reject) => {
    out.on('close', resolve);
    out.on('error', reject);
  });
  closed.catch(() => undefined);
  try {
    const w = new TarWriter(out);
    const mtime = Math.floor(Date.now() / 1000);
    await w.add({ path: 'oci-layout', type: 'file', mtime }, Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })));
    await w.add({ path: 'index.json', type: 'file', mtime }, Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests })));
    await w.add({ path: 'blobs', type: 'directory', mtime });
    await w.add({ path: 'blobs/sha256', type: 'directory', mtime });
    for (const [digest, bytes] of extra) await w.add({ path: `blobs/sha256/${digest.slice(7)}`, type: 'file', mtime }, bytes);
    for (const digest of [...blobs].sort()) {
      const { size } = content.info(digest);
      await w.add({ path: `blobs/sha256/${digest.slice(7)}`, type: 'file', size, mtime }, content.readStream(digest));
    }
    await w.finish();
    out.end();
    await closed;
    const fd = fs.openSync(tmp, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
    return fs.statSync(file).size;
  } catch (err) {
    out.destroy();
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

async function collect(body: AsyncIterable<Buffer>, limit: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of body) {
    size += c.length;
    if (size > limit) throw new ContentError(`${what}: larger than ${limit} bytes`);
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

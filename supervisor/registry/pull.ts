/**
 * Pulling an image into the content store: resolve the reference to a manifest or index (its
 * digest checked against the reference's digest or the registry's Docker-Content-Digest, and
 * against the bytes), pick the platform's manifest from an index, check every media type before
 * any layer moves, then fetch the config and the layers (3 at a time), each verified by size and
 * sha256 on its way into the store. A blob that is already there is not fetched again; an
 * interrupted download resumes from what its ingest holds.
 */
import { Readable } from 'stream';
import { ContentError, type ContentStore, type Lease } from '../content/store';
import {
  CONFIG_TYPES,
  isIndex,
  isManifest,
  LAYER_TYPES,
  MediaTypes,
  type Descriptor,
  type ImageIndex,
  type ImageManifest,
  type Platform,
} from '../content/descriptor';
import { digestOf } from '../content/digest';
import { isStreamAbort, NetworkError, sleep } from './http';
import { eachLimited } from '../shared/each-limited';
import { RegistryError, type RegistryClient } from './client';
import { formatPlatform, selectManifest } from './platform';
import { formatReference, type Reference } from './reference';
import { TsrunError } from '../../common/errors';
import { traced } from '../shared/trace';

export type BlobKind = 'index' | 'manifest' | 'config' | 'layer';
export type ProgressStatus = 'resolved' | 'waiting' | 'downloading' | 'done' | 'exists';

export interface PullProgress {
  kind: BlobKind;
  digest: string;
  mediaType: string;
  status: ProgressStatus;
  /** Bytes so far (of `total`). */
  offset: number;
  total: number;
}

export interface PullResult {
  /** What the reference resolved to: the index or the manifest (an image record's target). */
  target: Descriptor;
  /** The platform's manifest. */
  manifest: Descriptor;
  config: Descriptor;
  layers: Descriptor[];
  platform: Platform;
}

export interface PullOptions {
  platform: Platform;
  onProgress?: (p: PullProgress) => void;
  /** Layers downloaded at once. */
  concurrency?: number;
  /** Held through the pull so a garbage collection does not take its blobs. */
  lease: Lease;
}

export class PullError extends TsrunError {
  constructor(message: string) {
    super(message, { code: 'failed-precondition' });
    this.name = 'PullError';
  }
}

const PROGRESS_INTERVAL_MS = 100;
const BLOB_ATTEMPTS = 4;

export async function pullImage(ref: Reference, registry: RegistryClient, content: ContentStore, o: PullOptions): Promise<PullResult> {
  const name = formatReference(ref);
  const progress = o.onProgress ?? (() => undefined);
  const top = await traced('pull: resolve the manifest', name, () => resolve(ref, registry, content, name, o.lease));
  progress({ kind: isIndex(top.mediaType) ? 'index' : 'manifest', digest: top.digest, mediaType: top.mediaType, status: 'resolved', offset: top.size, total: top.size });

  let manifestDesc = top;
  if (isIndex(top.mediaType)) {
    const index = content.readJson<ImageIndex>(top.digest);
    if (!Array.isArray(index.manifests)) throw new PullError(`${name}: index ${top.digest} has no "manifests" list`);
    let chosen: Descriptor;
    try {
      chosen = selectManifest(index.manifests, o.platform, name);
    } catch (err) {
      throw new PullError((err as Error).message);
    }
    if (!isManifest(chosen.mediaType))
      throw new PullError(`${name}: the ${formatPlatform(o.platform)} entry of the index has unknown media type ${JSON.stringify(chosen.mediaType)}`);
    manifestDesc = await fetchManifest(ref, registry, content, chosen, name, o.lease);
    progress({ kind: 'manifest', digest: chosen.digest, mediaType: chosen.mediaType, status: 'resolved', offset: chosen.size, total: chosen.size });
  }
  const manifest = content.readJson<ImageManifest>(manifestDesc.digest);
  checkManifest(manifest, manifestDesc, name);

  const blobs: { kind: BlobKind; desc: Descriptor }[] = [
    { kind: 'config', desc: manifest.config },
    ...manifest.layers.map((desc) => ({ kind: 'layer' as const, desc })),
  ];
  for (const b of blobs) progress({ kind: b.kind, digest: b.desc.digest, mediaType: b.desc.mediaType, status: 'waiting', offset: 0, total: b.desc.size });
  await eachLimited(blobs, o.concurrency ?? 3, (b) =>
    traced(`pull: ${b.kind} download (verified on the way)`, b.desc.digest, () => fetchBlob(ref, registry, content, b.kind, b.desc, name, progress, o.lease)),
  );
  const config = content.readJson<{ os?: string; architecture?: string }>(manifest.config.digest);
  return {
    target: top,
    manifest: manifestDesc,
    config: manifest.config,
    layers: manifest.layers,
    platform: { os: config.os ?? o.platform.os, architecture: config.architecture ?? o.platform.architecture },
  };
}

/** The media type of a manifest body: the header's when it is a known one, else the body's own field. */
function mediaTypeOf(headerType: string, body: Buffer, what: string): string {
  let parsed: { mediaType?: unknown; schemaVersion?: unknown; manifests?: unknown; config?: unknown };
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new PullError(`${what}: the manifest is not JSON`);
  }
  if (parsed.schemaVersion === 1) throw new PullError(`${what}: Docker schema 1 manifests are not supported (push the image again with a current tool)`);
  const bodyType = typeof parsed.mediaType === 'string' ? parsed.mediaType : '';
  const known = (t: string) => isIndex(t) || isManifest(t);
  if (known(headerType)) {
    if (bodyType && bodyType !== headerType) throw new PullError(`${what}: served as ${headerType} but its mediaType field says ${bodyType}`);
    return headerType;
  }
  if (bodyType) {
    if (!known(bodyType)) throw new PullError(`${what}: unknown media type ${JSON.stringify(bodyType)} (not an OCI or Docker schema 2 image)`);
    return bodyType;
  }
  if (headerType && headerType !== 'application/json' && headerType !== 'text/plain')
    throw new PullError(`${what}: unknown media type ${JSON.stringify(headerType)} (not an OCI or Docker schema 2 image)`);
  if (Array.isArray(parsed.manifests)) return MediaTypes.ociIndex;
  if (parsed.config) return MediaTypes.ociManifest;
  throw new PullError(`${what}: cannot tell what kind of manifest this is (no mediaType)`);
}

async function resolve(ref: Reference, registry: RegistryClient, content: ContentStore, name: string, lease: Lease): Promise<Descriptor> {
  const got = await registry.getManifest(ref, ref.digest || ref.tag);
  const digest = digestOf(got.body);
  const expected = ref.digest || got.statedDigest;
  if (expected && expected !== digest)
    throw new PullError(`${name}: manifest digest mismatch: ${ref.digest ? 'the reference names' : 'the registry states'} ${expected}, the content is ${digest}`);
  const mediaType = mediaTypeOf(got.mediaType, got.body, name);
  lease.add(digest);
  await content.put(`manifest-${digest}`, got.body, digest);
  return { mediaType, digest, size: got.body.length };
}

async function fetchManifest(ref: Reference, registry: RegistryClient, content: ContentStore, d: Descriptor, name: string, lease: Lease): Promise<Descriptor> {
  lease.add(d.digest);
  if (!content.has(d.digest)) {
    const got = await registry.getManifest(ref, d.digest);
    const digest = digestOf(got.body);
    if (digest !== d.digest) throw new PullError(`${name}: manifest digest mismatch: the index names ${d.digest}, the content is ${digest}`);
    if (got.body.length !== d.size) throw new PullError(`${name}: manifest ${d.digest} is ${got.body.length} bytes, the index says ${d.size}`);
    const served = mediaTypeOf(got.mediaType, got.body, `${name} manifest ${d.digest}`);
    if (served !== d.mediaType) throw new PullError(`${name}: manifest ${d.digest} is ${served}, the index says ${d.mediaType}`);
    await content.put(`manifest-${d.digest}`, got.body, d.digest);
  }
  return { mediaType: d.mediaType, digest: d.digest, size: d.size, ...(d.platform ? { platform: d.platform } : {}) };
}

function checkManifest(m: ImageManifest, d: Descriptor, name: string): void {
  const where = `${name}: manifest ${d.digest}`;
  if (!m.config || typeof m.config.digest !== 'string') throw new PullError(`${where} has no config`);
  if (!Array.isArray(m.layers)) throw new PullError(`${where} has no layers list`);
  if (!CONFIG_TYPES.includes(m.config.mediaType))
    throw new PullError(`${where}: config has unknown media type ${JSON.stringify(m.config.mediaType)} (not a container image)`);
  m.layers.forEach((l, i) => {
    if (!(l.mediaType in LAYER_TYPES)) throw new PullError(`${where}: layers[${i}] (${l.digest}) has unknown media type ${JSON.stringify(l.mediaType)}`);
    if (!Number.isSafeInteger(l.size) || l.size < 0) throw new PullError(`${where}: layers[${i}] has no valid size`);
  });
}

/** `fn` called at most every PROGRESS_INTERVAL_MS (byte counts of a blob moving); calls between are dropped. */
export function everyInterval(fn: (offset: number) => void): (offset: number) => void {
  let last = 0;
  return (offset) => {
    const now = Date.now();
    if (now - last < PROGRESS_INTERVAL_MS) return;
    last = now;
    fn(offset);
  };
}

async function fetchBlob(
  ref: Reference,
  registry: RegistryClient,
  content: ContentStore,
  kind: BlobKind,
  d: Descriptor,
  name: string,
  progress: (p: PullProgress) => void,
  lease: Lease,
): Promise<void> {
  lease.add(d.digest);
  const report = (status: ProgressStatus, offset: number) => progress({ kind, digest: d.digest, mediaType: d.mediaType, status, offset, total: d.size });
  if (content.has(d.digest)) return report('exists', d.size);
  const onBytes = everyInterval((offset: number) => report('downloading', offset));
  const what = `${name}: ${kind} ${d.digest}`;
  const open = async (offset: number) => {
    const got = await registry.getBlob(ref, d.digest, offset);
    if (got.length !== null && got.offset + got.length !== d.size) {
      got.stream.destroy();
      throw new ContentError(`${what}: the registry sends ${got.offset + got.length} bytes, the manifest says ${d.size} (truncated or wrong blob)`);
    }
    return { stream: got.stream as Readable, offset: got.offset };
  };
  for (let attempt = 1; ; attempt++) {
    try {
      await content.ingest(`blob-${d.digest}`, { digest: d.digest, size: d.size }, open, onBytes);
      return report('done', d.size);
    } catch (err) {
      if (err instanceof ContentError) {
        content.abort(`blob-${d.digest}`);
        throw new PullError(err.message.startsWith(name) ? err.message : `${what}: ${err.message.replace(/^blob-sha256:[a-f0-9]+: /, '')}`);
      }
      const transient = err instanceof NetworkError || isStreamAbort(err) || (err instanceof RegistryError && err.status >= 500);
      if (!transient || attempt >= BLOB_ATTEMPTS) throw err;
      await sleep(250 * 2 ** (attempt - 1));
    }
  }
}

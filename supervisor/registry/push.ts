/**
 * Pushing an image from the content store to a registry by the OCI distribution spec. Every blob
 * a manifest names is checked to be in the store before anything is sent. Then each blob (config
 * and layers, 3 at a time): HEAD says whether the registry has it (then nothing is sent); else a
 * cross-repository mount from a repository of the same registry that holds it (201: done; 202:
 * the registry declined and opened an upload instead); else an upload: small blobs in one PUT,
 * large ones in PATCHes of `chunkSize` bytes (Content-Range), each answer's Location followed,
 * and after a broken connection or a 5xx the upload's status (GET: its Range) says where to
 * continue (an upload the registry no longer takes starts again). The final PUT ?digest= is checked against the registry's Docker-Content-Digest.
 * Then the manifests, children before parents: an index's platform manifests by digest, then
 * the index (or the single manifest) by the destination's tag or digest.
 */
import * as fs from 'fs';
import type * as http from 'http';
import { isIndex, isManifest, type Descriptor, type ImageManifest } from '../content/descriptor';
import type { ContentStore } from '../content/store';
import { eachLimited } from '../shared/each-limited';
import { DEFAULT_RETRY, errorText, isStreamAbort, NetworkError, sleep, type HttpOptions } from './http';
import { RegistryError, type RegistryClient } from './client';
import type { RegistryEndpoint } from './mirrors';
import { everyInterval, type BlobKind, type PullProgress } from './pull';
import { formatReference, type Reference } from './reference';
import { TsrunError } from '../../common/errors';

/** A push's progress per blob; `status` "waiting", "exists" (the registry has it), "mounted", "uploading", "done". */
export type PushProgress = Omit<PullProgress, 'status'> & { status: 'waiting' | 'exists' | 'mounted' | 'uploading' | 'done'; kind: BlobKind };

export interface PushOptions {
  /** Repositories of the destination's registry that hold the image's blobs (mounted from, not uploaded). */
  mountFrom: string[];
  onProgress?: (p: PushProgress) => void;
  /** Blobs larger than this go in PATCHes of this size (default CHUNK_SIZE). */
  chunkSize?: number;
  concurrency?: number;
}

export interface PushedImage {
  /** What the destination's tag (or digest) now names. */
  target: Descriptor;
}

export class PushError extends TsrunError {
  constructor(message: string, subject?: string) {
    super(message, { code: 'failed-precondition', subject });
    this.name = 'PushError';
  }
}

export const CHUNK_SIZE = 8 << 20;
const BLOB_ATTEMPTS = 4;
/** A PATCH or a whole PUT is not retried by the request layer: after a failure the upload's status says what arrived, or a new upload starts. */
const NO_RETRY = { attempts: 1, backoffMs: 0 };

/**
 * Push `manifests` (each one's config and layers) and then `top` (the manifest itself, or an index
 * over the manifests) to `dest`. Every descriptor must be in `content`.
 */
export async function pushImage(top: Descriptor, manifests: Descriptor[], dest: Reference, registry: RegistryClient, content: ContentStore, o: PushOptions): Promise<PushedImage> {
  const name = formatReference(dest);
  const progress = o.onProgress ?? (() => undefined);
  const blobs = new Map<string, { kind: BlobKind; desc: Descriptor }>();
  for (const m of manifests) {
    const manifest = content.readJson<ImageManifest>(m.digest);
    const named: { kind: BlobKind; desc: Descriptor; what: string }[] = [
      { kind: 'config', desc: manifest.config, what: 'the config' },
      ...manifest.layers.map((desc, i) => ({ kind: 'layer' as const, desc, what: `layers[${i}]` })),
    ];
    for (const b of named) {
      if (!content.has(b.desc.digest))
        throw new PushError(
          `push ${name}: blob ${b.desc.digest} (${b.what} of manifest ${m.digest}) is not in tsrund's content store: the image is only partly there; pull it again, then push`,
          b.desc.digest,
        );
      blobs.set(b.desc.digest, { kind: b.kind, desc: b.desc });
    }
  }
  const session = new PushSession(dest, registry, content, name, o, progress);
  for (const b of blobs.values()) progress({ kind: b.kind, digest: b.desc.digest, mediaType: b.desc.mediaType, status: 'waiting', offset: 0, total: b.desc.size });
  await eachLimited([...blobs.values()], o.concurrency ?? 3, (b) => session.pushBlob(b.kind, b.desc));
  if (isIndex(top.mediaType)) for (const m of manifests) await session.putManifest(m, m.digest);
  await session.putManifest(top, dest.digest || dest.tag);
  return { target: { mediaType: top.mediaType, digest: top.digest, size: top.size } };
}

class PushSession {
  private readonly endpoint: RegistryEndpoint;
  private readonly scope: string;

  constructor(
    private readonly dest: Reference,
    private readonly registry: RegistryClient,
    private readonly content: ContentStore,
    private readonly name: string,
    private readonly o: PushOptions,
    private readonly progress: (p: PushProgress) => void,
  ) {
    this.endpoint = registry.pushEndpoint(dest.domain);
    this.scope = `repository:${dest.path}:pull,push`;
  }

  private url(tail: string): URL {
    return new URL(`${this.dest.path}/${tail}`, this.endpoint.base);
  }

  private send(url: URL, o: HttpOptions, what: string, o2: { scopes?: string[]; retry?: typeof NO_RETRY } = {}): Promise<http.IncomingMessage> {
    return this.registry.pushRequest(this.endpoint, this.dest.domain, url, o, o2.scopes ?? [this.scope], `push ${this.name}: ${what}`, o2.retry);
  }

  /** A refusal of what the registry answered to `what`. */
  private async refused(res: http.IncomingMessage, what: string): Promise<RegistryError> {
    return new RegistryError(`push ${this.name}: ${what}: ${await errorText(res)}`, res.statusCode ?? 0);
  }

  /** The Location an answer names, resolved against the endpoint (registries give it relative or absolute). */
  private location(res: http.IncomingMessage, what: string): URL {
    const location = res.headers.location;
    if (!location) throw new RegistryError(`push ${this.name}: ${what}: the registry answered ${res.statusCode} without a Location`);
    return new URL(location, this.endpoint.base);
  }

  async pushBlob(kind: BlobKind, d: Descriptor): Promise<void> {
    const report = (status: PushProgress['status'], offset: number) => this.progress({ kind, digest: d.digest, mediaType: d.mediaType, status, offset, total: d.size });
    const what = `${kind} ${d.digest}`;
    const head = await this.send(this.url(`blobs/${d.digest}`), { method: 'HEAD' }, `HEAD ${what}`);
    head.resume();
    if (head.statusCode === 200) return report('exists', d.size);
    if (head.statusCode !== 404) throw await this.refused(head, `HEAD ${what}`);
    let upload: URL | null = null;
    const from = this.o.mountFrom.find((repo) => repo !== this.dest.path);
    if (from !== undefined) {
      const url = this.url('blobs/uploads/');
      url.searchParams.set('mount', d.digest);
      url.searchParams.set('from', from);
      const res = await this.send(url, { method: 'POST', headers: { 'Content-Length': '0' } }, `mount ${what} from ${from}`, {
        scopes: [this.scope, `repository:${from}:pull`],
      });
      res.resume();
      if (res.statusCode === 201) return report('mounted', d.size);
      if (res.statusCode !== 202) throw await this.refused(res, `mount ${what} from ${from}`);
      // The registry did not mount it (it lacks the blob there, or mounts are off): an upload it opened instead.
      upload = this.location(res, `mount ${what}`);
    }
    const onBytes = everyInterval((offset) => report('uploading', offset));
    const chunked = d.size > (this.o.chunkSize ?? CHUNK_SIZE);
    for (let attempt = 1; ; attempt++) {
      try {
        const fresh = upload === null || attempt === 1;
        upload ??= await this.startUpload(what);
        // Each PATCH answers with the upload's next location: kept here for a resume after a failure.
        const at = { url: upload };
        const done = chunked ? await this.uploadChunks(at, fresh, d, what, onBytes).finally(() => (upload = at.url)) : await this.uploadWhole(upload, d, what);
        this.checkDigest(done, d.digest, what);
        return report('done', d.size);
      } catch (err) {
        const transient = err instanceof NetworkError || isStreamAbort(err) || (err instanceof RegistryError && err.status >= 500);
        if (!transient || attempt >= BLOB_ATTEMPTS) throw err;
        // A chunked upload continues where the registry says it stopped; a whole one starts again.
        if (!chunked) upload = null;
        await sleep(DEFAULT_RETRY.backoffMs * 2 ** (attempt - 1));
      }
    }
  }

  private async startUpload(what: string): Promise<URL> {
    const res = await this.send(this.url('blobs/uploads/'), { method: 'POST', headers: { 'Content-Length': '0' } }, `start the upload of ${what}`);
    res.resume();
    if (res.statusCode !== 202) throw await this.refused(res, `start the upload of ${what}`);
    return this.location(res, `start the upload of ${what}`);
  }

  /** Monolithic: the whole blob in the PUT that ends the upload. */
  private async uploadWhole(upload: URL, d: Descriptor, what: string): Promise<http.IncomingMessage> {
    const url = new URL(upload);
    url.searchParams.set('digest', d.digest);
    const file = this.content.path(d.digest);
    const headers = { 'Content-Type': 'application/octet-stream', 'Content-Length': String(d.size) };
    // Not retried as it is: a PUT cut short may leave the upload unusable; the blob's retry opens a new one.
    return this.finish(await this.send(url, { method: 'PUT', headers, body: () => fs.createReadStream(file) }, `upload ${what}`, { retry: NO_RETRY }), what);
  }

  /**
   * Chunked: PATCHes from where the upload stands (`fresh`: just opened, at 0; else as its status
   * says), then the PUT that ends it. Each PATCH's Location is where the next goes.
   */
  private async uploadChunks(at: { url: URL }, fresh: boolean, d: Descriptor, what: string, onBytes: (offset: number) => void): Promise<http.IncomingMessage> {
    let offset = 0;
    if (!fresh) {
      const status = await this.uploadStatus(at.url, what);
      if (status) ({ url: at.url, offset } = status);
      else at.url = await this.startUpload(what);
    }
    const file = this.content.path(d.digest);
    const size = this.o.chunkSize ?? CHUNK_SIZE;
    while (offset < d.size) {
      const end = Math.min(d.size, offset + size) - 1;
      const headers = { 'Content-Type': 'application/octet-stream', 'Content-Length': String(end - offset + 1), 'Content-Range': `${offset}-${end}` };
      const from = offset;
      const res = await this.send(at.url, { method: 'PATCH', headers, body: () => fs.createReadStream(file, { start: from, end }) }, `upload ${what}`, { retry: NO_RETRY });
      res.resume();
      if (res.statusCode !== 202) throw await this.refused(res, `upload ${what} bytes ${offset}-${end}`);
      at.url = this.location(res, `upload ${what}`);
      const range = rangeEnd(res);
      offset = range === null ? end + 1 : range + 1;
      onBytes(offset);
    }
    const url = new URL(at.url);
    url.searchParams.set('digest', d.digest);
    return this.finish(await this.send(url, { method: 'PUT', headers: { 'Content-Length': '0' } }, `finish the upload of ${what}`), what);
  }

  /**
   * Where an upload stands: its current location and the bytes the registry holds (GET: 204 with
   * Range). null when the registry no longer takes it (404: docker-registry drops an upload that
   * took part of a chunk before the connection broke): it starts again.
   */
  private async uploadStatus(upload: URL, what: string): Promise<{ url: URL; offset: number } | null> {
    const res = await this.send(upload, { method: 'GET' }, `status of the upload of ${what}`);
    res.resume();
    if (res.statusCode === 404) return null;
    if (res.statusCode !== 204) throw await this.refused(res, `status of the upload of ${what}`);
    const end = rangeEnd(res);
    return { url: res.headers.location ? this.location(res, what) : upload, offset: end === null ? 0 : end + 1 };
  }

  private async finish(res: http.IncomingMessage, what: string): Promise<http.IncomingMessage> {
    res.resume();
    if (res.statusCode !== 201) throw await this.refused(res, `upload ${what}`);
    return res;
  }

  private checkDigest(res: http.IncomingMessage, digest: string, what: string): void {
    const stated = String(res.headers['docker-content-digest'] ?? '');
    if (stated !== '' && stated !== digest) throw new PushError(`push ${this.name}: ${what}: the registry stored it as ${stated}`, digest);
  }

  /** PUT a manifest or index under `tagOrDigest`. */
  async putManifest(d: Descriptor, tagOrDigest: string): Promise<void> {
    if (!isIndex(d.mediaType) && !isManifest(d.mediaType)) throw new PushError(`push ${this.name}: ${d.digest} has media type ${d.mediaType}, not a manifest or index`);
    const what = `manifest ${d.digest} as ${tagOrDigest}`;
    if (tagOrDigest.includes(':') && tagOrDigest !== d.digest) throw new PushError(`push ${this.name}: the destination names ${tagOrDigest}, the image is ${d.digest}`);
    // The store refused manifests over 4 MiB when they came in (readJson): read whole.
    const body = fs.readFileSync(this.content.path(d.digest));
    const res = await this.send(this.url(`manifests/${tagOrDigest}`), { method: 'PUT', headers: { 'Content-Type': d.mediaType, 'Content-Length': String(body.length) }, body }, `PUT ${what}`);
    res.resume();
    if (res.statusCode !== 201) throw await this.refused(res, `PUT ${what}`);
    this.checkDigest(res, d.digest, what);
  }
}

/**
 * The last byte a `Range: 0-N` answer says the registry holds; null: none (or no header).
 * docker-registry says "0-0" for an empty upload as for a one-byte one: read as empty.
 */
function rangeEnd(res: http.IncomingMessage): number | null {
  const m = /^(?:bytes=)?0-(\d+)$/.exec(String(res.headers.range ?? ''));
  return m && m[1] !== '0' ? Number(m[1]) : null;
}

/**
 * tsrund's images: pull from registries, records, tags, import/export of OCI archives, and the
 * garbage collection that follows a removal. Errors come out as TsrunErrors whose code is the
 * status the API answers with.
 */
import { ContentStore } from '../content/store';
import { children, isIndex, plainDescriptor, type Descriptor, type ImageIndex, type ImageManifest, type Platform } from '../content/descriptor';
import { CONTAINERD_NAME, exportArchive, importArchive, REF_NAME } from '../content/oci-archive';
import { TarError } from '../archive/tar';
import { NetworkError } from '../registry/http';
import { RegistryClient, type RegistryOptions } from '../registry/client';
import { loginDomain, removeCredential, storeCredential, type RequestAuth } from '../registry/credentials';
import { hostPlatform, parsePlatform, selectManifest } from '../registry/platform';
import { pullImage, type PullProgress } from '../registry/pull';
import { pushImage, PushError, type PushProgress } from '../registry/push';
import { formatReference, parseReference, ReferenceError } from '../registry/reference';
import * as path from 'path';
import { isDirectory } from '../shared/atomic-file';
import { failedPrecondition, fsErrorText, invalidArgument, TsrunError } from '../shared/errors';
import { KeyedLock } from '../shared/keyed-lock';
import { ImageStore, type ImageRecord } from './store';

/** The record name of an image made without a name: `<none>@` and its manifest's digest. */
const UNTAGGED_PREFIX = '<none>@';
const UNTAGGED_NAME = /^<none>@sha256:[a-f0-9]{64}$/;

export interface ImageServiceOptions extends RegistryOptions {
  /** tsrund's --root: content/ and images/ go under it. */
  root: string;
  /** A pushed blob larger than this goes in PATCHes of this size (registry/push.ts's CHUNK_SIZE). */
  pushChunkSize?: number;
}

export interface PushResult {
  /** The destination, in full. */
  name: string;
  /** What its tag (or digest) names now. */
  target: Descriptor;
  /** Said when less than the whole image went (an index whose other platforms are not in the store). */
  note: string;
}

/**
 * Called after blobs were collected, with the images that remain, so unpacked layers no image
 * uses can go too (the snapshotter sets it).
 */
export type SnapshotCollector = (remaining: ImageRecord[]) => Promise<void> | void;

/** Blobs kept through a collection besides the images' (the build cache's layers). */
export type ContentKeeper = () => Descriptor[];

export class ImageService {
  readonly content: ContentStore;
  readonly records: ImageStore;
  readonly registry: RegistryClient;
  snapshotCollector: SnapshotCollector | null = null;
  contentKeeper: ContentKeeper | null = null;
  /** Record changes (pull's final write, tag, delete, import) one at a time. */
  private readonly lock = new KeyedLock();

  constructor(private readonly o: ImageServiceOptions) {
    this.content = new ContentStore(o.root);
    this.records = new ImageStore(o.root);
    this.registry = new RegistryClient(o);
  }

  /**
   * The full name of a reference given in any accepted form ("busybox" → docker.io/library/busybox:latest);
   * an untagged image's record name (`<none>@sha256:…`) as it is.
   */
  static normalize(field: string, text: string): string {
    if (UNTAGGED_NAME.test(text)) return text;
    try {
      return formatReference(parseReference(text));
    } catch (err) {
      throw invalidArgument(field, (err as Error).message);
    }
  }

  /** `auth`: credentials of this pull's own (the CRI's AuthConfig), before the auth file's. */
  async pull(
    reference: string,
    o: { platform?: string; labels?: Record<string, string>; onProgress?: (p: PullProgress) => void; auth?: RequestAuth; field?: string } = {},
  ): Promise<ImageRecord> {
    const field = o.field ?? 'reference';
    const ref = parseRef(field, reference);
    const platform = platformOf('platform', o.platform ?? '');
    const registry = o.auth ? this.registry.withAuth(o.auth) : this.registry;
    const lease = this.content.lease();
    try {
      const result = await pullImage(ref, registry, this.content, { platform, lease, onProgress: o.onProgress });
      return await this.lock.run('records', () => this.records.put(formatReference(ref), result.target, o.labels ?? {}));
    } catch (err) {
      throw asApiError(err, field);
    } finally {
      lease.release();
      await this.collect();
    }
  }

  /**
   * Record an image made here (a commit, a build): `name`, or for "" an untagged image, listed as
   * `<none>@<manifest digest>` (docker's dangling `<none>:<none>`) until it is removed.
   */
  async putImage(name: string, manifest: Descriptor, labels: Record<string, string> = {}): Promise<ImageRecord> {
    const full = name === '' ? `${UNTAGGED_PREFIX}${manifest.digest}` : ImageService.normalize('name', name);
    return this.lock.run('records', () => this.records.put(full, plainDescriptor(manifest), labels));
  }

  /**
   * Push image `name` to `destination` ("": its own name). `platform` "": the whole image, an
   * index with every platform, when the store holds them all; else (as docker does) the daemon's
   * platform's manifest alone. A platform given: that manifest alone.
   */
  async push(name: string, o: { destination?: string; platform?: string; onProgress?: (p: PushProgress) => void } = {}): Promise<PushResult> {
    const full = ImageService.normalize('name', name);
    const record = this.records.get(full);
    const dest = parseRef('destination', o.destination || full);
    const lease = this.content.lease();
    try {
      const { top, manifests, note } = this.pushContent(record, o.platform ?? '');
      for (const d of [top, ...manifests]) lease.add(d.digest);
      for (const m of manifests) for (const c of children(m, (digest) => this.content.readJson(digest))) lease.add(c.digest);
      // Where the image came from on the destination's registry: its blobs are mounted from there.
      const mountFrom = this.records
        .list()
        .filter((r) => r.target.digest === record.target.digest && !UNTAGGED_NAME.test(r.name))
        .map((r) => parseReference(r.name))
        .filter((r) => r.domain === dest.domain)
        .map((r) => r.path);
      const pushed = await pushImage(top, manifests, dest, this.registry, this.content, { chunkSize: this.o.pushChunkSize, mountFrom, onProgress: o.onProgress });
      return { name: formatReference(dest), target: pushed.target, note };
    } catch (err) {
      throw asApiError(err, 'destination');
    } finally {
      lease.release();
    }
  }

  /** What a push of `r` sends: the descriptor its tag will name and the manifests under it. */
  private pushContent(r: ImageRecord, platform: string): { top: Descriptor; manifests: Descriptor[]; note: string } {
    const missing = (d: Descriptor) =>
      new PushError(`push ${r.name}: ${d.digest} (${d.mediaType}) is not in tsrund's content store: the image is only partly there; pull it again, then push`, d.digest);
    const plain = (d: Descriptor): Descriptor => ({ mediaType: d.mediaType, digest: d.digest, size: d.size });
    if (!this.content.has(r.target.digest)) throw missing(r.target);
    if (!isIndex(r.target.mediaType)) return { top: plain(r.target), manifests: [plain(r.target)], note: '' };
    const index = this.content.readJson<ImageIndex>(r.target.digest);
    const all = index.manifests ?? [];
    if (platform === '' && all.every((m) => this.content.has(m.digest))) return { top: plain(r.target), manifests: all, note: '' };
    let chosen: Descriptor;
    try {
      chosen = selectManifest(all, platformOf('platform', platform), r.name);
    } catch (err) {
      throw asApiError(err, 'platform');
    }
    if (!this.content.has(chosen.digest)) throw missing(chosen);
    const note =
      platform === ''
        ? `not every platform of ${r.name} is in the store: only the ${chosen.platform ? `${chosen.platform.os}/${chosen.platform.architecture}` : "daemon's platform's"} image was pushed`
        : '';
    return { top: plain(chosen), manifests: [plain(chosen)], note };
  }

  /**
   * Check `username` and `password` against `server`'s /v2/ (with the challenge it answers), then
   * keep them in the auth file for pulls and pushes. Nothing is written when the registry refuses.
   */
  async login(server: string, username: string, password: string): Promise<string> {
    const domain = this.loginDomain(server);
    if (username === '') throw invalidArgument('username', 'give the user name to log in as');
    const file = this.authFile();
    try {
      await this.registry.checkLogin(domain, { username, password });
    } catch (err) {
      const failed = asApiError(err, 'server');
      if (failed instanceof TsrunError) throw new TsrunError(`${failed.message} (the auth file ${file} is unchanged)`, { code: failed.code, cause: err });
      throw failed;
    }
    await this.lock.run('auth-file', () => storeCredential(file, domain, { username, password }));
    return domain;
  }

  /** Forget the credentials for `server`; whether there were any. */
  async logout(server: string): Promise<{ domain: string; removed: boolean }> {
    const domain = this.loginDomain(server);
    const file = this.authFile();
    return { domain, removed: await this.lock.run('auth-file', () => removeCredential(file, domain)) };
  }

  private loginDomain(server: string): string {
    const domain = loginDomain(server);
    if (!/^[A-Za-z0-9.-]+(?::\d{1,5})?$|^\[[0-9a-fA-F:]+\](?::\d{1,5})?$/.test(domain))
      throw invalidArgument('server', `${JSON.stringify(server.slice(0, 80))} is not a registry host[:port] or URL`);
    return domain;
  }

  private authFile(): string {
    if (!this.o.authFile) throw failedPrecondition("tsrund runs without an auth file (--auth-file): logins cannot be kept");
    return this.o.authFile;
  }

  get(name: string): ImageRecord {
    return this.records.get(ImageService.normalize('name', name));
  }

  list(): ImageRecord[] {
    return this.records.list();
  }

  /** Bytes of the blobs the image reaches that are in the store. */
  sizeOf(r: ImageRecord): number {
    const seen = new Set<string>();
    let total = 0;
    const walk = (d: Descriptor) => {
      if (seen.has(d.digest) || !this.content.has(d.digest)) return;
      seen.add(d.digest);
      total += this.content.info(d.digest).size;
      for (const c of children(d, (digest) => this.content.readJson(digest))) walk(c);
    };
    walk(r.target);
    return total;
  }

  /** The manifest of `r` for `platform` ("" for the host's), or null when it is not in the store. */
  manifestOf(r: ImageRecord, platform = ''): { descriptor: Descriptor; manifest: ImageManifest } | null {
    let d = r.target;
    if (isIndex(d.mediaType)) {
      const index = this.content.readJson<ImageIndex>(d.digest);
      try {
        d = selectManifest(index.manifests, platformOf('platform', platform), r.name);
      } catch (err) {
        throw asApiError(err);
      }
    }
    if (!this.content.has(d.digest)) return null;
    return { descriptor: d, manifest: this.content.readJson<ImageManifest>(d.digest) };
  }

  async delete(name: string): Promise<string[]> {
    const full = ImageService.normalize('name', name);
    await this.lock.run('records', () => this.records.delete(full));
    return this.collect();
  }

  async tag(source: string, target: string): Promise<ImageRecord> {
    const from = ImageService.normalize('source', source);
    const to = ImageService.normalize('target', target);
    return this.lock.run('records', () => {
      const r = this.records.get(from);
      return this.records.put(to, r.target, r.labels);
    });
  }

  async import(file: string, o: { name?: string; labels?: Record<string, string> } = {}): Promise<ImageRecord[]> {
    const lease = this.content.lease();
    try {
      const manifests = await importArchive(file, this.content, lease);
      const override = o.name ? ImageService.normalize('name', o.name) : null;
      if (override && manifests.length !== 1)
        throw invalidArgument('name', `the archive holds ${manifests.length} images; a name can only be given to one`);
      const named = manifests.map((d, i) => {
        const annotated = d.annotations?.[CONTAINERD_NAME] ?? d.annotations?.[REF_NAME];
        if (override) return { name: override, d };
        if (!annotated) throw invalidArgument('name', `${file}: index.json manifests[${i}] has no ${CONTAINERD_NAME} or ${REF_NAME} annotation; give a name`);
        return { name: ImageService.normalize(`${file}: index.json manifests[${i}] name`, annotated), d };
      });
      return await this.lock.run('records', () =>
        named.map(({ name, d }) => this.records.put(name, { mediaType: d.mediaType, digest: d.digest, size: d.size }, o.labels ?? {})),
      );
    } catch (err) {
      throw asApiError(err, 'path');
    } finally {
      lease.release();
      await this.collect();
    }
  }

  async export(names: string[], file: string): Promise<number> {
    if (names.length === 0) throw invalidArgument('names', 'name at least one image');
    const images = names.map((n, i) => this.records.get(ImageService.normalize(`names[${i}]`, n)));
    if (!isDirectory(path.dirname(file)))
      throw invalidArgument('path', `${path.dirname(file)} is not a directory on tsrund's host: create it or write elsewhere`);
    if (isDirectory(file)) throw invalidArgument('path', `${file} is a directory: name the tar file to write`);
    try {
      return await exportArchive(images, this.content, file);
    } catch (err) {
      throw asApiError(err, 'path');
    }
  }

  /**
   * Remove the blobs no image reaches (pulls, imports and builds in flight keep theirs, the
   * contentKeeper's stay), then unused snapshots.
   */
  async collect(): Promise<string[]> {
    const removed = this.content.gc([...this.records.list().map((r) => r.target), ...(this.contentKeeper?.() ?? [])]);
    await this.snapshotCollector?.(this.records.list());
    return removed;
  }
}

function parseRef(field: string, text: string) {
  try {
    return parseReference(text);
  } catch (err) {
    throw invalidArgument(field, (err as Error).message);
  }
}

function platformOf(field: string, text: string): Platform {
  if (text === '') return hostPlatform();
  try {
    return parsePlatform(text);
  } catch (err) {
    throw invalidArgument(field, (err as Error).message);
  }
}

/**
 * An image failure as the API answers it (its code gives the status): named by the request
 * field it is about, a registry out of reach said so.
 */
function asApiError(err: unknown, field = 'reference'): unknown {
  const message = (err as Error).message;
  if (err instanceof ReferenceError || err instanceof TarError) return invalidArgument(field, message, err);
  if (err instanceof NetworkError)
    return new TsrunError(`registry unreachable: ${message} (is the registry up, and the reference's host right?)`, { code: 'unavailable', cause: err });
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'EACCES' || code === 'ENOTDIR' || code === 'EISDIR') return invalidArgument(field, fsErrorText(err)!, err);
  return err;
}

/**
 * tsrund's images: pull from registries, records, tags, import/export of OCI archives, and the
 * garbage collection that follows a removal. Errors come out as TsrunErrors whose code is the
 * status the API answers with.
 */
import { ContentStore } from '../content/store';
import { children, isIndex, type Descriptor, type ImageIndex, type ImageManifest, type Platform } from '../content/descriptor';
import { CONTAINERD_NAME, exportArchive, importArchive, REF_NAME } from '../content/oci-archive';
import { TarError } from '../archive/tar';
import { NetworkError } from '../registry/http';
import { RegistryClient, type RegistryOptions } from '../registry/client';
import { hostPlatform, parsePlatform, selectManifest } from '../registry/platform';
import { pullImage, type PullProgress } from '../registry/pull';
import { formatReference, parseReference, ReferenceError } from '../registry/reference';
import * as path from 'path';
import { isDirectory } from '../shared/atomic-file';
import { fsErrorText, invalidArgument, TsrunError } from '../shared/errors';
import { KeyedLock } from '../shared/keyed-lock';
import { ImageStore, type ImageRecord } from './store';

export interface ImageServiceOptions extends RegistryOptions {
  /** tsrund's --root: content/ and images/ go under it. */
  root: string;
}

/**
 * Called after blobs were collected, with the images that remain, so unpacked layers no image
 * uses can go too (the snapshotter sets it).
 */
export type SnapshotCollector = (remaining: ImageRecord[]) => Promise<void> | void;

export class ImageService {
  readonly content: ContentStore;
  readonly records: ImageStore;
  readonly registry: RegistryClient;
  snapshotCollector: SnapshotCollector | null = null;
  /** Record changes (pull's final write, tag, delete, import) one at a time. */
  private readonly lock = new KeyedLock();

  constructor(o: ImageServiceOptions) {
    this.content = new ContentStore(o.root);
    this.records = new ImageStore(o.root);
    this.registry = new RegistryClient(o);
  }

  /** The full name of a reference given in any accepted form ("busybox" → docker.io/library/busybox:latest). */
  static normalize(field: string, text: string): string {
    try {
      return formatReference(parseReference(text));
    } catch (err) {
      throw invalidArgument(field, (err as Error).message);
    }
  }

  async pull(reference: string, o: { platform?: string; labels?: Record<string, string>; onProgress?: (p: PullProgress) => void } = {}): Promise<ImageRecord> {
    const ref = parseRef('reference', reference);
    const platform = platformOf('platform', o.platform ?? '');
    const lease = this.content.lease();
    try {
      const result = await pullImage(ref, this.registry, this.content, { platform, lease, onProgress: o.onProgress });
      return await this.lock.run('records', () => this.records.put(formatReference(ref), result.target, o.labels ?? {}));
    } catch (err) {
      throw asApiError(err);
    } finally {
      lease.release();
      await this.collect();
    }
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

  /** Remove the blobs no image reaches (pulls and imports in flight keep theirs), then unused snapshots. */
  async collect(): Promise<string[]> {
    const removed = this.content.gc(this.records.list().map((r) => r.target));
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

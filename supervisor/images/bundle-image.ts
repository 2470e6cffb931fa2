/**
 * From an image in the content store to what a container of it needs: the config, the layers to
 * unpack as snapshots, and the user resolved in the image's own /etc/passwd and /etc/group.
 */
import type { ContentStore } from '../content/store';
import { LAYER_TYPES, type ImageManifest } from '../content/descriptor';
import { chainIds, type LayerSource, type OverlaySnapshotter } from '../snapshots/overlay';
import { readLayeredFile } from '../snapshots/view';
import type { ImageConfig } from './bundle';
import type { ImageService } from './service';
import type { ImageRecord } from './store';
import { resolveImageUser, type ResolvedUser } from './user';
import { TsrunError } from '../../common/errors';
import { PlatformError } from '../registry/platform';

export class ImageError extends TsrunError {
  constructor(message: string) {
    super(message, { code: 'failed-precondition' });
    this.name = 'ImageError';
  }
}

export interface StoredImage {
  config: ImageConfig;
  layers: LayerSource[];
}

/** The config and layers of `manifest` (the image `ref`'s, for this host), every blob present. */
export function readStoredImage(content: ContentStore, manifest: ImageManifest, ref: string): StoredImage {
  if (!manifest.config || !content.has(manifest.config.digest)) {
    throw new ImageError(`image ${ref}: its config ${manifest.config?.digest} is not in the content store`);
  }
  const config = content.readJson<ImageConfig>(manifest.config.digest);
  const diffIds = config.rootfs?.diff_ids ?? [];
  const layers = manifest.layers ?? [];
  if (diffIds.length !== layers.length) {
    throw new ImageError(`image ${ref}: the manifest has ${layers.length} layers, the config's rootfs.diff_ids ${diffIds.length}`);
  }
  return {
    config,
    layers: layers.map((l, i) => {
      if (!(l.mediaType in LAYER_TYPES)) throw new ImageError(`image ${ref}: layer ${l.digest} has the unknown media type ${JSON.stringify(l.mediaType)}`);
      if (!content.has(l.digest)) throw new ImageError(`image ${ref}: layer ${l.digest} is not in the content store`);
      return { digest: l.digest, diffId: diffIds[i], open: () => content.readStream(l.digest) };
    }),
  };
}

/**
 * The chain ids of the image's layers for this host; [] when it has no manifest for this host or
 * its index, manifest or config is not stored: then nothing of it can have been unpacked here.
 * A stored one that cannot be read is an error: an unknown chain must not read as "none", which
 * would collect its layers.
 */
export function storedChainIds(images: ImageService, r: ImageRecord): string[] {
  try {
    const found = images.manifestOf(r);
    if (!found || !found.manifest.config || !images.content.has(found.manifest.config.digest)) return [];
    return chainIds(images.content.readJson<ImageConfig>(found.manifest.config.digest).rootfs?.diff_ids ?? []);
  } catch (err) {
    if (err instanceof PlatformError || (err instanceof TsrunError && err.code === 'not-found')) return [];
    throw new TsrunError(`garbage collection: cannot read the layers of image ${r.name} (${(err as Error).message}); no unpacked layer was removed`, {
      code: 'internal',
      subject: r.name,
      cause: err,
    });
  }
}

/** The user a container of the image runs as: `user` ("" for root) resolved in the image's files. */
export function imageUser(snapshots: OverlaySnapshotter, chainIds: readonly string[], user: string): ResolvedUser {
  const layers = chainIds.map((id) => snapshots.layerPath(id)).reverse();
  const text = (file: string) => readLayeredFile(layers, file)?.toString('utf8') ?? null;
  return resolveImageUser(user, { passwd: text('etc/passwd'), group: text('etc/group') });
}

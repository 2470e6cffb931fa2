/**
 * docker commit: a container's writable layer as one new layer on top of its image's layers
 * (the image's layer blobs are reused as they are), the image's config with the new diff_id, a
 * history entry and the `-c` changes, an OCI manifest, and an image record. Everything that can
 * be refused (the reference, the compression, the changes, the image) is checked before a byte
 * is written (the changes are parsed by the caller: ../build, the Dockerfile language, is a user
 * of this package); a failure after that leaves nothing reachable, and the collection that follows
 * removes what was written.
 */
import type { Descriptor, ImageManifest } from '../content/descriptor';
import { digestHex, digestOf } from '../content/digest';
import { invalidArgument, TsrunError } from '../shared/errors';
import { chainIds } from '../snapshots/overlay';
import { readStoredImage, ImageError } from './bundle-image';
import { writeImage, type ImageContainerConfig, type OciImageConfigFile } from './image-writer';
import { writeLayer } from './layer-writer';
import { ImageService } from './service';
import type { ImageRecord } from './store';

export interface CommitOptions {
  /** NAME[:TAG]; "" for an untagged image. */
  reference: string;
  /** The history entry's comment. */
  message: string;
  author: string;
  /** The -c changes (Dockerfile metadata instructions, parsed by the caller) applied to the image's config. */
  changes: (config: ImageContainerConfig) => ImageContainerConfig;
  compression: string;
}

/** The container to commit: its image, its writable layer and the unpacked layers beneath it. */
export interface CommitSource {
  /** The container's id (in messages). */
  id: string;
  /** The image record's name the container was created from. */
  image: string;
  upper: string;
  /** The overlay's lower layers, top-most first: their chain ids (hex) and directories. */
  lowerChainIds: readonly string[];
  lowers: readonly string[];
  /** The container's command as docker's history shows it ("sh -c echo hi"). */
  createdBy: string;
  /** Where the container had mounts (absolute): the targets made for them are not changes. */
  mountTargets: readonly string[];
}

export interface Committed {
  record: ImageRecord;
  manifest: Descriptor;
}

/** The diff_id of a tar without entries (its end marker only): a commit that changed nothing. */
const EMPTY_LAYER = digestOf(Buffer.alloc(1024));

/** Docker's layer media types, as an OCI manifest names the same bytes. */
const OCI_LAYER_TYPE: Readonly<Record<string, string>> = {
  'application/vnd.docker.image.rootfs.diff.tar': 'application/vnd.oci.image.layer.v1.tar',
  'application/vnd.docker.image.rootfs.diff.tar.gzip': 'application/vnd.oci.image.layer.v1.tar+gzip',
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip': 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
};

/** Fields of a Docker config that describe how the base was made, not this image. */
const BASE_ONLY = ['container', 'container_config', 'docker_version', 'id', 'parent'];

/**
 * Commit `src`. `whileReading` runs the read of the writable layer (the caller pauses a running
 * task around it).
 */
export async function commitContainer(
  images: ImageService,
  src: CommitSource,
  o: CommitOptions,
  whileReading: <T>(read: () => Promise<T>) => Promise<T> = (read) => read(),
): Promise<Committed> {
  if (o.reference !== '') ImageService.normalize('reference', o.reference);
  const compression = compressionOf(o.compression);
  const { found, base } = baseImage(images, src);
  const containerConfig = o.changes(base.config ?? {});
  const lease = images.content.lease();
  try {
    const layer = await whileReading(() => writeLayer(src.upper, src.lowers, images.content, lease, { compression, mountTargets: src.mountTargets.map((p) => p.replace(/^\/+/, '')) }));
    const empty = layer.diffId === EMPTY_LAYER;
    const created = new Date().toISOString();
    const config: OciImageConfigFile = { ...base, created, rootfs: { type: 'layers', diff_ids: [...(base.rootfs?.diff_ids ?? []), ...(empty ? [] : [layer.diffId])] } };
    for (const key of BASE_ONLY) delete (config as unknown as Record<string, unknown>)[key];
    if (o.author !== '') config.author = o.author;
    else delete config.author;
    config.config = containerConfig;
    config.history = [
      ...(base.history ?? []),
      {
        created,
        created_by: src.createdBy,
        ...(o.author !== '' ? { author: o.author } : {}),
        ...(o.message !== '' ? { comment: o.message } : {}),
        ...(empty ? { empty_layer: true } : {}),
      },
    ];
    const layers = [...found.manifest.layers.map((l) => ({ ...l, mediaType: OCI_LAYER_TYPE[l.mediaType] ?? l.mediaType })), ...(empty ? [] : [layer.descriptor])];
    const manifest = await writeImage(images.content, lease, { config, layers });
    const record = await images.putImage(o.reference, manifest);
    return { record, manifest };
  } finally {
    lease.release();
    await images.collect();
  }
}

/** The image the container was made from, as it still is: its manifest and config. */
function baseImage(images: ImageService, src: CommitSource): { found: { manifest: ImageManifest }; base: OciImageConfigFile } {
  try {
    if (!images.records.has(src.image)) throw new ImageError('it is no longer in the image store');
    const found = images.manifestOf(images.records.get(src.image));
    if (!found) throw new ImageError('its manifest is not in the content store (pull it again)');
    const stored = readStoredImage(images.content, found.manifest, src.image);
    const ids = chainIds(stored.config.rootfs?.diff_ids ?? []).map(digestHex).reverse();
    if (ids.join() !== src.lowerChainIds.join()) throw new ImageError('it now names other layers than the container was created from (pulled again or re-tagged)');
    return { found, base: stored.config as OciImageConfigFile };
  } catch (err) {
    if (err instanceof ImageError) throw new TsrunError(`container ${src.id}: image ${src.image}: ${err.message}`, { code: 'failed-precondition', cause: err });
    throw err;
  }
}

function compressionOf(text: string): 'gzip' | 'zstd' {
  if (text === '' || text === 'gzip') return 'gzip';
  if (text === 'zstd') return 'zstd';
  throw invalidArgument('compression', `${JSON.stringify(text)} is not a layer compression: give gzip or zstd`);
}

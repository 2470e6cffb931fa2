/**
 * An image made here (a commit, a build) written into the content store: its config blob and an
 * OCI manifest over its layers. The JSON is written as given, keys in the order they were set, so
 * the same config and layers give the same digests.
 */
import type { ContentStore, Lease } from '../content/store';
import { digestOf } from '../content/digest';
import { MediaTypes, plainDescriptor, type Descriptor, type ImageManifest } from '../content/descriptor';
import type { ImageConfig } from './bundle';

/** One entry of an image config's history (the image spec's `history`). */
export interface ImageHistory {
  /** RFC 3339. */
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  /** The step made no layer (ENV, CMD, ...): it has no diff_ids entry. */
  empty_layer?: boolean;
}

/** The config's "config" object: what a container of the image runs with. */
export type ImageContainerConfig = NonNullable<ImageConfig['config']>;

/** The whole image config file (OCI image spec config.md, and Docker's fields beside it), as written. */
export interface OciImageConfigFile extends ImageConfig {
  created?: string;
  author?: string;
  architecture: string;
  os: string;
  config?: ImageContainerConfig;
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: ImageHistory[];
}

/** Write an image config (with rootfs.diff_ids and history already complete) and a manifest over `layers` (bottom-most first) into the store; returns the manifest's descriptor. */
export async function writeImage(
  content: ContentStore,
  lease: Lease,
  o: { config: OciImageConfigFile; layers: Descriptor[]; annotations?: Record<string, string> },
): Promise<Descriptor> {
  const config = await putJson(content, lease, MediaTypes.ociConfig, o.config);
  const manifest: ImageManifest = { schemaVersion: 2, mediaType: MediaTypes.ociManifest, config, layers: o.layers.map(plainDescriptor) };
  if (o.annotations && Object.keys(o.annotations).length > 0) manifest.annotations = o.annotations;
  return putJson(content, lease, MediaTypes.ociManifest, manifest);
}

/** A JSON blob, held by the lease from before it is stored (a collection in between keeps it). */
async function putJson(content: ContentStore, lease: Lease, mediaType: string, value: unknown): Promise<Descriptor> {
  const bytes = Buffer.from(JSON.stringify(value));
  const digest = digestOf(bytes);
  lease.add(digest);
  await content.put(`${mediaType} ${digest}`, bytes, digest);
  return { mediaType, digest, size: bytes.length };
}

/**
 * OCI descriptors and the media types of images (OCI and Docker schema 2), and what a manifest or
 * index refers to (for garbage collection, export and pull).
 */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: Platform;
  urls?: string[];
}

export interface ImageIndex {
  schemaVersion: number;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

export interface ImageManifest {
  schemaVersion: number;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export const MediaTypes = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
} as const;

export const INDEX_TYPES: readonly string[] = [MediaTypes.ociIndex, MediaTypes.dockerList];
export const MANIFEST_TYPES: readonly string[] = [MediaTypes.ociManifest, MediaTypes.dockerManifest];
export const CONFIG_TYPES: readonly string[] = [MediaTypes.ociConfig, MediaTypes.dockerConfig];

/** Layer media types tsrun can unpack, with their compression. */
export const LAYER_TYPES: Readonly<Record<string, 'none' | 'gzip' | 'zstd'>> = {
  'application/vnd.oci.image.layer.v1.tar': 'none',
  'application/vnd.oci.image.layer.v1.tar+gzip': 'gzip',
  'application/vnd.oci.image.layer.v1.tar+zstd': 'zstd',
  'application/vnd.oci.image.layer.nondistributable.v1.tar': 'none',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip': 'gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd': 'zstd',
  'application/vnd.docker.image.rootfs.diff.tar': 'none',
  'application/vnd.docker.image.rootfs.diff.tar.gzip': 'gzip',
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip': 'gzip',
};

export const isIndex = (mediaType: string) => INDEX_TYPES.includes(mediaType);
export const isManifest = (mediaType: string) => MANIFEST_TYPES.includes(mediaType);

/** The descriptors an index or manifest refers to ([] for any other blob). */
export function children(d: Descriptor, readJson: (digest: string) => unknown): Descriptor[] {
  if (isIndex(d.mediaType)) return [...((readJson(d.digest) as ImageIndex).manifests ?? [])];
  if (isManifest(d.mediaType)) {
    const m = readJson(d.digest) as ImageManifest;
    return [m.config, ...(m.layers ?? [])].filter((x): x is Descriptor => !!x && typeof x.digest === 'string');
  }
  return [];
}

/** The descriptor as JSON carries it: only the fields that are set. */
export function plainDescriptor(d: Descriptor): Descriptor {
  const out: Descriptor = { mediaType: d.mediaType, digest: d.digest, size: d.size };
  if (d.annotations && Object.keys(d.annotations).length > 0) out.annotations = d.annotations;
  if (d.platform) out.platform = d.platform;
  return out;
}

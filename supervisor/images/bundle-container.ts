/**
 * Containers.Create and Delete for an image reference: the image from the image store, its
 * layers unpacked (once, shared), the container's writable layer prepared, the config built from
 * the image's (./bundle.ts) with the request's overrides, and a bundle directory at
 * <state>/bundles/<id> (config.json and the empty rootfs the task's init mounts the overlay on).
 * A failed create leaves no writable layer and no bundle behind.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { RootfsOverlay } from '../../runtime/plan/types';
import { formatIssue, validateConfig } from '../../spec/validate';
import type { CreateContainerRequest, ProcessOverrides } from '../api/types';
import { withDefaultSeccomp, withDockerDefaults } from '../containers/docker-defaults';
import { applyOverrides } from '../containers/overrides';
import { checkContainerRecord, checkLabels } from '../containers/record-checks';
import type { ContainerRecord, ContainerStore } from '../containers/store';
import { failedPrecondition, invalidArgument, TsrunError } from '../shared/errors';
import { laps } from '../shared/trace';
import { LayerError } from '../snapshots/apply';
import type { OverlaySnapshotter } from '../snapshots/overlay';
import { planContainerVolumes, provisionContainerVolumes } from '../volumes/container-volumes';
import type { VolumeStore } from '../volumes/store';
import { imageUser, ImageError, readStoredImage } from './bundle-image';
import { ImageConfigError, imageSpec, writeBundle } from './bundle';
import { ImageService } from './service';
import { UserError } from './user';

/** What an image container is made of: the image, its layers, its record, and where bundles go (--state). */
export interface ImageContainerStores {
  readonly images: ImageService | null;
  readonly snapshots: OverlaySnapshotter;
  readonly containers: ContainerStore;
  readonly volumes: VolumeStore;
  readonly paths: { readonly state: string };
}

export function imageBundleDir(s: ImageContainerStores, id: string): string {
  return path.join(s.paths.state, 'bundles', id);
}

export async function createImageContainer(s: ImageContainerStores, req: CreateContainerRequest): Promise<ContainerRecord> {
  const images = s.images;
  if (!images) throw new TsrunError('image: this tsrund has no image store', { code: 'unavailable' });
  const trace = laps(req.id);
  checkLabels('labels', req.labels);
  if (s.containers.list().some((c) => c.id === req.id)) throw new TsrunError(`container ${req.id} already exists`, { code: 'already-exists' });
  const name = ImageService.normalize('image', req.image);
  const { stored, ids } = await unpackImage(s, images, name, trace);
  // Synchronous from here to the record: no snapshot collection, no volume removal in between.
  const volumes = planContainerVolumes(s, req.overrides, Object.keys(stored.config.config?.Volumes ?? {}));
  const spec = containerSpec(s, req, volumes.specOverrides, name, stored.config, ids);
  const bundle = imageBundleDir(s, req.id);
  trace.lap('container create: spec (user, overrides, validation)');
  const record: ContainerRecord = {
    id: req.id,
    bundle,
    image: name,
    labels: { ...req.labels },
    overrides: volumes.overrides,
    createdAt: new Date().toISOString(),
    spec,
  };
  checkContainerRecord(record, `image ${name}'s config`);
  // No container has the id: a writable layer under it is a leftover of a create that died.
  s.snapshots.remove(req.id);
  s.snapshots.prepare(req.id, ids);
  trace.lap('container create: writable layer');
  try {
    provisionContainerVolumes(s, volumes, layerPaths(s, ids), () => {
      writeBundle(bundle, spec);
      trace.lap('container create: bundle config.json');
      s.containers.create(record);
      trace.lap('container create: record');
    });
  } catch (err) {
    removeImageContainerFiles(s, req.id);
    throw err;
  }
  return record;
}

/** Image `name`'s config and its layers, unpacked (once, shared): the chain ids, bottom-most first. */
export async function unpackImage(s: ImageContainerStores, images: ImageService, name: string, trace = laps(name)): Promise<{ stored: ReturnType<typeof readStoredImage>; ids: string[] }> {
  const found = images.manifestOf(images.records.get(name));
  if (!found) throw failedPrecondition(`image ${name}: its manifest is not in the content store (pull it again)`);
  try {
    const stored = readStoredImage(images.content, found.manifest, name);
    trace.lap('container create: image lookup');
    const ids = await s.snapshots.unpack(stored.layers);
    trace.lap('container create: unpack');
    return { stored, ids };
  } catch (err) {
    if (err instanceof ImageError || err instanceof LayerError) throw failedPrecondition(`image ${name}: ${err.message}`);
    throw err;
  }
}

/** The unpacked layers of the chain `ids` (bottom-most first), top-most first. */
const layerPaths = (s: ImageContainerStores, ids: readonly string[]) => ids.map((id) => s.snapshots.layerPath(id)).reverse();

/** `overrides`: the request's, with the volumes' mounts (volumes/container-volumes.ts). */
function containerSpec(
  s: ImageContainerStores,
  req: CreateContainerRequest,
  overrides: ProcessOverrides | null,
  name: string,
  config: Parameters<typeof imageSpec>[0],
  ids: string[],
) {
  const userField = req.overrides?.user ? 'overrides.user' : 'image';
  try {
    const user = imageUser(s.snapshots, ids, req.overrides?.user || config.config?.User || '');
    const base = withDockerDefaults(imageSpec(config, user, req.overrides, name), req.overrides);
    const spec = withDefaultSeccomp(applyOverrides(base, overrides && { ...overrides, args: [], user: '', entrypoint: [] }), req.overrides);
    const issues = validateConfig(spec);
    if (issues.length > 0) throw invalidArgument('overrides', `the config they make with image ${name} is not valid: ${issues.map(formatIssue).join('; ')}`);
    return spec;
  } catch (err) {
    if (err instanceof UserError) throw invalidArgument(userField, `image ${name}: ${err.message}`);
    if (err instanceof ImageConfigError) throw invalidArgument('overrides.args', err.message);
    throw err;
  }
}

/**
 * The overlay an image container's task mounts. The bundle's rootfs directory is made again when
 * missing (the state directory may have been emptied by a reboot; the writable layer is kept
 * under --root).
 */
export function imageRootfs(s: ImageContainerStores, c: ContainerRecord): RootfsOverlay {
  const overlay = s.snapshots.mountOf(c.id);
  if (!overlay) throw failedPrecondition(`container ${c.id}: its writable layer is gone; delete the container and create it again`);
  fs.mkdirSync(path.resolve(c.bundle, c.spec.root?.path ?? 'rootfs'), { recursive: true, mode: 0o700 });
  return overlay;
}

/**
 * Give image container `from`'s files the id `to`: its writable layer moves, its bundle directory
 * (config.json under the state directory) is written under the new id; the record pointing there.
 */
export function renameImageContainerFiles(s: ImageContainerStores, record: ContainerRecord, to: string): ContainerRecord {
  const bundle = imageBundleDir(s, to);
  s.snapshots.rename(record.id, to);
  try {
    writeBundle(bundle, record.spec);
  } catch (err) {
    s.snapshots.rename(to, record.id);
    throw err;
  }
  fs.rmSync(imageBundleDir(s, record.id), { recursive: true, force: true });
  return { ...record, id: to, bundle };
}

/** The container's writable layer and bundle directory (its record is the container store's). */
export function removeImageContainerFiles(s: ImageContainerStores, id: string): void {
  s.snapshots.remove(id);
  fs.rmSync(imageBundleDir(s, id), { recursive: true, force: true });
}

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
import type { CreateContainerRequest } from '../api/types';
import { applyOverrides } from '../containers/overrides';
import { checkContainerRecord, checkLabels } from '../containers/record-checks';
import type { ContainerRecord, ContainerStore } from '../containers/store';
import { failedPrecondition, invalidArgument, TsrunError } from '../shared/errors';
import { LayerError } from '../snapshots/apply';
import type { OverlaySnapshotter } from '../snapshots/overlay';
import { imageUser, ImageError, readStoredImage } from './bundle-image';
import { ImageConfigError, imageSpec, writeBundle } from './bundle';
import { ImageService } from './service';
import { UserError } from './user';

/** What an image container is made of: the image, its layers, its record, and where bundles go (--state). */
export interface ImageContainerStores {
  readonly images: ImageService | null;
  readonly snapshots: OverlaySnapshotter;
  readonly containers: ContainerStore;
  readonly paths: { readonly state: string };
}

export function imageBundleDir(s: ImageContainerStores, id: string): string {
  return path.join(s.paths.state, 'bundles', id);
}

export async function createImageContainer(s: ImageContainerStores, req: CreateContainerRequest): Promise<ContainerRecord> {
  const images = s.images;
  if (!images) throw new TsrunError('image: this tsrund has no image store', { code: 'unavailable' });
  checkLabels('labels', req.labels);
  if (s.containers.list().some((c) => c.id === req.id)) throw new TsrunError(`container ${req.id} already exists`, { code: 'already-exists' });
  const name = ImageService.normalize('image', req.image);
  const found = images.manifestOf(images.records.get(name));
  if (!found) throw failedPrecondition(`image ${name}: its manifest is not in the content store (pull it again)`);
  let ids: string[];
  let stored: ReturnType<typeof readStoredImage>;
  try {
    stored = readStoredImage(images.content, found.manifest, name);
    ids = await s.snapshots.unpack(stored.layers);
  } catch (err) {
    if (err instanceof ImageError || err instanceof LayerError) throw failedPrecondition(`image ${name}: ${err.message}`);
    throw err;
  }
  // Synchronous from here to prepare(): no snapshot collection can run in between.
  const spec = containerSpec(s, req, name, stored.config, ids);
  const bundle = imageBundleDir(s, req.id);
  const record: ContainerRecord = {
    id: req.id,
    bundle,
    image: name,
    labels: { ...req.labels },
    overrides: req.overrides,
    createdAt: new Date().toISOString(),
    spec,
  };
  checkContainerRecord(record, `image ${name}'s config`);
  // No container has the id: a writable layer under it is a leftover of a create that died.
  s.snapshots.remove(req.id);
  s.snapshots.prepare(req.id, ids);
  try {
    writeBundle(bundle, spec);
    s.containers.create(record);
  } catch (err) {
    removeImageContainerFiles(s, req.id);
    throw err;
  }
  return record;
}

function containerSpec(s: ImageContainerStores, req: CreateContainerRequest, name: string, config: Parameters<typeof imageSpec>[0], ids: string[]) {
  const userField = req.overrides?.user ? 'overrides.user' : 'image';
  try {
    const user = imageUser(s.snapshots, ids, req.overrides?.user || config.config?.User || '');
    const base = imageSpec(config, user, req.overrides, name);
    const spec = applyOverrides(base, req.overrides && { ...req.overrides, args: [], user: '', entrypoint: [] });
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

/** The container's writable layer and bundle directory (its record is the container store's). */
export function removeImageContainerFiles(s: ImageContainerStores, id: string): void {
  s.snapshots.remove(id);
  fs.rmSync(imageBundleDir(s, id), { recursive: true, force: true });
}

/**
 * The volumes side of Containers.Create and Delete: the request's volumes resolved (./mounts.ts)
 * into what the record stores and the bind mounts its config gets; then, just before the record
 * is stored, the volumes it names made (on first use) and new, empty ones filled from the image
 * (./copy-up.ts); and with Delete's remove_volumes, its anonymous volumes removed once no other
 * container uses them.
 */
import type { Mount, ProcessOverrides } from '../api/types';
import { EMPTY_OVERRIDES } from '../containers/overrides';
import type { ContainerRecord, ContainerStore } from '../containers/store';
import { failedPrecondition, TsrunError } from '../shared/errors';
import { copyImageDirectory } from './copy-up';
import { resolveVolumes, volumeSpecMounts, type ResolvedVolumes } from './mounts';
import type { VolumeStore } from './store';
import { isVolume, volumesOf, volumeUsers } from './usage';

export interface VolumeStores {
  readonly volumes: VolumeStore;
  readonly containers: ContainerStore;
}

export interface ContainerVolumes extends ResolvedVolumes {
  /** The overrides the record stores: the request's, with the resolved volumes. */
  overrides: ProcessOverrides | null;
  /** The overrides the config is built with: the volumes' bind mounts before the request's mounts. */
  specOverrides: ProcessOverrides | null;
}

/** Nothing is written: the resolved volumes and the overrides they make. */
export function planContainerVolumes(s: VolumeStores, o: ProcessOverrides | null, imageVolumes: readonly string[]): ContainerVolumes {
  const resolved = resolveVolumes(o, imageVolumes, (id) => {
    const other = s.containers.list().find((c) => c.id === id);
    return other ? (other.overrides?.volumes ?? []) : null;
  });
  if (resolved.volumes.length === 0) return { ...resolved, overrides: o, specOverrides: o };
  const overrides = { ...(o ?? EMPTY_OVERRIDES), volumes: resolved.volumes };
  const mounts: Mount[] = volumeSpecMounts(resolved.volumes, (name) => s.volumes.mountpoint(name));
  return { ...resolved, overrides, specOverrides: { ...overrides, mounts: [...mounts, ...overrides.mounts] } };
}

/**
 * Make the volumes `v` names that do not exist yet (anonymous or not as the plan says), fill each
 * empty one no other container uses from the image (`layers`, top-most first; null for a bundle:
 * nothing to fill from) unless its mount says nocopy, then `storeRecord`. Synchronous, so that no
 * removal of a volume comes between this and the record that uses it. On failure (of the record's
 * store too) the anonymous volumes made here are removed.
 */
export function provisionContainerVolumes(s: VolumeStores, v: ContainerVolumes, layers: readonly string[] | null, storeRecord: () => void): void {
  const made: string[] = [];
  const users = volumeUsers(s.containers.list());
  try {
    for (const m of v.volumes.filter(isVolume)) {
      if (!s.volumes.has(m.source)) {
        s.volumes.create({ name: m.source, labels: {}, createdAt: new Date().toISOString(), anonymous: v.anonymous.has(m.source) });
        made.push(m.source);
      }
      if (layers === null || m.nocopy || users.has(m.source) || !s.volumes.isEmpty(m.source)) continue;
      try {
        s.volumes.fillOnce(m.source, (dir) => copyImageDirectory(layers, m.destination, dir));
      } catch (err) {
        throw failedPrecondition(`volume ${m.source}: copying the image's ${m.destination} into it failed: ${(err as Error).message}`, m.source);
      }
    }
    storeRecord();
  } catch (err) {
    for (const name of made.filter((n) => v.anonymous.has(n))) void s.volumes.remove(name).catch(() => undefined);
    throw err;
  }
}

/** After `record` was deleted: remove its anonymous volumes no remaining container uses; their names. */
export async function removeAnonymousVolumes(s: VolumeStores, record: ContainerRecord): Promise<string[]> {
  const users = volumeUsers(s.containers.list());
  const names = volumesOf(record).filter((n) => s.volumes.has(n) && s.volumes.get(n).anonymous && !users.has(n));
  for (const name of names) await s.volumes.remove(name);
  return names;
}

/** Refuse (naming the containers) when a container uses the volume `name`; `what` says what to do. */
export function checkUnused(s: VolumeStores, name: string, what: string): void {
  const ids = volumeUsers(s.containers.list()).get(name) ?? [];
  if (ids.length > 0) {
    throw new TsrunError(`volume ${name} is in use by container${ids.length > 1 ? 's' : ''} ${ids.join(', ')}: ${what}`, { code: 'failed-precondition', subject: name });
  }
}

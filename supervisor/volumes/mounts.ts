/**
 * A container's volumes as Containers.Create resolves them (the rules types.proto gives for
 * ProcessOverrides.volumes and volumes_from), and the bind mounts of its config they become.
 * Pure but for the look at a bind's host source (it must exist, reached through no symlink).
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Mount, ProcessOverrides, VolumeMount } from '../api/types';
import { checkId } from '../containers/id';
import { invalidArgument } from '../shared/errors';
import { anonymousVolumeName, checkVolumeName } from './names';
import { isVolume } from './usage';

const PATH_MAX = 4096;
const PROPAGATIONS = ['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'];

export interface ResolvedVolumes {
  /** What the record stores as overrides.volumes. */
  volumes: VolumeMount[];
  /** The names given to the anonymous volumes among them (new volumes, made by this create). */
  anonymous: Set<string>;
}

/**
 * `o.volumes` checked and completed, then the entries of `o.volumes_from` and one anonymous
 * volume for each of `imageVolumes` (the image's Config.Volumes) at a destination nothing else
 * takes. `volumesOfContainer` gives another container's stored volumes (null: no such container).
 */
export function resolveVolumes(
  o: Pick<ProcessOverrides, 'volumes' | 'volumesFrom' | 'mounts'> | null,
  imageVolumes: readonly string[],
  volumesOfContainer: (id: string) => VolumeMount[] | null,
): ResolvedVolumes {
  const anonymous = new Set<string>();
  const taken = new Set<string>();
  (o?.mounts ?? []).forEach((m) => taken.add(path.posix.normalize(m.destination).replace(/(.)\/$/, '$1')));
  const volumes = (o?.volumes ?? []).map((v, i) => {
    const field = `overrides.volumes[${i}]`;
    const resolved = checkVolumeMount(field, v);
    if (taken.has(resolved.destination)) throw invalidArgument(`${field}.destination`, `${resolved.destination}: another mount has that destination already`);
    taken.add(resolved.destination);
    if (isVolume(resolved) && resolved.source === '') {
      resolved.source = anonymousVolumeName();
      anonymous.add(resolved.source);
    }
    return resolved;
  });
  (o?.volumesFrom ?? []).forEach((entry, i) => {
    const field = `overrides.volumes_from[${i}]`;
    const { id, readOnly } = parseVolumesFrom(field, entry);
    const theirs = volumesOfContainer(id);
    if (theirs === null) throw invalidArgument(field, `no container ${id}`);
    for (const v of theirs) {
      if (taken.has(v.destination)) continue;
      taken.add(v.destination);
      volumes.push({ ...v, readOnly: readOnly ?? v.readOnly });
    }
  });
  for (const dest of [...imageVolumes].sort()) {
    const destination = checkDestination('image Config.Volumes', dest);
    if (taken.has(destination)) continue;
    taken.add(destination);
    const source = anonymousVolumeName();
    anonymous.add(source);
    volumes.push({ type: 'volume', source, destination, readOnly: false, nocopy: false, propagation: '' });
  }
  return { volumes, anonymous };
}

/** The bind mounts of the config, shallowest destination first (a mount under another comes after it). */
export function volumeSpecMounts(volumes: readonly VolumeMount[], mountpoint: (name: string) => string): Mount[] {
  const depth = (p: string) => p.split('/').length;
  return [...volumes]
    .sort((a, b) => depth(a.destination) - depth(b.destination))
    .map((v) => ({
      destination: v.destination,
      type: 'bind',
      source: isVolume(v) ? mountpoint(v.source) : v.source,
      options: ['rbind', v.readOnly ? 'ro' : 'rw', ...(v.propagation ? [v.propagation] : ['rprivate'])],
    }));
}

function checkVolumeMount(field: string, v: VolumeMount): VolumeMount {
  const destination = checkDestination(`${field}.destination`, v.destination);
  if (v.type !== '' && v.type !== 'volume' && v.type !== 'bind') {
    throw invalidArgument(`${field}.type`, `${JSON.stringify(v.type.slice(0, 40))}: a volume mount is of type "volume" or "bind" (tmpfs: overrides.mounts)`);
  }
  if (v.type === 'bind') {
    if (v.nocopy) throw invalidArgument(`${field}.nocopy`, 'is for volumes, not binds');
    if (v.propagation !== '' && !PROPAGATIONS.includes(v.propagation)) {
      throw invalidArgument(`${field}.propagation`, `${JSON.stringify(v.propagation.slice(0, 40))}: give one of ${PROPAGATIONS.join(', ')}`);
    }
    return { ...v, source: checkBindSource(`${field}.source`, v.source), destination };
  }
  if (v.propagation !== '') throw invalidArgument(`${field}.propagation`, 'is for binds, not volumes');
  if (v.source !== '') checkVolumeName(`${field}.source`, v.source);
  return { ...v, type: 'volume', destination };
}

/** An absolute path in the container without "..", normalized; not "/" itself. */
function checkDestination(field: string, p: string): string {
  checkPathText(field, p);
  if (!p.startsWith('/')) throw invalidArgument(field, `${JSON.stringify(p.slice(0, 80))} is not an absolute path`);
  if (p.split('/').includes('..')) throw invalidArgument(field, `${JSON.stringify(p.slice(0, 80))} has a ".." component`);
  const normal = path.posix.normalize(p).replace(/(.)\/$/, '$1');
  if (normal === '/') throw invalidArgument(field, 'a volume cannot be mounted on / (the container\'s root)');
  return normal;
}

/** A host path that exists, reached through no symlink (what is checked is what is mounted). */
function checkBindSource(field: string, p: string): string {
  checkPathText(field, p);
  if (!path.isAbsolute(p)) throw invalidArgument(field, `${JSON.stringify(p.slice(0, 80))} is not an absolute path on tsrund's host`);
  if (p.split('/').includes('..')) throw invalidArgument(field, `${JSON.stringify(p.slice(0, 80))} has a ".." component`);
  const normal = path.normalize(p).replace(/(.)\/$/, '$1');
  let real: string;
  try {
    real = fs.realpathSync(normal);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw invalidArgument(field, `${normal} does not exist on tsrund's host (a bind mount's source must exist)`);
    throw invalidArgument(field, `${normal}: ${(err as Error).message}`);
  }
  if (real !== normal) throw invalidArgument(field, `${normal} is reached through a symlink (it is ${real}): give the real path`);
  return normal;
}

function checkPathText(field: string, p: string): void {
  if (p === '') throw invalidArgument(field, 'a path is required');
  if (p.includes('\0')) throw invalidArgument(field, 'contains a NUL character');
  if (Buffer.byteLength(p) >= PATH_MAX) throw invalidArgument(field, `is ${Buffer.byteLength(p)} bytes long; the limit is ${PATH_MAX - 1}`);
}

/** "ID", "ID:ro", "ID:rw"; readOnly null: each entry keeps its mode. */
function parseVolumesFrom(field: string, entry: string): { id: string; readOnly: boolean | null } {
  const m = /^(.*):(ro|rw)$/.exec(entry);
  const id = m ? m[1] : entry;
  checkId(id, field);
  return { id, readOnly: m ? m[2] === 'ro' : null };
}

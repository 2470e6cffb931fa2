/**
 * The cgroups of a container: make them for `create` (with the host's layout chosen here), and
 * rebuild the same manager from the state file's record for `delete`, `kill --all` and `state`.
 */
import * as path from 'path';
import type { LinuxResources } from '../../spec/types';
import { CgroupError } from './errors';
import { detectCgroupHost, isWithin, type CgroupHost } from './host';
import { HybridCgroupManager } from './hybrid';
import type { CgroupDirRecord, CgroupManager, CgroupRecord } from './manager';
import { missingDirs } from './cgroupfs';
import { resolveCgroupDirs } from './paths';
import { CgroupV1Manager } from './v1';
import { CgroupV2Manager } from './v2';

export type { CgroupManager, CgroupRecord, CgroupDirRecord } from './manager';
export type { CgroupHost, CgroupLayout, HostHierarchy } from './host';
export { CgroupError } from './errors';
export { detectCgroupHost } from './host';
export { hostHugePageSizes } from './manager';
export { readCgroupStats, type Stats } from './stats';
export { oomCount, oomWatchOf, OomWatcher, type OomWatch } from './oom';

function managerFor(layout: CgroupHost['layout'], records: CgroupDirRecord[]): CgroupManager {
  const v1 = records.filter((r) => r.version === 1);
  const unified = records.find((r) => r.version === 2);
  if (layout === 'v1') return new CgroupV1Manager(v1);
  if (layout === 'v2') return new CgroupV2Manager(unified!);
  return new HybridCgroupManager(v1, unified!);
}

/** A manager for the container's cgroups on `host`; nothing exists until its create(). */
export function cgroupManagerFor(host: CgroupHost, containerId: string, cgroupsPath?: string): CgroupManager {
  const records = resolveCgroupDirs(host, containerId, cgroupsPath).map(({ hierarchy, dir }): CgroupDirRecord => ({
    version: hierarchy.version,
    mountpoint: hierarchy.mountpoint,
    root: hierarchy.root,
    controllers: [...hierarchy.controllers],
    dir,
    created: [],
  }));
  return managerFor(host.layout, records);
}

/**
 * The record of cgroups about to be made, written down before anything is: every directory on the
 * way that does not exist yet counts as made. Whoever finds it left by a create that was killed
 * half-way destroys exactly those (destroy() passes over the ones never made).
 */
export function intendedCgroups(containerId: string, cgroupsPath: string | undefined, host: CgroupHost = detectCgroupHost()): CgroupRecord {
  const record = cgroupManagerFor(host, containerId, cgroupsPath).toJSON();
  for (const h of record.hierarchies) h.created = missingDirs(h.mountpoint, h.dir);
  return record;
}

export interface CreateCgroupsOptions {
  /** The host's layout; detected from /proc/self when absent. */
  host?: CgroupHost;
  /** Called with each line of what is not enforced (kernel memory limits, ignored as runc 1.1 does). */
  onNotEnforced?(note: string): void;
}

/** Make the container's cgroups and apply its resources; nothing is left behind on failure. */
export function createCgroups(
  containerId: string,
  cgroupsPath: string | undefined,
  resources: LinuxResources | undefined,
  options: CreateCgroupsOptions = {},
): CgroupManager {
  const manager = cgroupManagerFor(options.host ?? detectCgroupHost(), containerId, cgroupsPath);
  for (const note of manager.create(resources)) options.onNotEnforced?.(note);
  return manager;
}

function bad(what: string): never {
  throw new CgroupError(`state: the cgroups record ${what}`);
}

const isAbsoluteClean = (p: unknown): p is string => typeof p === 'string' && path.posix.isAbsolute(p) && path.posix.normalize(p) === p;

/**
 * Check a record read back from a state file before anything acts on it: every directory it would
 * remove must be the container's cgroup or one of its parents, below a mountpoint.
 */
function checkDirRecord(x: unknown, i: number): CgroupDirRecord {
  const r = x as Partial<CgroupDirRecord> | null;
  const where = `hierarchies[${i}]`;
  if (typeof r !== 'object' || r === null) bad(`${where} is not an object`);
  if (r.version !== 1 && r.version !== 2) bad(`${where}.version is not 1 or 2`);
  if (!isAbsoluteClean(r.mountpoint) || !isAbsoluteClean(r.root) || !isAbsoluteClean(r.dir)) {
    bad(`${where} has a mountpoint, root or dir that is not a clean absolute path`);
  }
  if (r.dir === r.mountpoint || !isWithin(r.mountpoint, r.dir)) bad(`${where}.dir ${r.dir} is not below ${r.mountpoint}`);
  if (!Array.isArray(r.controllers) || !r.controllers.every((c) => typeof c === 'string'))
    bad(`${where}.controllers is not a list of names`);
  if (!Array.isArray(r.created)) bad(`${where}.created is not a list`);
  for (const c of r.created) {
    if (!isAbsoluteClean(c) || c === r.mountpoint || !isWithin(r.mountpoint, c) || !isWithin(c, r.dir)) {
      bad(`${where}.created names ${JSON.stringify(c)}, which is not ${r.dir} or one of its parents below ${r.mountpoint}`);
    }
  }
  return {
    version: r.version,
    mountpoint: r.mountpoint,
    root: r.root,
    controllers: [...r.controllers],
    dir: r.dir,
    created: [...r.created],
  };
}

/** The manager a state file's record describes (what toJSON() wrote). */
export function loadCgroupManager(record: unknown): CgroupManager {
  const rec = record as Partial<CgroupRecord> | null;
  if (typeof rec !== 'object' || rec === null) bad('is not an object');
  if (rec.layout !== 'v1' && rec.layout !== 'v2' && rec.layout !== 'hybrid') bad(`has an unknown layout ${JSON.stringify(rec.layout)}`);
  if (!Array.isArray(rec.hierarchies) || rec.hierarchies.length === 0) bad('lists no hierarchies');
  const records = rec.hierarchies.map(checkDirRecord);
  const v2Count = records.filter((r) => r.version === 2).length;
  const v1Count = records.length - v2Count;
  const fits = rec.layout === 'v1' ? v2Count === 0 : rec.layout === 'v2' ? v2Count === 1 && v1Count === 0 : v2Count === 1 && v1Count > 0;
  if (!fits) bad(`does not fit layout ${rec.layout} (${v1Count} v1 and ${v2Count} v2 hierarchies)`);
  return managerFor(rec.layout, records);
}

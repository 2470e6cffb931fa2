/**
 * Where the container's cgroup goes in each hierarchy, from linux.cgroupsPath, as runc's cgroupfs
 * driver places it:
 * - absolute ("/a/b"): from the top of each hierarchy as mounted here;
 * - relative ("a/b"): beneath this process's own cgroup in THAT hierarchy (they differ per
 *   hierarchy, e.g. a nested memory cgroup). On a v2-only host beneath the PARENT of its own
 *   cgroup: its own cgroup holds processes, and v2 forbids enabling controllers for the children
 *   of a cgroup that has processes (the "no internal processes" rule);
 * - absent or "": the relative path "<container id>", so a container lands next to the runtime
 *   as with runc, and no shared intermediate directory exists that concurrent creates and
 *   deletes of other containers would race on.
 */
import * as path from 'path';
import { CgroupError } from './errors';
import { isWithin, type CgroupHost, type HostHierarchy } from './host';

export interface CgroupTarget {
  hierarchy: HostHierarchy;
  /** Absolute host directory of the container's cgroup in that hierarchy. */
  dir: string;
}

export interface ParsedCgroupsPath {
  absolute: boolean;
  /** Normalized components, never empty and never "." or "..". */
  segments: string[];
}

/** systemd's "slice:prefix:name" (e.g. "system.slice:docker:abc"), as runc --systemd-cgroup reads it. */
const SYSTEMD_FORM = /^[^/:]*:[^/:]*:[^/:]*$/;

/** Check and normalize a cgroup path; `label` names it in messages. */
export function parseCgroupsPath(value: string, label: string): ParsedCgroupsPath {
  if (SYSTEMD_FORM.test(value)) {
    throw new CgroupError(
      `${label} "${value}" is in the systemd "slice:prefix:name" form: the systemd cgroup driver is not supported yet, give a cgroupfs path`,
    );
  }
  const absolute = value.startsWith('/');
  const segments: string[] = [];
  for (const part of value.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (segments.length === 0) {
        throw new CgroupError(
          `${label} "${value}" leads out of ${absolute ? 'the hierarchy root' : "the runtime's own cgroup"} through ".."`,
        );
      }
      segments.pop();
      continue;
    }
    segments.push(part);
  }
  if (segments.length === 0) {
    throw new CgroupError(
      `${label} "${value}" names ${absolute ? 'the root cgroup' : "the runtime's own cgroup"} itself, not a cgroup for the container`,
    );
  }
  return { absolute, segments };
}

/** The cgroup a relative path starts from in `hierarchy` (an absolute cgroup path). */
function relativeBase(host: CgroupHost, hierarchy: HostHierarchy, label: string, value: string): string {
  if (hierarchy.ownCgroup === null) {
    throw new CgroupError(
      `${label} "${value}" is relative, but /proc/self/cgroup names no cgroup of this process for ${hierarchy.mountpoint}`,
    );
  }
  const base = host.layout === 'v2' ? path.posix.dirname(hierarchy.ownCgroup) : hierarchy.ownCgroup;
  if (!isWithin(hierarchy.root, base)) {
    throw new CgroupError(
      `${label} "${value}" is relative, but this process's cgroup ${base} lies outside what ${hierarchy.mountpoint} shows (${hierarchy.root})`,
    );
  }
  return base;
}

/** The container's directory in every hierarchy of the host. */
export function resolveCgroupDirs(host: CgroupHost, containerId: string, cgroupsPath?: string): CgroupTarget[] {
  const given = cgroupsPath !== undefined && cgroupsPath !== '';
  const label = given ? 'linux.cgroupsPath' : `the default cgroup path (the container id)`;
  const value = given ? cgroupsPath : containerId;
  const { absolute, segments } = parseCgroupsPath(value, label);
  return host.hierarchies.map((hierarchy) => {
    const base = absolute ? hierarchy.root : relativeBase(host, hierarchy, label, value);
    const dir = path.posix.join(hierarchy.mountpoint, path.posix.relative(hierarchy.root, base), ...segments);
    return { hierarchy, dir };
  });
}

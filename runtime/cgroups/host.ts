/**
 * Which cgroup hierarchies this host has, where they are mounted and where this process sits in
 * each: read from /proc/self/mountinfo and /proc/self/cgroup. The parsers are pure; only
 * detectCgroupHost() reads the two files when it is not given their text.
 */
import * as fs from 'fs';
import * as path from 'path';
import { CgroupError } from './errors';

/**
 * v1: every controller in a hierarchy of its own (or a few together); v2: the one unified
 * hierarchy; hybrid: v1 controllers plus a cgroup2 mount (often /sys/fs/cgroup/unified) that holds
 * whatever controllers v1 does not.
 */
export type CgroupLayout = 'v1' | 'v2' | 'hybrid';

export interface HostHierarchy {
  version: 1 | 2;
  /** Where it is mounted, e.g. /sys/fs/cgroup/memory. */
  mountpoint: string;
  /** The cgroup the mount shows at its mountpoint ("/" unless only a subtree is mounted). */
  root: string;
  /** v1: its controllers in mount-option order, e.g. ["cpu", "cpuacct"] or ["name=systemd"]; v2: []. */
  controllers: string[];
  /** This process's cgroup in the hierarchy as /proc/self/cgroup names it; null when it names none. */
  ownCgroup: string | null;
}

export interface CgroupHost {
  layout: CgroupLayout;
  /** v1 hierarchies first, in /proc/self/cgroup order; the v2 hierarchy (if any) last. */
  hierarchies: HostHierarchy[];
}

export interface CgroupMount {
  fstype: 'cgroup' | 'cgroup2';
  root: string;
  mountpoint: string;
  /** Per-superblock options (after the " - fstype source " part): for v1 they name the controllers. */
  superOptions: string[];
}

export interface ProcCgroupEntry {
  hierarchyId: number;
  /** Empty for the v2 entry ("0::/path"). */
  controllers: string[];
  path: string;
}

/** mountinfo escapes space, tab, newline and backslash as \ooo. */
export function unescapeMountinfo(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** The cgroup and cgroup2 mounts of a /proc/<pid>/mountinfo text, in mount order. */
export function parseCgroupMounts(mountinfo: string): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  for (const line of mountinfo.split('\n')) {
    const fields = line.split(' ');
    const sep = fields.indexOf('-', 6);
    if (sep < 0 || fields.length < sep + 4) continue;
    const fstype = fields[sep + 1];
    if (fstype !== 'cgroup' && fstype !== 'cgroup2') continue;
    mounts.push({
      fstype,
      root: unescapeMountinfo(fields[3]),
      mountpoint: unescapeMountinfo(fields[4]),
      superOptions: fields[sep + 3].split(','),
    });
  }
  return mounts;
}

/** The entries of a /proc/<pid>/cgroup text ("id:controllers:path"; the path may hold ':'). */
export function parseProcCgroup(text: string): ProcCgroupEntry[] {
  const entries: ProcCgroupEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    entries.push({ hierarchyId: Number(m[1]), controllers: m[2] ? m[2].split(',') : [], path: m[3] });
  }
  return entries;
}

/** True when `cgroup` is `root` or lies beneath it. */
export function isWithin(root: string, cgroup: string): boolean {
  const rel = path.posix.relative(root, cgroup);
  return rel !== '..' && !rel.startsWith('../') && !path.posix.isAbsolute(rel);
}

/** Of several mounts of one hierarchy, the one that shows this process's own cgroup. */
function pickMount(candidates: CgroupMount[], ownCgroup: string | null): CgroupMount | undefined {
  return candidates.find((m) => ownCgroup !== null && isWithin(m.root, ownCgroup)) ?? candidates[0];
}

/** Combine mounts and this process's cgroups into the host's hierarchies (pure). */
export function cgroupHostFrom(mounts: CgroupMount[], self: ProcCgroupEntry[]): CgroupHost {
  const hierarchies: HostHierarchy[] = [];
  for (const entry of self) {
    if (entry.controllers.length === 0) continue;
    // A v1 hierarchy's mount lists all of its controllers among its superblock options.
    const mount = pickMount(
      mounts.filter((m) => m.fstype === 'cgroup' && entry.controllers.every((c) => m.superOptions.includes(c))),
      entry.path,
    );
    if (!mount) continue; // a hierarchy nobody mounted: nothing tsrun can place a container in
    hierarchies.push({
      version: 1,
      mountpoint: mount.mountpoint,
      root: mount.root,
      controllers: mount.superOptions.filter((o) => entry.controllers.includes(o)),
      ownCgroup: entry.path,
    });
  }
  const unifiedEntry = self.find((e) => e.hierarchyId === 0 && e.controllers.length === 0);
  const ownUnified = unifiedEntry ? unifiedEntry.path : null;
  const unified = pickMount(
    mounts.filter((m) => m.fstype === 'cgroup2'),
    ownUnified,
  );
  if (unified) {
    hierarchies.push({ version: 2, mountpoint: unified.mountpoint, root: unified.root, controllers: [], ownCgroup: ownUnified });
  }
  if (hierarchies.length === 0) {
    throw new CgroupError('no cgroup hierarchy is mounted: /proc/self/mountinfo shows no cgroup or cgroup2 mount');
  }
  const hasV1 = hierarchies.some((h) => h.version === 1);
  const layout: CgroupLayout = !unified ? 'v1' : hasV1 ? 'hybrid' : 'v2';
  return { layout, hierarchies };
}

/** The host's cgroup layout, from the given texts or from this process's /proc files. */
export function detectCgroupHost(
  mountinfo: string = fs.readFileSync('/proc/self/mountinfo', 'utf8'),
  selfCgroup: string = fs.readFileSync('/proc/self/cgroup', 'utf8'),
): CgroupHost {
  return cgroupHostFrom(parseCgroupMounts(mountinfo), parseProcCgroup(selfCgroup));
}

/**
 * Mounts a container's set-up makes in a mount namespace that is not its own. With no mount
 * namespace in the config, init mounts /proc, /dev, /sys, ... beneath the rootfs in the caller's
 * namespace, where they would outlive the container (runc leaves them). Create records which
 * ones appeared beneath the rootfs while init set up (by mount id); delete, and a failed create,
 * unmount those, deepest first, and only while the same mount is still at its recorded path.
 */
import * as fs from 'fs';
import * as path from 'path';
import { unescapeMountinfo } from '../cgroups/host';
import { detachMount } from '../native';
import type { RecordedMount } from '../state/store';
import { hasErrno } from '../../common/errors';

interface MountEntry extends RecordedMount {
  parent: number;
}

function readMountTable(): MountEntry[] {
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id, parent, , , mountPoint] = line.split(' ');
      return { id: Number(id), parent: Number(parent), mountPoint: unescapeMountinfo(mountPoint) };
    });
}

/** The ids of every mount of this process's mount namespace. */
export function mountIds(): Set<number> {
  return new Set(readMountTable().map((m) => m.id));
}

/** Mounts at `rootfs` or beneath it that are not among `before`, in mount order. */
export function mountsMadeBeneath(rootfs: string, before: ReadonlySet<number>): RecordedMount[] {
  return readMountTable()
    .filter((m) => !before.has(m.id) && (m.mountPoint === rootfs || m.mountPoint.startsWith(`${rootfs}/`)))
    .map(({ id, mountPoint }) => ({ id, mountPoint }));
}

const depth = (p: string) => p.split('/').length;

/**
 * Unmount `recorded`, deepest first, each only while it is the mount on top at its recorded
 * path (a mount stacked on it goes first when it is recorded too). A mount that moved, that an
 * unrecorded mount covers, or whose path now leads through a symlink is left alone: unmounting
 * that path would take a mount tsrun did not make. Returns the recorded mounts still there.
 */
export function unmountRecorded(recorded: readonly RecordedMount[]): RecordedMount[] {
  let pending = [...recorded].sort((a, b) => depth(b.mountPoint) - depth(a.mountPoint));
  for (let progress = true; progress && pending.length > 0; ) {
    progress = false;
    for (const mount of pending) {
      const table = readMountTable();
      const entry = table.find((m) => m.id === mount.id);
      if (!entry || entry.mountPoint !== mount.mountPoint) continue;
      if (table.some((m) => m.parent === mount.id && m.mountPoint === mount.mountPoint)) continue;
      if (realPath(mount.mountPoint) !== mount.mountPoint) continue;
      try {
        detachMount(mount.mountPoint);
        progress = true;
      } catch {
        // Reported as still mounted.
      }
    }
    const left = mountIds();
    pending = pending.filter((m) => left.has(m.id));
  }
  return pending;
}

function realPath(p: string): string | null {
  try {
    return fs.realpathSync(p);
  } catch (err) {
    if (hasErrno(err, 'ENOENT', 'ENOTDIR')) return null; // gone with the mount above it
    throw err;
  }
}

/** The mount namespace of this process, as /proc/self/ns/mnt reads ("mnt:[4026531841]"). */
export function currentMountNamespace(): string {
  return fs.readlinkSync('/proc/self/ns/mnt');
}

/** One line for a warning: the mounts left, by path. */
export function describeLeft(left: readonly RecordedMount[], rootfs: string): string {
  return left.map((m) => path.relative(rootfs, m.mountPoint) || '.').join(', ');
}

/** Where a process is in the cgroup hierarchies of a container's record, read from the host. */
import * as fs from 'fs';
import * as path from 'path';
import type { CgroupRecord } from '../../runtime/cgroups/manager';

/** The host directory of `pid`'s cgroup in each of the container's hierarchies. */
export function cgroupDirsOf(pid: number, cgroups: CgroupRecord): string[] {
  const lines = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n');
  return cgroups.hierarchies.map((h) => {
    const line = lines.find((l) => {
      const [, controllers] = l.split(':');
      return h.version === 2 ? l.startsWith('0::') : controllers.split(',').sort().join() === [...h.controllers].sort().join();
    })!;
    const at = line.slice(line.indexOf(':', line.indexOf(':') + 1) + 1);
    return path.join(h.mountpoint, path.posix.relative(h.root, at));
  });
}

/**
 * cgroup v2: one directory in the unified hierarchy. A controller's files exist in a cgroup only
 * when every ancestor has it in cgroup.subtree_control, so create() enables the controllers the
 * resources need along the path, where they are missing (and leaves them enabled: siblings may
 * rely on them by then).
 */
import { makeCgroupDirs, performWrites, readCgroupFile, writeCgroupFile } from './cgroupfs';
import { CgroupError } from './errors';
import { CgroupManagerBase, type CgroupDirRecord } from './manager';
import { controllersNeeded, type CgroupWrite } from './resources';

/** The controllers the hierarchy offers (its top cgroup's cgroup.controllers). */
export function availableV2Controllers(record: CgroupDirRecord): Set<string> {
  return new Set(readCgroupFile(record.mountpoint, 'cgroup.controllers').split(/\s+/).filter(Boolean));
}

function enableControllers(dir: string, needed: Map<string, string>): void {
  if (needed.size === 0) return;
  const enabled = new Set(readCgroupFile(dir, 'cgroup.subtree_control').split(/\s+/).filter(Boolean));
  for (const [controller, field] of needed) {
    if (enabled.has(controller)) continue;
    try {
      writeCgroupFile(dir, 'cgroup.subtree_control', `+${controller}`, `${field}: enable the ${controller} controller`);
    } catch (err) {
      if (!(err instanceof CgroupError) || err.errno !== 'EBUSY') throw err;
      throw new CgroupError(
        `${err.message} (${dir} has processes of its own, and v2 shares controllers only from cgroups without)`,
        err.errno,
      );
    }
  }
}

/** Make the container's directory in the unified hierarchy, then perform the writes in order. */
export function applyV2(record: CgroupDirRecord, writes: CgroupWrite[]): void {
  const needed = controllersNeeded(writes);
  makeCgroupDirs(record.mountpoint, record.dir, record.created, { beforeChild: (parent) => enableControllers(parent, needed) });
  performWrites(writes, () => record.dir);
}

export class CgroupV2Manager extends CgroupManagerBase {
  readonly layout = 'v2' as const;
  private available: Set<string> | null = null;

  constructor(private readonly unified: CgroupDirRecord) {
    super([unified]);
  }

  protected locate(controller: string): 2 | null {
    this.available ??= availableV2Controllers(this.unified);
    return this.available.has(controller) ? 2 : null;
  }

  protected apply(writes: CgroupWrite[]): void {
    applyV2(this.unified, writes);
  }
}

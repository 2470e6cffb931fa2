/**
 * cgroup v1: one directory per mounted hierarchy (cpu, memory, pids, name=systemd, ...); init
 * joins them all, each resource is written where its controller is mounted.
 */
import * as path from 'path';
import { makeCgroupDirs, performWrites, readCgroupFile, writeCgroupFile } from './cgroupfs';
import { CgroupError } from './errors';
import { CgroupManagerBase, type CgroupDirRecord } from './manager';
import type { CgroupWrite } from './resources';

/**
 * A new v1 cpuset cgroup starts with no cpus and no memory nodes, and a process cannot join it
 * until both are set: give each directory on the path that lacks them the values of its parent.
 */
function inheritCpuset(dir: string): void {
  for (const file of ['cpuset.cpus', 'cpuset.mems']) {
    if (readCgroupFile(dir, file).trim() !== '') continue; // cgroup.clone_children did it
    const parent = path.posix.dirname(dir);
    const value = readCgroupFile(parent, file).trim();
    if (value === '') throw new CgroupError(`cgroup: ${path.posix.join(parent, file)} is empty, so no process could join ${dir}`);
    writeCgroupFile(dir, file, value, `cgroup: copy ${file} from ${parent}`);
  }
}

export function hasV1Controller(records: CgroupDirRecord[], controller: string): boolean {
  return records.some((r) => r.controllers.includes(controller));
}

/** Make the container's directory in every v1 hierarchy, then perform the writes in order. */
export function applyV1(records: CgroupDirRecord[], writes: CgroupWrite[]): void {
  for (const record of records) {
    const hooks = record.controllers.includes('cpuset') ? { onEach: inheritCpuset } : {};
    makeCgroupDirs(record.mountpoint, record.dir, record.created, hooks);
  }
  performWrites(writes, (w) => {
    const record = records.find((r) => r.controllers.includes(w.controller));
    if (!record) throw new CgroupError(`${w.field}: the ${w.controller} controller is not available on this host`);
    return record.dir;
  });
}

export class CgroupV1Manager extends CgroupManagerBase {
  readonly layout = 'v1' as const;

  constructor(records: CgroupDirRecord[]) {
    super(records);
  }

  protected locate(controller: string): 1 | null {
    return hasV1Controller(this.records, controller) ? 1 : null;
  }

  protected apply(writes: CgroupWrite[]): void {
    applyV1(this.records, writes);
  }
}

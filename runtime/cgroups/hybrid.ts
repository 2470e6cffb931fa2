/**
 * Hybrid: the v1 hierarchies plus the unified (v2) one, e.g. /sys/fs/cgroup/unified. Init joins
 * all of them; a resource goes to the v1 hierarchy of its controller, or to the unified one when
 * only that hierarchy has the controller (on some hosts hugetlb, say).
 */
import { CgroupManagerBase, type CgroupDirRecord } from './manager';
import type { CgroupWrite } from './resources';
import { applyV1, hasV1Controller } from './v1';
import { applyV2, availableV2Controllers } from './v2';

export class HybridCgroupManager extends CgroupManagerBase {
  readonly layout = 'hybrid' as const;
  private available: Set<string> | null = null;

  constructor(
    private readonly v1: CgroupDirRecord[],
    private readonly unified: CgroupDirRecord,
  ) {
    super([...v1, unified]);
  }

  protected locate(controller: string): 1 | 2 | null {
    if (hasV1Controller(this.v1, controller)) return 1;
    this.available ??= availableV2Controllers(this.unified);
    return this.available.has(controller) ? 2 : null;
  }

  protected apply(writes: CgroupWrite[]): void {
    const v1Writes = writes.filter((w) => w.version === 1);
    const v2Writes = writes.filter((w) => w.version === 2);
    applyV1(this.v1, v1Writes);
    applyV2(this.unified, v2Writes);
  }
}

/** Pause and resume: freeze and thaw every process of a container through its cgroups (the front end checks the status). */
import type { CgroupManager } from '../cgroups';
import { freezeCgroups, thawCgroups } from './cgroup-waits';

export function freezeContainer(cgroups: CgroupManager): Promise<void> {
  return freezeCgroups(cgroups);
}

export function thawContainer(cgroups: CgroupManager): Promise<void> {
  return thawCgroups(cgroups);
}

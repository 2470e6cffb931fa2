/**
 * The cgroup operations that wait for the kernel (a freeze to take, killed processes to leave
 * before the directories go), on timers: every lifecycle module calls them here, and none
 * blocks the event loop of the process (tsrund) that runs them.
 */
import type { CgroupManager } from '../cgroups';

export async function freezeCgroups(cgroups: CgroupManager): Promise<void> {
  await cgroups.freeze();
}

export async function thawCgroups(cgroups: CgroupManager): Promise<void> {
  cgroups.thaw();
}

export async function destroyCgroups(cgroups: CgroupManager): Promise<void> {
  await cgroups.destroy();
}

/**
 * SIGKILL every process of the container's in `cgroups`; a frozen cgroup is thawed, as killed
 * processes die only then. Resolves with the processes the last look found in the cgroups.
 */
export async function killAllAndThaw(cgroups: CgroupManager, isContainers: (pid: number) => boolean): Promise<number[]> {
  const members = cgroups.killAll(SIGKILL, isContainers);
  if (cgroups.isFrozen()) await thawCgroups(cgroups);
  return members;
}

export const SIGKILL = 9;

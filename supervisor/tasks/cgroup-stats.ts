/**
 * A task's figures for Tasks.Stats, from runtime/cgroups' own reading of the cgroup files
 * (readCgroupStats); the whole reading for the CRI's stats (../cri/pods/stats.ts).
 */
import type { CgroupManager } from '../../runtime/cgroups';
import { readCgroupStats, type Stats } from '../../runtime/cgroups/stats';
import type { StatsResponse } from '../api/types';

/** Everything the task's cgroups say now (no hugetlb sizes: neither API reports them). */
export function readTaskCgroups(cgroups: CgroupManager): Stats {
  return readCgroupStats(cgroups, []);
}

export function readStats(cgroups: CgroupManager): StatsResponse {
  const s = readTaskCgroups(cgroups);
  return {
    memoryUsageBytes: s.memory.usage.usage ?? 0,
    memoryLimitBytes: limitOrZero(s.memory.usage.limit),
    cpuUsageNanoseconds: s.cpu.usage.total ?? 0,
    pidsCurrent: s.pids.current ?? 0,
    pidsLimit: s.pids.limit ?? 0,
  };
}

/** v1 says "no limit" with a number near 2^63: report 0, as v2's "max" reads. */
function limitOrZero(n: number): number {
  return n >= 2 ** 62 ? 0 : n;
}

/**
 * A task's figures for Tasks.Stats, from runtime/cgroups' own reading of the cgroup files
 * (readCgroupStats).
 */
import type { CgroupManager } from '../../runtime/cgroups';
import { readCgroupStats } from '../../runtime/cgroups/stats';
import type { StatsResponse } from '../api/types';

export function readStats(cgroups: CgroupManager): StatsResponse {
  const s = readCgroupStats(cgroups, []);
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

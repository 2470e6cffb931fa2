/**
 * oom_score_adj under a tsrund that may not lower it: the kernel refuses a value below the
 * writer's own oom_score_adj_min without CAP_SYS_RESOURCE, so, as containerd's
 * restrict_oom_score_adj, such a value is raised to tsrund's own current one instead of failing
 * the pod. The rule is pure; what this host allows is read once from /proc/self.
 */
import * as fs from 'fs';

/** CAP_SYS_RESOURCE's bit in a CapEff mask. */
const CAP_SYS_RESOURCE = 24n;

export interface OomScoreLimits {
  /** tsrund's own oom_score_adj. */
  current: number;
  /** Whether tsrund holds CAP_SYS_RESOURCE (then any value from -1000 is allowed). */
  canLower: boolean;
}

/** The value a container gets when `wanted` is asked for. */
export function restrictOomScoreAdj(wanted: number, limits: OomScoreLimits): number {
  return !limits.canLower && wanted < limits.current ? limits.current : wanted;
}

/** CAP_SYS_RESOURCE in the effective set of a /proc/<pid>/status text. */
export function hasSysResource(status: string): boolean {
  const hex = /^CapEff:\s+([0-9a-f]+)$/m.exec(status)?.[1];
  return hex !== undefined && ((BigInt(`0x${hex}`) >> CAP_SYS_RESOURCE) & 1n) === 1n;
}

let own: OomScoreLimits | null = null;
export function ownOomScoreLimits(): OomScoreLimits {
  own ??= {
    current: Number(fs.readFileSync('/proc/self/oom_score_adj', 'utf8').trim()),
    canLower: hasSysResource(fs.readFileSync('/proc/self/status', 'utf8')),
  };
  return own;
}

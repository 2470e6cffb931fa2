/** Facts about the host and about how tsrun was started that the plan builder needs. */
import * as fs from 'fs';
import { RLIM_INFINITY } from '../plan/linux';
import type { PlanContext } from '../plan/types';

export function readHostFacts(): Pick<PlanContext, 'lastCap' | 'inheritedNofile'> {
  return {
    lastCap: Number(fs.readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim()),
    inheritedNofile: parseInheritedNofile(process.env.TSRUN_INHERITED_NOFILE),
  };
}

/**
 * Node raises the soft RLIMIT_NOFILE to the hard limit when it starts, so bin/tsrun records the
 * limits it was started with as "soft:hard" ("unlimited" allowed) before Node runs.
 */
export function parseInheritedNofile(text: string | undefined): { soft: string; hard: string } | null {
  const m = /^(\d+|unlimited):(\d+|unlimited)$/.exec(text ?? '');
  if (!m) return null;
  const value = (v: string) => (v === 'unlimited' ? RLIM_INFINITY : v);
  return { soft: value(m[1]), hard: value(m[2]) };
}

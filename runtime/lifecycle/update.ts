/**
 * Update: change a live container's resources (runc 1.1's set: memory, cpu and cpuset, realtime
 * cpu, blkio weight, pids, unified; plus the runtime-spec 1.3 fields cpu.burst and cpu.idle and
 * memory.checkBeforeUpdate). As runc, a field left out (or 0, or "") keeps its value; the merged
 * resources are applied to the cgroups in runc's order and recorded.
 */
import type { LinuxResources } from '../../spec/types';
import type { CgroupManager } from '../cgroups';
import { TsrunError } from '../../common/errors';

/** The fields `update` can change, per group of linux.resources. */
const UPDATABLE: Readonly<Record<string, readonly string[]>> = {
  memory: ['limit', 'reservation', 'swap', 'swappiness', 'checkBeforeUpdate'],
  cpu: ['shares', 'quota', 'period', 'burst', 'realtimeRuntime', 'realtimePeriod', 'cpus', 'mems', 'idle'],
  blockIO: ['weight'],
  pids: ['limit'],
};

/** Accepted and ignored with a warning, as runc 1.1 does. */
const IGNORED: Readonly<Record<string, readonly string[]>> = { memory: ['kernel', 'kernelTCP'] };

/** The warnings runc 1.1 gives for what `update` ignores. */
export function ignoredUpdates(change: LinuxResources): string[] {
  const memory = (change as Record<string, Group | undefined>).memory;
  const set = IGNORED.memory.some((k) => typeof memory === 'object' && memory !== null && !isUnset(memory[k]));
  return set ? ['Kernel memory settings are ignored and will be removed'] : [];
}

type Group = Record<string, unknown>;

const isUnset = (v: unknown) => v === undefined || v === null || v === 0 || v === '' || v === false;

/**
 * `current` with the fields `change` sets replaced. Throws naming the first field set in
 * `change` that tsrun cannot update.
 */
export function mergeResourceUpdate(current: LinuxResources | undefined, change: LinuxResources): LinuxResources {
  if (typeof change !== 'object' || change === null || Array.isArray(change)) {
    throw new TsrunError('update: the resources must be a JSON object (linux.resources)');
  }
  const merged: Record<string, unknown> = { ...current };
  for (const [group, value] of Object.entries(change as Record<string, unknown>)) {
    if (isUnset(value) || (Array.isArray(value) && value.length === 0)) continue;
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw new TsrunError(`update: linux.resources.${group} cannot be updated by tsrun`);
    }
    if (group === 'unified') {
      merged.unified = { ...(merged.unified as Group | undefined), ...(value as Group) };
      continue;
    }
    const setFields = Object.entries(value as Group).filter(([key, v]) => !isUnset(v) && !(IGNORED[group] ?? []).includes(key));
    const allowed = UPDATABLE[group] ?? [];
    const refused = setFields.find(([key]) => !allowed.includes(key));
    if (refused) throw new TsrunError(`update: linux.resources.${group}.${refused[0]} cannot be updated by tsrun`);
    if (setFields.length > 0) merged[group] = { ...(merged[group] as Group | undefined), ...Object.fromEntries(setFields) };
  }
  return merged as LinuxResources;
}

/** Apply `change` to the cgroups: the merged resources (for the front end to record) and the warnings (settings ignored, as runc 1.1 ignores them). */
export function updateResources(cgroups: CgroupManager, current: LinuxResources | undefined, change: LinuxResources): { resources: LinuxResources; warnings: string[] } {
  const resources = mergeResourceUpdate(current, change);
  cgroups.update(resources);
  return { resources, warnings: ignoredUpdates(change) };
}

/**
 * Which containers use which volumes, read from the container records (their overrides.volumes,
 * which Containers.Create stores resolved: ./container-volumes.ts): the records are the one
 * source of truth. Pure.
 */
import type { VolumeMount } from '../api/types';
import type { ContainerRecord } from '../containers/store';

export const isVolume = (v: Pick<VolumeMount, 'type'>): boolean => v.type === '' || v.type === 'volume';

/** The names of the volumes `record` mounts, each once. */
export function volumesOf(record: Pick<ContainerRecord, 'overrides'>): string[] {
  return [...new Set((record.overrides?.volumes ?? []).filter(isVolume).map((v) => v.source))];
}

/** Volume name → the ids of the containers using it, sorted. */
export function volumeUsers(records: readonly ContainerRecord[]): Map<string, string[]> {
  const users = new Map<string, string[]>();
  for (const r of records) for (const name of volumesOf(r)) users.set(name, [...(users.get(name) ?? []), r.id]);
  for (const ids of users.values()) ids.sort();
  return users;
}

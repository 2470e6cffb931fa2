/**
 * A Create request's shm_size (docker's --shm-size) as the size option of the config's /dev/shm
 * tmpfs; a config without one gets docker's (nosuid, noexec, nodev, mode 1777). 0 keeps the
 * config's (64 MiB in tsrund's and docker's defaults). Pure; a bad one is INVALID_ARGUMENT.
 */
import type { Spec } from '../../spec/types';
import { invalidArgument } from '../shared/errors';

const FIELD = 'overrides.shm_size';

export function applyShmSize(spec: Spec, bytes: number): void {
  if (bytes === 0) return;
  if (bytes < 0 || !Number.isSafeInteger(bytes)) throw invalidArgument(FIELD, `${bytes}: SHM size can not be less than 0`);
  const mounts = (spec.mounts ??= []);
  const shm = mounts.filter((m) => m.destination === '/dev/shm').at(-1);
  if (!shm) {
    mounts.push({ destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${bytes}`] });
    return;
  }
  if (shm.type !== 'tmpfs') throw invalidArgument(FIELD, `the config mounts ${shm.source ?? 'something'} (${shm.type ?? 'a bind'}) on /dev/shm, not a tmpfs: there is no size to set`);
  shm.options = [...(shm.options ?? []).filter((o) => !o.startsWith('size=')), `size=${bytes}`];
}

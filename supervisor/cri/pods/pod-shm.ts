/**
 * A pod's /dev/shm, shared by its sandbox and containers as containerd shares it: a tmpfs that
 * tsrund mounts in its own mount namespace at <state>/cri/shm/<id> when the pod has
 * an ipc namespace of its own, bound on /dev/shm of the sandbox and of each container (which all
 * join that ipc namespace); a pod in the host's ipc namespace gets the host's /dev/shm. The CRI
 * gives no size for it: containerd's 64 MiB.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Mount } from '../../../spec/types';
import { detachMount, mountTmpfs } from '../../../runtime/native';

const DEV_SHM = '/dev/shm';
/** containerd's defaultShmSize. */
export const POD_SHM_BYTES = 64 << 20;

/** Where the pod's /dev/shm comes from: its own tmpfs, or the host's for a pod in the host's ipc namespace. */
export function podShmSource(state: string, sandboxId: string, hostIpc: boolean): string {
  return hostIpc ? DEV_SHM : path.join(state, 'cri', 'shm', sandboxId);
}

/** `mounts` with `source` bound on /dev/shm, in the place of the /dev/shm mount it had (after /dev). */
export function withPodShm(mounts: Mount[], source: string): Mount[] {
  const shm: Mount = { destination: DEV_SHM, type: 'bind', source, options: ['rbind', 'rprivate', 'rw', 'nosuid', 'nodev', 'noexec'] };
  const at = mounts.findIndex((m) => path.normalize(m.destination) === DEV_SHM);
  return at < 0 ? [...mounts, shm] : [...mounts.slice(0, at), shm, ...mounts.slice(at + 1).filter((m) => path.normalize(m.destination) !== DEV_SHM)];
}

/** The pod's tmpfs mounted on `dir` (made, 0711: the tmpfs's own root is 1777). */
export function mountPodShm(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o711 });
  if (!isMountPoint(dir)) mountTmpfs(dir, `mode=1777,size=${POD_SHM_BYTES}`);
}

/** Unmounted and removed; nothing there is no error. */
export function unmountPodShm(dir: string): void {
  if (isMountPoint(dir)) detachMount(dir);
  fs.rmSync(dir, { recursive: true, force: true });
}

function isMountPoint(dir: string): boolean {
  try {
    return fs.statSync(dir).dev !== fs.statSync(path.dirname(dir)).dev;
  } catch {
    return false;
  }
}

/**
 * Delete: kill a container's init if it still lives and wait until it is gone, then remove what
 * the container holds on the host: its remaining processes, the mounts its set-up made in this
 * mount namespace, its cgroups and (through the front end) its state; then the poststop hooks,
 * whose failures are warnings (runtime.md § Lifecycle). A process moved into the cgroup from
 * outside is not killed: the cgroup cannot go then, and the state stays for a delete once it is
 * moved out. The front end checks the status (and force) first.
 */
import type { CgroupManager } from '../cgroups';
import { isContainers, strangers, strangersMessage, type InitNamespaces } from '../state/own-processes';
import type { RecordedMount } from '../state/store';
import { destroyCgroups, killAllAndThaw } from './cgroup-waits';
import { poststopHooks, type HookRunner } from './hooks';
import { describeLeft, unmountRecorded } from './rootfs-mounts';
import { phase } from '../trace';

/** How long the init has to die of SIGKILL. */
export const KILL_TIMEOUT_MS = 10_000;

export interface ContainerToDelete {
  stateDir: string;
  /** The mounts create recorded beneath the rootfs in this mount namespace (a container without one of its own). */
  rootfsMounts?: { rootfs: string; mounts: readonly RecordedMount[] };
  initNamespaces?: InitNamespaces;
  cgroups: CgroupManager | null;
}

export interface DeleteFront {
  /** Resolves true once the init is gone, false when `timeoutMs` pass first. */
  initExited(timeoutMs: number): Promise<boolean>;
  /** The init did not die of SIGKILL in time. */
  notGone(): Error;
  /** Processes that are not the container's are in its cgroup. */
  strangersLeft(message: string): Error;
  /** With the container's processes gone, before its cgroups go. */
  beforeCgroupsGo?(): Promise<void>;
  /** Remove the front end's record and the state directory (the poststop hooks run after). */
  removeState(): void;
  hookRunner: HookRunner;
  warn(message: string): void;
}

/** `initAlive`: the init has not been seen to exit (it is killed and waited for first). */
export async function removeContainer(c: ContainerToDelete, initAlive: boolean, front: DeleteFront): Promise<void> {
  const runPoststop = poststopHooks(c.stateDir, front.hookRunner, front.warn);
  const ours = isContainers(c.initNamespaces);
  if (initAlive) {
    if (c.cgroups) await killAllAndThaw(c.cgroups, ours);
    if (!(await front.initExited(KILL_TIMEOUT_MS))) throw front.notGone();
  }
  if (c.cgroups) {
    // Processes left behind by an init without its own pid namespace go with the cgroup.
    // The processes killAll saw last: the container's (signalled) and any moved in from outside.
    const members = await phase('cgroups kill', () => killAllAndThaw(c.cgroups!, ours));
    const left = strangers(members, c.initNamespaces);
    if (left.length > 0) throw front.strangersLeft(strangersMessage(c.cgroups.placement().procsFiles[0], left));
  }
  await front.beforeCgroupsGo?.();
  // With no process of the container left, none can move a mount or a path while they go.
  if (c.rootfsMounts) {
    const { rootfs, mounts } = c.rootfsMounts;
    const left = unmountRecorded(mounts);
    if (left.length > 0) front.warn(`mounts of the container that something covered or moved since create are left beneath ${rootfs}: ${describeLeft(left, rootfs)}`);
  }
  if (c.cgroups) await phase('cgroups remove', () => destroyCgroups(c.cgroups!));
  front.removeState();
  await runPoststop();
}

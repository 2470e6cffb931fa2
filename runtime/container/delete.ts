/**
 * `delete`: remove a stopped (or still created) container's cgroups and state; with --force a
 * running or paused one is killed first. Processes of the container left in the cgroup (one without
 * its own pid namespace) are killed too, so nothing of it outlives the delete.
 */
import { loadCgroupManager } from '../cgroups';
import { ContainerError } from '../errors';
import { readHooksRecord } from '../hooks/record';
import { runHooksWarning } from '../hooks/run';
import { stateDocument } from '../hooks/state';
import type { ContainerDir, StateStore, StoredState } from '../state/store';
import { observeStatus } from './observe';
import { currentMountNamespace, describeLeft, unmountRecorded } from './rootfs-mounts';
import { isContainers, strangers, strangersMessage } from '../state/own-processes';
import { signalInit, waitForInitExitSync } from './signal-init';

const SIGKILL = 9;
const KILL_TIMEOUT_MS = 10_000;

/** The poststop hooks run once everything is gone; their failures are warnings (runtime.md § Lifecycle). */
export function deleteContainer(store: StateStore, id: string, force: boolean, warn: (message: string) => void): void {
  const dir = store.open(id);
  if (!dir) {
    if (force) return;
    throw new ContainerError('container does not exist');
  }
  try {
    const state = dir.read();
    const namespace = state.rootfsMounts?.namespace;
    const elsewhere = namespace !== undefined && namespace !== currentMountNamespace();
    if (elsewhere) {
      // Its mounts are not visible from here: deleting now would leave them (until that namespace ends).
      const where = `container ${id} has mounts in mount namespace ${namespace}, not in this one (${currentMountNamespace()})`;
      if (!force) throw new ContainerError(`${where}: delete it from there (or with --force, leaving them)`);
      warn(`${where}: they are left there`);
      state.rootfsMounts = undefined;
    }
    const status = observeStatus(store, state);
    if ((status === 'running' || status === 'paused') && !force) {
      throw new ContainerError(`cannot delete container ${id} that is not stopped: ${status}`);
    }
    if (status !== 'stopped') {
      try {
        signalInit(state, SIGKILL);
      } catch (err) {
        if (!(err instanceof ContainerError)) throw err;
      }
      if (status === 'paused') loadCgroupManager(state.cgroups).thaw();
      if (!waitForInitExitSync(state, KILL_TIMEOUT_MS)) throw new ContainerError(`container ${id} did not die after SIGKILL`);
    }
    const { poststop } = readHooksRecord(dir.path);
    destroy(dir, state, warn);
    if (poststop.length) runHooksWarning('poststop', poststop, stateDocument({ ...state, status: 'stopped' }, 0), warn);
  } finally {
    dir.release();
  }
}

/**
/**
 * Remove what a container holds on the host: its remaining processes, the mounts its set-up
 * made in the caller's mount namespace, its cgroups and state directory. A process moved into
 * the cgroup from outside is not killed: the cgroup cannot go then, and the state stays for a
 * delete once it is moved out.
 */
export function destroy(dir: ContainerDir, state: StoredState, warn: (message: string) => void): void {
  const cgroups = state.cgroups ? loadCgroupManager(state.cgroups) : null;
  if (cgroups) {
    cgroups.killAll(SIGKILL, isContainers(state.initNamespaces));
    // Killed processes in a frozen cgroup only die once it thaws.
    if (cgroups.isFrozen()) cgroups.thaw();
    const strays = strangers(cgroups.pids(), state.initNamespaces);
    if (strays.length > 0) throw new ContainerError(strangersMessage(cgroups.placement().procsFiles[0], strays));
  }
  // With no process of the container left, none can move a mount or a path while they go.
  const left = unmountRecorded(state.rootfsMounts?.mounts ?? []);
  if (left.length > 0) warn(`mounts of the container that something covered or moved since create are left beneath ${state.rootfs}: ${describeLeft(left, state.rootfs)}`);
  cgroups?.destroySync();
  dir.remove();
}

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
import type { ContainerDir, StateStore } from '../state/store';
import { observeStatus } from './observe';
import { type InitNamespaces, isContainers, strangers, strangersMessage } from '../state/own-processes';
import { signalInit, waitForInitExit } from './signal-init';

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
      if (!waitForInitExit(state, KILL_TIMEOUT_MS)) throw new ContainerError(`container ${id} did not die after SIGKILL`);
    }
    const { poststop } = readHooksRecord(dir.path);
    destroy(dir, state.cgroups, state.initNamespaces);
    if (poststop.length) runHooksWarning('poststop', poststop, stateDocument({ ...state, status: 'stopped' }, 0), warn);
  } finally {
    dir.release();
  }
}

/**
 * Remove what a container holds on the host: its remaining processes, cgroups and state
 * directory. A process moved into the cgroup from outside is not killed: the cgroup cannot go
 * then, and the state stays for a delete once it is moved out.
 */
function destroy(dir: ContainerDir, cgroupsRecord: unknown, initNamespaces: InitNamespaces | undefined): void {
  if (cgroupsRecord) {
    const cgroups = loadCgroupManager(cgroupsRecord);
    cgroups.killAll(SIGKILL, isContainers(initNamespaces));
    // Killed processes in a frozen cgroup only die once it thaws.
    if (cgroups.isFrozen()) cgroups.thaw();
    const left = strangers(cgroups.pids(), initNamespaces);
    if (left.length > 0) throw new ContainerError(strangersMessage(cgroups.placement().procsFiles[0], left));
    cgroups.destroy();
  }
  dir.remove();
}

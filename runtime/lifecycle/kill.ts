/** `kill`: send a signal to the init, or with --all to every process of the container's (own-processes.ts) in its cgroup. */
import { loadCgroupManager } from '../cgroups';
import { ContainerError } from '../errors';
import type { StateStore } from '../state/store';
import { observeStatus } from './observe';
import { isContainers } from '../state/own-processes';
import { signalInit } from './signal-init';

const SIGKILL = 9;

export function killContainer(store: StateStore, id: string, signal: number, all: boolean): void {
  const state = store.read(id);
  if (!state) throw new ContainerError('container does not exist');
  const status = observeStatus(store, state);
  if (status === 'stopped' || status === 'creating') throw new ContainerError('container not running');
  if (all) {
    loadCgroupManager(state.cgroups).killAll(signal, isContainers(state.initNamespaces));
  } else {
    signalInit(state, signal);
  }
  // As runc: a frozen process dies of SIGKILL only once thawed; other signals wait for resume.
  if (status === 'paused' && signal === SIGKILL) loadCgroupManager(state.cgroups).thaw();
}

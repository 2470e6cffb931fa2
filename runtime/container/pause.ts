/** `pause` and `resume`: freeze and thaw every process of a container through its cgroup. */
import { loadCgroupManager } from '../cgroups';
import { ContainerError } from '../errors';
import type { ContainerDir, StateStore } from '../state/store';
import { observeStatus } from './observe';

function withContainer(store: StateStore, id: string, act: (dir: ContainerDir) => void): void {
  const dir = store.open(id);
  if (!dir) throw new ContainerError('container does not exist');
  try {
    act(dir);
  } finally {
    dir.release();
  }
}

/** As runc: a running or created container can be paused. */
export function pauseContainer(store: StateStore, id: string): void {
  withContainer(store, id, (dir) => {
    const state = dir.read();
    const status = observeStatus(store, state);
    if (status !== 'running' && status !== 'created') throw new ContainerError('container not running');
    loadCgroupManager(state.cgroups).freezeSync();
  });
}

export function resumeContainer(store: StateStore, id: string): void {
  withContainer(store, id, (dir) => {
    const state = dir.read();
    if (observeStatus(store, state) !== 'paused') throw new ContainerError('container not paused');
    loadCgroupManager(state.cgroups).thaw();
  });
}

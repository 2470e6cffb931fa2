/**
 * tsrun's spawner: the addon runs the plan in this process (runtime/native). The init is this
 * process's child (CLONE_PARENT of the executor's stage): tsrun exits soon after a create, and
 * init's new parent reaps it.
 */
import * as fs from 'fs';
import { pidfdOpen, pidfdSendSignal, spawnInit, spawnInitWithHooks, waitExit } from '../native';
import type { InitPlan } from '../plan/types';
import type { Spawned, Spawner, SpawnOptions } from './spawner';
import { SIGKILL } from './cgroup-waits';

export const addonSpawner: Spawner = {
  async spawn(plan: InitPlan, _ctx, opts: SpawnOptions): Promise<Spawned> {
    const { pid } = opts.onRuntimeHooks ? await spawnInitWithHooks(plan, opts.onRuntimeHooks) : spawnInit(plan);
    return { pid, discard: () => killAndReap(pid) };
  },
};

/** The wait only matters to a longer-lived caller: a failed tsrun create exits at once. */
async function killAndReap(pid: number): Promise<void> {
  const fd = pidfdOpen(pid);
  try {
    pidfdSendSignal(fd, SIGKILL);
  } finally {
    fs.closeSync(fd);
  }
  waitExit(pid).catch(() => undefined);
}

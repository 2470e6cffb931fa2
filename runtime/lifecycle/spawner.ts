/**
 * How a container's init (or an exec'd process) comes to exist: the one thing the front ends do
 * differently. tsrun runs the plan in its own process through the addon (./addon-spawner.ts);
 * tsrund hands it to a monitor process that stays with the container (supervisor/tasks). The
 * lifecycle modules build the plan and run the hooks; a spawner only executes the plan.
 */
import type { CgroupManager } from '../cgroups';
import type { InitPlan, PlanContext } from '../plan/types';

export interface SpawnOptions {
  /** The container's cgroups, made already (tsrund's monitor watches the memory cgroup's OOMs; a discard kills what is in them). */
  cgroups: CgroupManager;
  /**
   * The runtime-namespace hooks (prestart, createRuntime), for a plan with a parentHooks step:
   * run with the init's pid while init waits at that step. Init goes on once the promise
   * resolves; when it rejects, init is killed (nothing of the spawn is left) and spawn rejects
   * with that error.
   */
  onRuntimeHooks?: (pid: number) => Promise<void>;
}

export interface Spawned {
  /** The init's pid (it waits on the exec fifo when the plan has one). */
  readonly pid: number;
  /**
   * Undo the spawn: kill what it made and wait until it is gone (a create failing after the
   * spawn).
   */
  discard(): Promise<void>;
}

export interface Spawner<S extends Spawned = Spawned> {
  /**
   * Run `plan` up to the point where init waits on the exec fifo (or has gone on to execve).
   * `ctx` is what the plan was built from (its state directory, cgroup placement, console).
   * @throws PlanExecutionError when a plan step failed; nothing of the spawn is left then.
   */
  spawn(plan: InitPlan, ctx: PlanContext, opts: SpawnOptions): Promise<S>;
}

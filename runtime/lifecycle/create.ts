/**
 * Create, for either front end: the container's cgroups, its exec fifo, the init plan built in
 * the one plan context (./context.ts), the spawn (with the runtime-namespace hooks while init
 * waits), and what the init is once it waits on the fifo. On any failure everything made so far
 * is undone, so a failed create leaves no cgroup or process behind (the front end removes its
 * own record and directory).
 */
import * as path from 'path';
import type { Spec } from '../../spec/types';
import { CgroupError, createCgroups, detectCgroupHost, intendedCgroups, type CgroupManager, type CgroupRecord } from '../cgroups';
import { TsrunError } from '../../common/errors';
import { mkfifo, PlanExecutionError } from '../native';
import { buildInitPlan, PlanError } from '../plan/build';
import { renderFailure } from '../plan/render-failure';
import type { InitPlan, PlanContext } from '../plan/types';
import { readInitNamespaces, type InitNamespaces } from '../state/own-processes';
import { readProcStat } from '../state/proc';
import type { StoredState } from '../state/store';
import { destroyCgroups } from './cgroup-waits';
import { planContext, type PlanChoices, type PlanSubject } from './context';
import { recordLaterHooks, runtimeHooks, type HookRunner, type HookSubject } from './hooks';
import { currentMountNamespace, describeLeft, mountIds, mountsMadeBeneath, unmountRecorded } from './rootfs-mounts';
import type { Spawned, Spawner } from './spawner';
import { phase } from '../trace';

export const EXEC_FIFO = 'exec.fifo';

export interface NewContainer extends PlanSubject {
  /** linux.cgroupsPath, or the front end's default when the config names none. */
  cgroupsPath: string | undefined;
  choices: PlanChoices;
  /** The hooks' state document (from the config: its ociVersion, annotations). */
  hookSubject: HookSubject;
}

/** How the front end records the steps and words the failures that are the config's or the host's. */
export interface CreateFront<S extends Spawned> {
  /** The cgroups about to be made (tsrund: so that a create killed half-way leaves them to recovery). */
  cgroupsIntended?(record: CgroupRecord): void;
  cgroupsMade(record: CgroupRecord): void;
  /** The init waits on the exec fifo; a throw here undoes the create too. */
  initCreated(init: CreatedInit<S>): void;
  /** The host's cgroups refused the resources. */
  cgroupsRefused(err: CgroupError): Error;
  /** A config value the plan cannot express. */
  planRefused(err: PlanError): Error;
  /** A plan step failed on this host; `message` renders the failure record. */
  spawnFailed(message: string): Error;
  /** A prestart or createRuntime hook failed. */
  hookFailed(err: TsrunError): Error;
  hookRunner: HookRunner;
  /** What the host cannot enforce, and what a failed create left. */
  warn(message: string): void;
}

export interface CreatedInit<S extends Spawned> {
  spawned: S;
  cgroups: CgroupManager;
  pid: number;
  initStartTime: string;
  initNamespaces: InitNamespaces;
  /** Mounts init made in this process's mount namespace (a container without one of its own). */
  rootfsMounts?: StoredState['rootfsMounts'];
}

export async function createInit<S extends Spawned>(c: NewContainer, spawner: Spawner<S>, front: CreateFront<S>): Promise<CreatedInit<S>> {
  let cgroups: CgroupManager | null = null;
  let spawned: S | null = null;
  // Without a mount namespace of its own, init mounts in this process's: what appears beneath
  // the rootfs is the container's (less what the runtime-namespace hooks mount: spawn adds those).
  const mountsBefore = hasMountNamespace(c.spec) ? null : mountIds();
  try {
    recordLaterHooks(c.stateDir, c.spec, c.hookSubject);
    cgroups = phase('cgroups', () => makeCgroups(c, front));
    front.cgroupsMade(cgroups.toJSON());
    mkfifo(path.join(c.stateDir, EXEC_FIFO), 0o622);
    const ctx = phase('plan context (host facts)', () => planContext(c, cgroups!, c.choices));
    const plan = phase('plan build', () => buildPlan(c.spec, ctx, front));
    spawned = await spawn(spawner, plan, ctx, c, cgroups, mountsBefore, front);
    const rootfsMounts = mountsBefore ? { namespace: currentMountNamespace(), mounts: mountsMadeBeneath(c.rootfs, mountsBefore) } : undefined;
    const init = phase('init facts (/proc)', () => {
      const stat = readProcStat(spawned!.pid);
      if (!stat) throw new TsrunError('container init exited during create');
      return { spawned: spawned!, cgroups: cgroups!, pid: spawned!.pid, initStartTime: stat.startTime, initNamespaces: readInitNamespaces(spawned!.pid), rootfsMounts };
    });
    front.initCreated(init);
    return init;
  } catch (err) {
    await undo(c, spawned, cgroups, mountsBefore, front.warn);
    throw err;
  }
}

export function hasMountNamespace(spec: Spec): boolean {
  return spec.linux?.namespaces?.some((n) => n.type === 'mount') === true;
}

function makeCgroups<S extends Spawned>(c: NewContainer, front: CreateFront<S>): CgroupManager {
  try {
    const host = detectCgroupHost(); // one reading of /proc/self/mountinfo and /proc/self/cgroup for both
    front.cgroupsIntended?.(intendedCgroups(c.id, c.cgroupsPath, host));
    return createCgroups(c.id, c.cgroupsPath, c.spec.linux?.resources, { host, onNotEnforced: front.warn });
  } catch (err) {
    if (err instanceof CgroupError) throw front.cgroupsRefused(err);
    throw err;
  }
}

function buildPlan<S extends Spawned>(spec: Spec, ctx: PlanContext, front: CreateFront<S>): InitPlan {
  try {
    return buildInitPlan(spec, ctx);
  } catch (err) {
    if (err instanceof PlanError) throw front.planRefused(err);
    throw err;
  }
}

/** `notTheContainers`: mount ids that are not the container's; the mounts the hooks make join it. */
async function spawn<S extends Spawned>(spawner: Spawner<S>, plan: InitPlan, ctx: PlanContext, c: NewContainer, cgroups: CgroupManager, notTheContainers: Set<number> | null, front: CreateFront<S>): Promise<S> {
  const hooks = runtimeHooks(c.spec, plan, c.hookSubject, front.hookRunner);
  const onRuntimeHooks = hooks && (async (pid: number) => {
    const beforeHooks = notTheContainers && mountIds();
    try {
      await hooks(pid);
    } catch (err) {
      throw err instanceof TsrunError ? front.hookFailed(err) : err;
    } finally {
      if (beforeHooks) for (const id of mountIds()) if (!beforeHooks.has(id)) notTheContainers?.add(id);
    }
  });
  try {
    return await spawner.spawn(plan, ctx, { cgroups, onRuntimeHooks });
  } catch (err) {
    if (err instanceof PlanExecutionError) throw front.spawnFailed(renderFailure(plan, err.failure, ctx));
    throw err;
  }
}

/** Each step is tried even when one before fails; what could not be undone is said. */
async function undo(c: NewContainer, spawned: Spawned | null, cgroups: CgroupManager | null, mountsBefore: Set<number> | null, warn: (message: string) => void): Promise<void> {
  const attempt = async (what: string, step: () => Promise<void> | void) => {
    try {
      await step();
    } catch (err) {
      warn(`undoing the failed create of ${c.id}: ${what}: ${(err as Error).message}`);
    }
  };
  if (spawned) await attempt('killing its init', () => spawned.discard());
  if (mountsBefore) {
    const left = unmountRecorded(mountsMadeBeneath(c.rootfs, mountsBefore));
    if (left.length > 0) warn(`mounts left beneath ${c.rootfs} after the failed create: ${describeLeft(left, c.rootfs)}`);
  }
  if (cgroups) await attempt('removing its cgroups', () => destroyCgroups(cgroups));
}

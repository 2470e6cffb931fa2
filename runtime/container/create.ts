/**
 * `create`: validate, make the state directory and the cgroups, build the init plan, have the
 * executor clone the init, record it. On any failure everything made so far is undone, so a
 * failed create leaves no cgroup, state directory or process behind.
 */
import * as fs from 'fs';
import * as path from 'path';
import { loadBundleConfig } from '../../spec/load';
import type { Spec } from '../../spec/types';
import { OCI_VERSION } from '../../spec/default-config';
import { createCgroups, CgroupManager } from '../cgroups';
import { ContainerError, hasErrno } from '../errors';
import { checkHookPrograms } from '../hooks/check';
import { hooksRecord, writeHooksRecord } from '../hooks/record';
import { runHooks } from '../hooks/run';
import { stateDocument } from '../hooks/state';
import { mkfifo, pidfdOpen, pidfdSendSignal, spawnInit, spawnInitWithHooks, PlanExecutionError, waitExit } from '../native';
import { bindMountSources, buildInitPlan } from '../plan/build';
import { hookCommands } from '../plan/hooks';
import { renderFailure } from '../plan/render-failure';
import type { InitPlan, PlanContext } from '../plan/types';
import { readInitNamespaces } from '../state/own-processes';
import { readProcStat } from '../state/proc';
import { checkId, ContainerDir, StateStore, StoredState } from '../state/store';
import { readNetDeviceFacts } from '../net/host-interfaces';
import { readHostFacts } from './host-facts';
import { currentMountNamespace, describeLeft, mountIds, mountsMadeBeneath, unmountRecorded } from './rootfs-mounts';

export interface CreateOptions {
  id: string;
  bundle: string;
  pidFile?: string;
  noPivot: boolean;
  /** --no-new-keyring: keep the caller's session keyring. Missing: the container gets its own. */
  noNewKeyring?: boolean;
  preserveFds: number;
  /** The fd of a connected console socket for process.terminal (runtime/console). */
  consoleSocket?: number;
  /** Where to say what the host cannot enforce (e.g. device rules on a cgroup v2 host). */
  warn: (message: string) => void;
}

export interface Created {
  state: StoredState;
  dir: ContainerDir;
}

/** Create the container; the returned directory is still locked (the caller releases it). */
export function createContainer(store: StateStore, opts: CreateOptions): Created {
  checkId(opts.id);
  const { spec, bundle } = loadBundleConfig(opts.bundle);
  const rootfs = path.resolve(bundle, spec.root?.path ?? 'rootfs');
  // runc's words, after the field they are about.
  if (!isDirectory(rootfs)) throw new ContainerError(`root.path: rootfs (${rootfs}) does not exist`);
  checkHookPrograms(spec);

  const dir = store.create(opts.id);
  const state: StoredState = {
    ociVersion: OCI_VERSION,
    id: opts.id,
    pid: 0,
    status: 'creating',
    bundle,
    rootfs,
    created: new Date().toISOString(),
    annotations: spec.annotations,
    initStartTime: '',
    cgroups: null,
    resources: spec.linux?.resources,
    ...(opts.noNewKeyring ? { noNewKeyring: true } : {}),
  };
  let cgroups: CgroupManager | null = null;
  let pid = 0;
  // Without a mount namespace of its own, init mounts in this process's: what appears beneath
  // the rootfs is the container's (less what the runtime-namespace hooks mount: spawn adds those).
  const mountsBefore = spec.linux?.namespaces?.some((n) => n.type === 'mount') ? null : mountIds();
  try {
    dir.write(state);
    writeHooksRecord(dir.path, hooksRecord(spec));
    cgroups = createCgroups(opts.id, spec.linux?.cgroupsPath, spec.linux?.resources, { onNotEnforced: opts.warn });
    state.cgroups = cgroups.toJSON();
    dir.write(state);
    mkfifo(dir.fifoPath, 0o622);

    const ctx: PlanContext = {
      bundle,
      containerId: opts.id,
      consoleSocket: opts.consoleSocket,
      rootfs,
      stateDir: dir.path,
      withFifo: true,
      noPivot: opts.noPivot,
      noNewKeyring: opts.noNewKeyring,
      preserveFds: opts.preserveFds,
      ...readHostFacts(),
      ...readNetDeviceFacts(spec),
      cgroup: cgroups.placement(),
      nonDirectoryBindSources: bindMountSources(spec, bundle).filter((p) => !isDirectory(p)),
    };
    pid = spawn(spec, ctx, state, mountsBefore);
    if (mountsBefore) state.rootfsMounts = { namespace: currentMountNamespace(), mounts: mountsMadeBeneath(rootfs, mountsBefore) };
    const stat = readProcStat(pid);
    if (!stat) throw new ContainerError('container init exited during create');
    Object.assign(state, { pid, status: 'created', initStartTime: stat.startTime, initNamespaces: readInitNamespaces(pid) });
    dir.write(state);
    if (opts.pidFile) writePidFile(opts.pidFile, pid);
    return { state, dir };
  } catch (err) {
    if (pid > 0) killAndReap(pid);
    if (mountsBefore) {
      const left = unmountRecorded(mountsMadeBeneath(rootfs, mountsBefore));
      if (left.length > 0) opts.warn(`mounts left beneath ${rootfs} after the failed create: ${describeLeft(left, rootfs)}`);
    }
    cgroups?.destroy();
    dir.remove();
    throw err;
  }
}

/** `notTheContainers`: mount ids that are not the container's; the mounts the hooks make join it. */
function spawn(spec: Spec, ctx: PlanContext, state: StoredState, notTheContainers: Set<number> | null): number {
  const plan: InitPlan = buildInitPlan(spec, ctx);
  try {
    if (!plan.init.some((s) => s.op === 'parentHooks')) return spawnInit(plan).pid;
    // prestart (deprecated) runs with createRuntime, before it, as runc runs them.
    return spawnInitWithHooks(plan, (pid) => {
      const doc = stateDocument({ ...state, status: 'creating' }, pid);
      const beforeHooks = notTheContainers && mountIds();
      try {
        runHooks('prestart', hookCommands(spec, 'prestart'), doc);
        runHooks('createRuntime', hookCommands(spec, 'createRuntime'), doc);
      } finally {
        if (beforeHooks) for (const id of mountIds()) if (!beforeHooks.has(id)) notTheContainers?.add(id);
      }
    }).pid;
  } catch (err) {
    if (err instanceof PlanExecutionError) throw new ContainerError(renderFailure(plan, err.failure, ctx));
    throw err;
  }
}

/**
 * The init is this process's child (CLONE_PARENT). tsrun exits right after a failed create, and
 * the zombie's new parent reaps it; the wait below only covers a longer-lived caller.
 */
function killAndReap(pid: number): void {
  const fd = pidfdOpen(pid);
  try {
    pidfdSendSignal(fd, 9);
  } finally {
    fs.closeSync(fd);
  }
  waitExit(pid).catch(() => undefined);
}

/** Written atomically, as runc does, so a reader never sees a partial pid. */
export function writePidFile(file: string, pid: number): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp`);
  fs.writeFileSync(tmp, String(pid), { mode: 0o644 });
  fs.renameSync(tmp, file);
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch (err) {
    if (hasErrno(err, 'ENOENT', 'ENOTDIR')) return false;
    throw err;
  }
}

/**
 * tsrun's front of the lifecycle: each operation on a container recorded in tsrun's state
 * directory (runtime/state/store), its init spawned in this process (./addon-spawner.ts), its
 * failures TsrunErrors in runc's words. The directory is locked while an operation runs.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { LinuxResources } from '../../spec/types';
import { loadBundleConfig } from '../../spec/load';
import { OCI_VERSION } from '../../spec/default-config';
import { loadCgroupManager } from '../cgroups';
import { TsrunError } from '../../common/errors';
import { checkHookPrograms } from '../hooks/check';
import { checkId, type ContainerDir, type StateStore, type StoredState } from '../state/store';
import { addonSpawner } from './addon-spawner';
import { isDirectory } from './context';
import { blockingHookRunner } from './hooks';
import { createInit } from './create';
import { removeContainer } from './delete';
import { signalContainer } from './kill';
import { observeStatus } from './observe';
import { freezeContainer, thawContainer } from './pause';
import { currentMountNamespace } from './rootfs-mounts';
import { waitForInitExit } from './signal-init';
import { startInit } from './start';
import { updateResources } from './update';
import { phase } from '../trace';

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

/**
 * Create the container; the returned directory is still locked (the caller releases it). A
 * failed create leaves no state directory either.
 */
export async function createContainer(store: StateStore, opts: CreateOptions): Promise<Created> {
  checkId(opts.id);
  const { spec, bundle } = phase('config load + validate', () => loadBundleConfig(opts.bundle));
  const rootfs = path.resolve(bundle, spec.root?.path ?? 'rootfs');
  // runc's words, after the field they are about.
  if (!isDirectory(rootfs)) throw new TsrunError(`root.path: rootfs (${rootfs}) does not exist`);
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
  try {
    dir.write(state);
    await createInit(
      {
        id: opts.id,
        spec,
        bundle,
        rootfs,
        stateDir: dir.path,
        cgroupsPath: spec.linux?.cgroupsPath,
        choices: { consoleSocket: opts.consoleSocket, noPivot: opts.noPivot, noNewKeyring: opts.noNewKeyring, preserveFds: opts.preserveFds },
        hookSubject: { ociVersion: OCI_VERSION, id: opts.id, bundle, annotations: spec.annotations },
      },
      addonSpawner,
      {
        cgroupsMade: (record) => {
          state.cgroups = record;
          dir.write(state);
        },
        initCreated: ({ pid, initStartTime, initNamespaces, rootfsMounts }) => {
          Object.assign(state, { pid, status: 'created', initStartTime, initNamespaces }, rootfsMounts ? { rootfsMounts } : {});
          dir.write(state);
          if (opts.pidFile) writePidFile(opts.pidFile, pid);
        },
        cgroupsRefused: (err) => err,
        planRefused: (err) => err,
        spawnFailed: (message) => new TsrunError(message),
        hookFailed: (err) => err,
        hookRunner: blockingHookRunner,
        warn: opts.warn,
      },
    );
    return { state, dir };
  } catch (err) {
    dir.remove();
    throw err;
  }
}

/** Written atomically, as runc does, so a reader never sees a partial pid. */
export function writePidFile(file: string, pid: number): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp`);
  fs.writeFileSync(tmp, String(pid), { mode: 0o644 });
  fs.renameSync(tmp, file);
}

export async function startContainer(store: StateStore, dir: ContainerDir, warn: (message: string) => void): Promise<void> {
  const state = dir.read();
  const status = phase('status', () => observeStatus(store, state));
  switch (status) {
    case 'created':
      break;
    case 'stopped':
      throw new TsrunError('cannot start a container that has stopped');
    case 'running':
      throw new TsrunError('cannot start an already running container');
    default:
      throw new TsrunError(`cannot start a container in the ${status} state`);
  }
  await startInit(dir.path, state.pid, {
    initGone: () =>
      new TsrunError(`container init (pid ${state.pid}) exited before running the process: a startContainer hook failed or the process could not be run (see the container's stderr)`),
    hookRunner: blockingHookRunner,
    warn,
  });
}

export async function killContainer(store: StateStore, id: string, signal: number, all: boolean): Promise<void> {
  const state = store.read(id);
  if (!state) throw new TsrunError('container does not exist');
  const status = observeStatus(store, state);
  if (status === 'stopped' || status === 'creating') throw new TsrunError('container not running');
  await signalContainer({ ...state, cgroups: () => loadCgroupManager(state.cgroups) }, signal, all, status === 'paused');
}

/** Remove a stopped (or still created) container; with `force` a running or paused one is killed first. */
export async function deleteContainer(store: StateStore, id: string, force: boolean, warn: (message: string) => void): Promise<void> {
  const dir = store.open(id);
  if (!dir) {
    if (force) return;
    throw new TsrunError('container does not exist');
  }
  try {
    const state = dir.read();
    const namespace = state.rootfsMounts?.namespace;
    if (namespace !== undefined && namespace !== currentMountNamespace()) {
      // Its mounts are not visible from here: deleting now would leave them (until that namespace ends).
      const where = `container ${id} has mounts in mount namespace ${namespace}, not in this one (${currentMountNamespace()})`;
      if (!force) throw new TsrunError(`${where}: delete it from there (or with --force, leaving them)`);
      warn(`${where}: they are left there`);
      state.rootfsMounts = undefined;
    }
    const status = phase('status', () => observeStatus(store, state));
    if ((status === 'running' || status === 'paused') && !force) {
      throw new TsrunError(`cannot delete container ${id} that is not stopped: ${status}`);
    }
    await removeContainer(
      {
        stateDir: dir.path,
        rootfsMounts: state.rootfsMounts && { rootfs: state.rootfs, mounts: state.rootfsMounts.mounts },
        initNamespaces: state.initNamespaces,
        cgroups: state.cgroups ? phase('cgroups load', () => loadCgroupManager(state.cgroups)) : null,
      },
      status !== 'stopped',
      {
        initExited: (timeoutMs) => phase('init exit wait', () => waitForInitExit(state, timeoutMs)),
        notGone: () => new TsrunError(`container ${id} did not die after SIGKILL`),
        strangersLeft: (message) => new TsrunError(message),
        removeState: () => phase('state remove', () => dir.remove()),
        hookRunner: blockingHookRunner,
        warn,
      },
    );
  } finally {
    dir.release();
  }
}

/** The container of `id`, its directory locked while `act` runs. */
async function withContainer<T>(store: StateStore, id: string, act: (dir: ContainerDir) => Promise<T>): Promise<T> {
  const dir = store.open(id);
  if (!dir) throw new TsrunError('container does not exist');
  try {
    return await act(dir);
  } finally {
    dir.release();
  }
}

/** As runc: a running or created container can be paused. */
export function pauseContainer(store: StateStore, id: string): Promise<void> {
  return withContainer(store, id, async (dir) => {
    const state = dir.read();
    const status = observeStatus(store, state);
    if (status !== 'running' && status !== 'created') throw new TsrunError('container not running');
    await freezeContainer(loadCgroupManager(state.cgroups));
  });
}

export function resumeContainer(store: StateStore, id: string): Promise<void> {
  return withContainer(store, id, async (dir) => {
    const state = dir.read();
    if (observeStatus(store, state) !== 'paused') throw new TsrunError('container not paused');
    await thawContainer(loadCgroupManager(state.cgroups));
  });
}

/** Apply `change` and record it; returns warnings (settings ignored, as runc 1.1 ignores them). */
export function updateContainer(store: StateStore, id: string, change: LinuxResources): Promise<string[]> {
  return withContainer(store, id, async (dir) => {
    const state = dir.read();
    const status = observeStatus(store, state);
    if (status === 'stopped' || status === 'creating') throw new TsrunError('container not running');
    const { resources, warnings } = updateResources(loadCgroupManager(state.cgroups), state.resources, change);
    state.resources = resources;
    dir.write(state);
    return warnings;
  });
}

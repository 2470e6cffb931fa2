/**
 * The context a container's init plan is built in (runtime/plan/build.ts): the container's own
 * paths, the front end's choices, and the facts of this host. The one place both front ends get it.
 */
import * as fs from 'fs';
import type { Spec } from '../../spec/types';
import type { CgroupManager } from '../cgroups';
import { readNetDeviceFacts } from '../net/host-interfaces';
import { bindMountSources } from '../plan/build';
import type { PlanContext, RootfsOverlay } from '../plan/types';
import { readHostFacts } from './host-facts';

/** The container: its id (which also names its session keyring, _ses.<id>), config and directories. */
export interface PlanSubject {
  id: string;
  spec: Spec;
  /** Absolute. */
  bundle: string;
  /** Absolute. */
  rootfs: string;
  /** Holds the container's state and its exec fifo. */
  stateDir: string;
}

/** What the front end chose (tsrun's flags; tsrund's defaults, its console fd and image overlay). */
export interface PlanChoices {
  consoleSocket?: number | null;
  noPivot?: boolean;
  noNewKeyring?: boolean;
  preserveFds?: number;
  /** An image container's overlay, mounted onto the rootfs inside the container's mount namespace. */
  rootfsMount?: RootfsOverlay | null;
}

export function planContext(c: PlanSubject, cgroups: CgroupManager, choices: PlanChoices): PlanContext {
  return {
    bundle: c.bundle,
    containerId: c.id,
    consoleSocket: choices.consoleSocket,
    rootfs: c.rootfs,
    stateDir: c.stateDir,
    withFifo: true,
    noPivot: choices.noPivot ?? false,
    noNewKeyring: choices.noNewKeyring,
    preserveFds: choices.preserveFds ?? 0,
    ...readHostFacts(),
    ...readNetDeviceFacts(c.spec),
    cgroup: cgroups.placement(),
    nonDirectoryBindSources: bindMountSources(c.spec, c.bundle).filter((p) => !isDirectory(p)),
    rootfsMount: choices.rootfsMount ?? null,
  };
}

export function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    // Deliberately any failure: a source that cannot be looked at is the mount step's to report,
    // with its path and errno.
    return false;
  }
}

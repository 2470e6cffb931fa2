/** Kill: a signal to the init, or (all) to every process of the container's (own-processes.ts) in its cgroups. */
import type { CgroupManager } from '../cgroups';
import { isContainers, type InitNamespaces } from '../state/own-processes';
import { SIGKILL, thawCgroups } from './cgroup-waits';
import { signalInit, type InitProcess } from './signal-init';

export interface LiveContainer extends InitProcess {
  initNamespaces?: InitNamespaces;
  /** Looked up only when needed (a front end may refuse a container without them). */
  cgroups(): CgroupManager;
}

/** `paused`: the container's cgroup is frozen. The front end checks that it runs at all. */
export async function signalContainer(c: LiveContainer, signal: number, all: boolean, paused: boolean): Promise<void> {
  if (all) c.cgroups().killAll(signal, isContainers(c.initNamespaces));
  else signalInit(c, signal);
  // As runc: a frozen process dies of SIGKILL only once thawed; other signals wait for resume.
  if (paused && signal === SIGKILL) await thawCgroups(c.cgroups());
}

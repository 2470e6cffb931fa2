/**
 * Which processes in a container's cgroup are the container's own, so that `kill --all` and
 * `delete` signal only those. Anyone who may write a cgroup's cgroup.procs can move any process
 * into it (a config that did so through linux.resources.unified once moved pid 1): membership
 * of the cgroup alone does not make a process the container's.
 *
 * The rule: a process is the container's when it, or one of its ancestors, is in the init's pid
 * namespace (when the container has a pid namespace of its own), or else in the init's mount
 * namespace (when it has a mount namespace of its own). A running process cannot enter a pid
 * namespace, and everything the container starts — forks, `exec`'d processes, nested
 * namespaces — descends from a process in it; when the init is gone the kernel has killed the
 * whole pid namespace, so nothing left in the cgroup is the container's. Without a pid
 * namespace, an orphan of a nested mount namespace (reparented to the host's init) is not told
 * from a stranger; without either namespace nothing tells them apart, and every process in the
 * cgroup counts as the container's (as before).
 */
import * as fs from 'fs';
import { hasErrno } from '../../common/errors';

/** "dev:ino" of the init's namespaces that are not the runtime's own, as found at create. */
export interface InitNamespaces {
  pid?: string;
  mnt?: string;
}

export type ProcessOwner = 'container' | 'stranger' | 'gone';

/** Ancestors followed up from a process before giving up (pid chains are far shorter). */
const MAX_ANCESTORS = 4096;

/** "dev:ino", or null when the process is gone or exiting, or 'hidden' when /proc does not say (EACCES). */
function namespaceOf(pid: number | 'self', type: 'pid' | 'mnt'): string | null | 'hidden' {
  try {
    const st = fs.statSync(`/proc/${pid}/ns/${type}`);
    return `${st.dev}:${st.ino}`;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ESRCH' ? null : 'hidden';
  }
}

/** The init's own namespaces, to be recorded with the container at create. */
export function readInitNamespaces(initPid: number): InitNamespaces {
  const out: InitNamespaces = {};
  for (const type of ['pid', 'mnt'] as const) {
    const theirs = namespaceOf(initPid, type);
    if (theirs !== null && theirs !== 'hidden' && theirs !== namespaceOf('self', type)) out[type] = theirs;
  }
  return out;
}

function parentOf(pid: number): number | null {
  try {
    const m = /^PPid:\s*(\d+)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch (err) {
    if (hasErrno(err, 'ENOENT', 'ESRCH')) return null; // exited
    throw err;
  }
}

/**
 * Who `pid` belongs to, by the rule above: 'gone' when it exited meanwhile (or is exiting: its
 * namespaces are already released); a process whose namespaces /proc hides is a stranger. `recorded` is undefined for a container created before
 * tsrun recorded namespaces: then every process counts as the container's.
 */
export function ownerOf(pid: number, recorded: InitNamespaces | undefined): ProcessOwner {
  const type = recorded?.pid ? 'pid' : recorded?.mnt ? 'mnt' : null;
  if (type === null) return 'container';
  const wanted = recorded![type];
  const own = namespaceOf(pid, type);
  if (own === null) return 'gone';
  if (own === wanted) return 'container';
  let at: number | null = parentOf(pid);
  for (let i = 0; i < MAX_ANCESTORS && at !== null && at > 1; i++) {
    if (namespaceOf(at, type) === wanted) return 'container';
    at = parentOf(at);
  }
  return 'stranger';
}

/** The test `killAll` takes: signal a process only when it is the container's. */
export const isContainers =
  (recorded: InitNamespaces | undefined) =>
  (pid: number): boolean =>
    ownerOf(pid, recorded) === 'container';

/** Processes in the cgroup that are not the container's, still alive: `delete` leaves them alone. */
export function strangers(pids: readonly number[], recorded: InitNamespaces | undefined): number[] {
  return pids.filter((pid) => ownerOf(pid, recorded) === 'stranger');
}

/** Why a cgroup with strangers in it cannot be removed, and what to do. */
export function strangersMessage(cgroupDir: string, pids: readonly number[]): string {
  return (
    `cgroup ${cgroupDir} holds processes the container did not start (pid ${pids.join(', ')}), ` +
    'moved in from outside: they were not signalled; move them out of its cgroup.procs, then delete again'
  );
}

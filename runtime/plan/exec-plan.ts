/**
 * An exec'd process (`tsrun exec`, tsrund's Tasks.Exec: runtime/lifecycle/exec.ts): a new process
 * in a created or running container, as a plan for the same executor.
 *
 * Unlike the container's init, the process makes no namespace and no mount: stage1 joins the
 * container's namespaces by path (the user namespace first, as runc), the clone takes no
 * CLONE_NEW* flag, and the mount namespace joined is the container's own, already private, so
 * the rule of buildInitPlan that a new mount namespace be made does not apply here; instead the
 * container's mount namespace must be among those joined, or the process would see the host's
 * files. The parent puts the process in the container's cgroups; init then sets up the terminal,
 * labels, working directory, credentials, capabilities, and last the limits and the container's
 * seccomp filter, the same builders as the container's init.
 */
import type { LinuxNamespaceType, Process, Spec, User } from '../../spec/types';
import { OCI_VERSION } from '../../spec/default-config';
import { NO_ID } from '../../spec/rules';
import { TsrunError } from '../../common/errors';
import { finalAffinitySteps, initialAffinitySteps } from './cpu-affinity';
import { execLabelSteps } from './lsm';
import { namespaceStage1Steps } from './namespaces';
import { PlanError } from './plan-error';
import { consoleSteps, execSpec, oomScoreAdjSteps, processSteps, readProcess } from './process';
import { sessionKeyringSteps } from './keyring';
import { ioPrioritySteps, schedulerSteps } from './scheduler';
import { seccompPlacement, seccompStep, type AgentState } from './seccomp';
import { CREATE_MODES } from './rootfs';
import * as path from 'path';
import type { CgroupPlacement, InitPlan, PlanContext } from './types';

/** What the exec plan needs besides the process and the container's config. */
export interface ExecPlanContext
  extends Pick<PlanContext, 'lastCap' | 'inheritedNofile' | 'preserveFds' | 'consoleSocket' | 'security' | 'containerId' | 'noNewKeyring'> {
  /** The container's namespaces that are not the runtime's own, as paths (/proc/<init>/ns/<name>). */
  namespaces: ReadonlyArray<{ type: LinuxNamespaceType; path: string }>;
  /** cgroup.procs files the process is written to, one per hierarchy. */
  cgroupProcsFiles: readonly string[];
  /**
   * The container init's root (/proc/<init>/root): a container without a mount namespace of its
   * own was chrooted there, and so is the process.
   */
  containerRoot: string;
  /** What a seccomp agent is told of the container (its state, with the init's pid). */
  agent: AgentState;
}

export function buildExecPlan(proc: Process, container: Spec, ctx: ExecPlanContext): InitPlan {
  readProcess({ ociVersion: OCI_VERSION, process: proc });
  // A container without a mount namespace of its own (none, or one joined) is chrooted in one
  // that is not its own; otherwise its namespace is joined, its root that of the namespace.
  const chrooted = !container.linux?.namespaces?.some((ns) => ns.type === 'mount' && !ns.path);
  if (!chrooted && !ctx.namespaces.some((ns) => ns.type === 'mount')) {
    throw new PlanError('linux.namespaces', 'the container has no mount namespace of its own to exec in');
  }
  const joined = new Map(ctx.namespaces.map((ns) => [ns.type, ns.path]));
  // runc applies the container's filter to every process it execs in the container.
  const seccomp = seccompPlacement(seccompStep(container.linux?.seccomp, ctx.agent), proc.noNewPrivileges);
  return {
    stage1: [
      // The CPUs of the process until it is in the container's cgroups (execCPUAffinity.initial).
      ...initialAffinitySteps(proc),
      // Before the user namespace is joined: lowering the score needs the host's CAP_SYS_RESOURCE.
      ...oomScoreAdjSteps(proc),
      // No new namespace is asked for, so no time offsets either: only the order of the joins matters.
      ...namespaceStage1Steps({ ociVersion: OCI_VERSION }, { created: new Set(), joined }),
    ],
    cloneFlags: 0,
    parent: ctx.cgroupProcsFiles.map((path) => ({ op: 'writePid', path })),
    init: [
      // The container's keyring, as its init joined it (--no-new-keyring at create: the caller's).
      ...sessionKeyringSteps(ctx, 0),
      // Before the terminal, so that it is the container's /dev/ptmx.
      ...(chrooted ? [{ op: 'openRoot' as const, path: ctx.containerRoot }, { op: 'chrootRoot' as const }] : []),
      ...consoleSteps(proc, ctx.consoleSocket, false),
      ...schedulerSteps(proc.scheduler),
      ...ioPrioritySteps(proc.ioPriority),
      ...execLabelSteps(proc, ctx.security),
      // In the container's cgroups by now; before a seccomp filter could refuse sched_setaffinity.
      ...finalAffinitySteps(proc),
      ...processSteps(proc, ctx, seccomp),
    ],
    createModes: CREATE_MODES,
    exec: { ...execSpec(proc, { preserveFds: ctx.preserveFds, withFifo: false, stateDir: '', inheritedNofile: ctx.inheritedNofile }), ...(seccomp.exec ? { seccomp: seccomp.exec } : {}) },
  };
}

/** What `tsrun exec` flags change in the container's process (runc's getProcess). */
export interface ExecOverrides {
  args: string[];
  cwd?: string;
  env: string[];
  tty?: boolean;
  /** "uid" or "uid:gid", decimal. */
  user?: string;
  additionalGids: number[];
  caps: string[];
  noNewPrivs?: boolean;
  apparmor?: string;
  processLabel?: string;
}

function decimalId(text: string, what: 'uid' | 'gid'): number {
  if (!/^\d+$/.test(text) || Number(text) > 0xffffffff) throw new TsrunError(`parsing ${text} as int for ${what} failed`);
  return checkedId(Number(text), `--user ${what}`);
}

/** An id from a flag: 4294967295 is (uid_t) -1, which the kernel takes for "no change" (root stays root). */
function checkedId(id: number, flag: string): number {
  if (id === NO_ID) throw new TsrunError(`${flag} ${id} is not an id: the kernel reads it as -1, no change (ids go from 0 to ${NO_ID - 1})`);
  return id;
}

/**
 * The process `tsrun exec ID CMD...` runs: the container's config.json process with the flags
 * applied as runc applies them. The terminal is off unless -t; --cap adds to every set; --env
 * appends (a later definition wins at lookup); --user replaces uid and, when given, gid.
 */
export function execProcess(base: Process, o: ExecOverrides): Process {
  const proc: Process = structuredClone(base);
  proc.args = o.args;
  if (o.cwd) proc.cwd = o.cwd;
  if (o.apparmor) proc.apparmorProfile = o.apparmor;
  if (o.processLabel) proc.selinuxLabel = o.processLabel;
  if (o.caps.length > 0) {
    const caps = proc.capabilities ?? {};
    for (const set of ['bounding', 'effective', 'inheritable', 'permitted', 'ambient'] as const) {
      caps[set] = [...(caps[set] ?? []), ...o.caps];
    }
    proc.capabilities = caps;
  }
  proc.env = [...(proc.env ?? []), ...o.env];
  proc.terminal = o.tty ?? false;
  if (o.noNewPrivs !== undefined) proc.noNewPrivileges = o.noNewPrivs;
  const user: User = { ...(proc.user ?? { uid: 0, gid: 0 }) };
  if (o.user) {
    const [uid, gid] = o.user.split(':', 2);
    if (gid !== undefined) user.gid = decimalId(gid, 'gid');
    user.uid = decimalId(uid, 'uid');
  }
  for (const gid of o.additionalGids) {
    if (!Number.isInteger(gid) || gid < 0) throw new TsrunError(`additional-gids must be a positive number ${gid}`);
    user.additionalGids = [...(user.additionalGids ?? []), checkedId(gid, '--additional-gids')];
  }
  proc.user = user;
  return proc;
}

/**
 * The cgroup.procs files of `tsrun exec --cgroup [<controller>[,<controller>]:]<path>`: each
 * hierarchy's container cgroup, or the sub-cgroup named for one of its controllers, or for all
 * (as runc 1.1). A path must stay beneath the container's cgroup; the sub-cgroup must exist.
 */
export function execCgroupProcsFiles(placement: CgroupPlacement, requests: readonly string[]): string[] {
  const forAll: string[] = [];
  const byController = new Map<string, string>();
  for (const request of requests) {
    const colon = request.indexOf(':');
    if (colon < 0) {
      if (forAll.length > 0 || byController.size > 0) throw new TsrunError(`invalid --cgroup argument: ${request} (conflicts with another)`);
      forAll.push(request);
    } else {
      if (forAll.length > 0) throw new TsrunError(`invalid --cgroup argument: ${request} (conflicts with another)`);
      for (const controller of request.slice(0, colon).split(',')) byController.set(controller, request.slice(colon + 1));
    }
  }
  return placement.procsFiles.map((procs, i) => {
    const dir = path.posix.dirname(procs);
    const controllers = placement.hierarchies[i]?.controllers.split(',') ?? [];
    const sub = controllers.map((c) => byController.get(c)).find((p) => p !== undefined) ?? forAll[0];
    if (sub === undefined) return procs;
    const target = path.posix.join(dir, sub);
    if (target === dir || !target.startsWith(`${dir}/`)) throw new TsrunError(`invalid --cgroup argument: ${sub} is not beneath the container's cgroup`);
    return path.posix.join(target, 'cgroup.procs');
  });
}

/**
 * config.json + the facts of this invocation -> the init plan the C executor runs (types.ts).
 * Pure: everything about the host comes in through PlanContext. Invalid config values the plan
 * cannot express throw PlanError naming their JSON path.
 */
import * as path from 'path';
import type { Spec } from '../../spec/types';
import {
  cloneFlags,
  hasNamespace,
  idMapSteps,
  namespaceInitSteps,
  namespaceStage1Steps,
  Namespaces,
  readNamespaces,
} from './namespaces';
import { keyringSearchPermission, sessionKeyringSteps } from './keyring';
import { execLabelSteps, withMountLabel } from './lsm';
import { memoryPolicySteps } from './mempolicy';
import { personalitySteps } from './personality';
import { PlanError } from './plan-error';
import { consoleSteps, execSpec, oomScoreAdjSteps, processSteps, readProcess } from './process';
import { loopbackSteps, netDeviceSteps } from './netdevices';
import { refuseIntelRdt } from './refused';
import { CREATE_MODES, rootfsSteps } from './rootfs';
import { ioPrioritySteps, schedulerSteps } from './scheduler';
import { agentState, seccompPlacement, seccompStep } from './seccomp';
import { withHooks } from './hooks';
import { afterRootChange, sysctlSteps } from './sysctl';
import type { InitPlan, InitStep, ParentStep, PlanContext } from './types';

export { PlanError } from './plan-error';
export { bindMountSources } from './mounts';

export function buildInitPlan(spec: Spec, ctx: PlanContext): InitPlan {
  const proc = readProcess(spec);
  const ns = readNamespaces(spec);
  const netDevices = netDeviceSteps(spec, ns, ctx.netDevices);
  refuseIntelRdt(spec, ctx.security);
  const agent = agentState({ id: ctx.containerId ?? '', status: 'creating', bundle: ctx.bundle, annotations: spec.annotations });
  const seccomp = seccompPlacement(seccompStep(spec.linux?.seccomp, agent), proc.noNewPrivileges);
  // Loaded last of all, right before execve (ExecSpec.seccomp), unless an agent needs it earlier.
  const lastSeccomp = seccomp.exec ? { seccomp: seccomp.exec } : {};
  const cgroups = cgroupJoin(ctx, ns);
  const plan: InitPlan = {
    stage1: [...oomScoreAdjSteps(proc), ...namespaceStage1Steps(spec, ns)],
    cloneFlags: cloneFlags(ns),
    ...(cgroups.cloneInto ? { cloneIntoCgroup: cgroups.cloneInto } : {}),
    parent: [...cgroups.parent, ...idMapSteps(spec, ns), ...netDevices.parent],
    init: [
      ...cgroups.init,
      ...namespaceInitSteps(ns),
      // In the user namespace by now, so the keyring belongs to it (as runc).
      ...sessionKeyringSteps(ctx, keyringSearchPermission(ns)),
      // While init still has CAP_NET_ADMIN, before anything in the container could depend on the network.
      ...loopbackSteps(ns),
      ...netDevices.init,
      // The terminal right after the root change, so /dev/ptmx is the container's (as runc).
      ...afterRootChange(withMountLabel(spec, ctx.security, rootfsSteps(spec, ctx, ns, proc.cwd)), [
        ...sysctlSteps(spec),
        ...consoleSteps(proc, ctx.consoleSocket, true),
      ]),
      ...utsSteps(spec, ns),
      ...personalitySteps(spec),
      ...schedulerSteps(proc.scheduler),
      ...ioPrioritySteps(proc.ioPriority),
      ...memoryPolicySteps(spec),
      ...execLabelSteps(proc, ctx.security),
      ...processSteps(proc, ctx, seccomp),
    ],
    createModes: CREATE_MODES,
    exec: { ...execSpec(proc, ctx), ...lastSeccomp },
  };
  return withHooks(plan, spec, ctx);
}

/**
 * How init gets into the container's cgroups before it runs any other step. Moving another
 * process there (its pid written to cgroup.procs, or to tasks) takes the kernel's global
 * cgroup_threadgroup_rwsem for writing, which waits for an RCU grace period: 5-25 ms on this
 * kind of host, the longest wait of a create (crun's and runc's too). Neither of these ways
 * takes it: init is born in its cgroup v2 directory (clone3 with CLONE_INTO_CGROUP), and in
 * each v1 hierarchy init moves itself by writing "0" to `tasks` (the calling thread, and init
 * has no other). Both need init to see the host's cgroup files as the host does: in a user
 * namespace it may not write them, in a joined mount namespace they may be elsewhere, from a
 * joined cgroup namespace the v2 directory may be out of reach. There the parent writes init's
 * pid to cgroup.procs.
 */
export function cgroupJoin(ctx: PlanContext, ns: Namespaces): { cloneInto: { dir: string } | null; parent: ParentStep[]; init: InitStep[] } {
  const hostView = !hasNamespace(ns, 'user') && !ns.joined.has('mount');
  const out: ReturnType<typeof cgroupJoin> = { cloneInto: null, parent: [], init: [] };
  ctx.cgroup.procsFiles.forEach((procs, i) => {
    const dir = path.posix.dirname(procs);
    const version = ctx.cgroup.hierarchies[i]?.version;
    if (hostView && version === 1) out.init.push({ op: 'joinCgroup', path: path.posix.join(dir, 'tasks') });
    else if (hostView && version === 2 && ctx.cloneIntoCgroup && !ns.joined.has('cgroup') && out.cloneInto === null) out.cloneInto = { dir };
    else out.parent.push({ op: 'writePid', path: procs });
  });
  return out;
}

/** hostname and domainname, which only a UTS namespace of the container's own may take. */
function utsSteps(spec: Spec, ns: Namespaces): InitStep[] {
  const steps: InitStep[] = [];
  for (const field of ['hostname', 'domainname'] as const) {
    const name = spec[field];
    if (!name) continue;
    if (!hasNamespace(ns, 'uts')) throw new PlanError(field, `cannot be set without a UTS namespace (add {"type": "uts"})`);
    steps.push(field === 'hostname' ? { op: 'sethostname', name } : { op: 'setdomainname', name });
  }
  return steps;
}

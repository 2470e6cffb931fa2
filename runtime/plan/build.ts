/**
 * config.json + the facts of this invocation -> the init plan the C executor runs (types.ts).
 * Pure: everything about the host comes in through PlanContext. Invalid config values the plan
 * cannot express throw PlanError naming their JSON path.
 */
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
  const plan: InitPlan = {
    stage1: [...oomScoreAdjSteps(proc), ...namespaceStage1Steps(spec, ns)],
    cloneFlags: cloneFlags(ns),
    parent: [...cgroupJoinSteps(ctx), ...idMapSteps(spec, ns), ...netDevices.parent],
    init: [
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

/** The parent puts init in the container's cgroups before init runs a step. */
function cgroupJoinSteps(ctx: PlanContext): ParentStep[] {
  return ctx.cgroup.procsFiles.map((path) => ({ op: 'writePid', path }));
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

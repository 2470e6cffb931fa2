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
import { PlanError } from './plan-error';
import { execSpec, oomScoreAdjSteps, processSteps, readProcess } from './process';
import { rootfsSteps } from './rootfs';
import { seccompStep } from './seccomp';
import type { InitPlan, InitStep, ParentStep, PlanContext } from './types';

export { PlanError } from './plan-error';
export { bindMountSources } from './mounts';

export function buildInitPlan(spec: Spec, ctx: PlanContext): InitPlan {
  const proc = readProcess(spec);
  const ns = readNamespaces(spec);
  return {
    stage1: [...oomScoreAdjSteps(proc), ...namespaceStage1Steps(spec, ns)],
    cloneFlags: cloneFlags(ns),
    parent: [...cgroupJoinSteps(ctx), ...idMapSteps(spec, ns)],
    init: [
      ...namespaceInitSteps(ns),
      ...rootfsSteps(spec, ctx, ns, proc.cwd),
      ...utsSteps(spec, ns),
      ...processSteps(proc, ctx, seccompStep(spec.linux?.seccomp)),
    ],
    exec: execSpec(proc, ctx),
  };
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

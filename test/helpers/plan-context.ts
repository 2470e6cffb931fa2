/** Fixtures of the plan builder's unit tests: a context like the development machine's, spec edits, step finders. */
import { defaultSpec, DefaultSpec } from '../../spec/default-config';
import type { CgroupHierarchy, InitPlan, InitStep, MountStep, PlanContext } from '../../runtime/plan/types';

export const HYBRID_HIERARCHIES: CgroupHierarchy[] = [
  { version: 1, mountpoint: '/sys/fs/cgroup/memory', controllers: 'memory', path: '/tsrun/c1' },
  { version: 1, mountpoint: '/sys/fs/cgroup/cpu,cpuacct', controllers: 'cpu,cpuacct', path: '/tsrun/c1' },
  { version: 1, mountpoint: '/sys/fs/cgroup/systemd', controllers: 'name=systemd', path: '/tsrun/c1' },
  { version: 2, mountpoint: '/sys/fs/cgroup/unified', controllers: '', path: '/tsrun/c1' },
];

export const V2_HIERARCHIES: CgroupHierarchy[] = [{ version: 2, mountpoint: '/sys/fs/cgroup', controllers: '', path: '/tsrun/c1' }];

export function testContext(overrides: Partial<PlanContext> = {}): PlanContext {
  return {
    bundle: '/tmp/b',
    rootfs: '/tmp/b/rootfs',
    stateDir: '/run/tsrun/c1',
    withFifo: true,
    noPivot: false,
    preserveFds: 0,
    lastCap: 40,
    inheritedNofile: null,
    cgroup: {
      procsFiles: HYBRID_HIERARCHIES.map((h) => `${h.mountpoint}${h.path}/cgroup.procs`),
      hierarchies: HYBRID_HIERARCHIES,
    },
    ...overrides,
  };
}

/** The init steps of operation `op`, typed. */
export function stepsOf<Op extends InitStep['op']>(plan: InitPlan, op: Op): Extract<InitStep, { op: Op }>[] {
  return plan.init.filter((s): s is Extract<InitStep, { op: Op }> => s.op === op);
}

/** The mount steps whose target is `target`, in plan order. */
export function mountsOn(plan: InitPlan, target: string): MountStep[] {
  return stepsOf(plan, 'mount').filter((m) => m.target === target);
}

/** Index in plan.init of the first step matching `pred` (-1 if none). */
export function indexOf(plan: InitPlan, pred: (s: InitStep) => boolean): number {
  return plan.init.findIndex(pred);
}

/** `tsrun spec`'s config, edited. */
/** `tsrun spec`'s config as this runtime runs it: without a terminal (not supported yet). */
export function baseSpec(): DefaultSpec {
  const spec = defaultSpec();
  spec.process.terminal = false;
  return spec;
}

export function specWith(edit: (s: DefaultSpec) => void): DefaultSpec {
  const spec = baseSpec();
  edit(spec);
  return spec;
}

/**
 * What tsrun's startup snapshot runs before it is taken (scripts/build-snapshot.js): V8 keeps the
 * bytecode of every function called by then, so that a tsrun call need not compile them again
 * (the config validators and the plan builder are most of the JavaScript a `create` runs). Only
 * pure code runs here, on the default config (no terminal): nothing touches the host or leaves state behind.
 */
import { defaultSpec } from '../../spec/default-config';
import { validateConfig } from '../../spec/validate';
import { encodePlan } from '../native/encode';
import { buildInitPlan } from '../plan/build';
import type { PlanContext } from '../plan/types';
import { parseFlags } from './args';
import { run } from './commands/lifecycle';

/** A container of the default config on a cgroup v2 host; only its shape matters. */
const SAMPLE_CONTEXT: PlanContext = {
  bundle: '/bundle',
  containerId: 'warm-up',
  rootfs: '/bundle/rootfs',
  stateDir: '/run/tsrun/warm-up',
  withFifo: true,
  noPivot: false,
  preserveFds: 0,
  lastCap: 40,
  inheritedNofile: { soft: '1024', hard: '1048576' },
  cloneIntoCgroup: true,
  cgroup: {
    procsFiles: ['/sys/fs/cgroup/tsrun/warm-up/cgroup.procs'],
    hierarchies: [{ version: 2, mountpoint: '/sys/fs/cgroup', controllers: '', path: '/tsrun/warm-up' }],
  },
};

export function warmUp(): void {
  parseFlags(['--bundle', '/bundle', 'warm-up'], run.flags, run.name);
  const spec = defaultSpec();
  spec.process.terminal = false;
  const issues = validateConfig(spec);
  if (issues.length > 0) throw new Error(`warm-up: the default config does not validate: ${JSON.stringify(issues[0])}`);
  encodePlan(buildInitPlan(spec, SAMPLE_CONTEXT));
}

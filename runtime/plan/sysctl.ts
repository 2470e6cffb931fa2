/**
 * linux.sysctl as writes to /proc/sys inside the container. Which parameters a container may set
 * (those a namespace of its own isolates, as runc allows) is checked when config.json is
 * validated (spec/rules.ts); here each name must only be one that stays beneath /proc/sys.
 */
import type { Spec } from '../../spec/types';
import { PlanError } from './plan-error';
import { isRootChange } from './rootfs';
import type { InitStep, WriteFileStep } from './types';

/**
 * The components of a sysctl name: "net.ipv4.ip_forward" (dots separate), or, as sysctl(8)
 * accepts, "net/ipv4/conf/eth0.100/forwarding" (slashes separate; dots are part of a name).
 */
export function sysctlComponents(key: string): string[] {
  return key.includes('/') ? key.split('/') : key.split('.');
}

/** One write to /proc/sys per entry, in the config's order. */
export function sysctlSteps(spec: Spec): WriteFileStep[] {
  return Object.entries(spec.linux?.sysctl ?? {}).map(([key, value]) => {
    const at = `linux.sysctl[${JSON.stringify(key)}]`;
    const parts = sysctlComponents(key);
    if (parts.some((p) => p === '' || p === '.' || p === '..')) {
      throw new PlanError(at, 'not a sysctl name: every component must be a non-empty name other than "." or ".."');
    }
    return { op: 'writeFile', path: `/proc/sys/${parts.join('/')}`, data: value, purpose: at };
  });
}

/**
 * `extra` placed right after the root change of `steps`: where the
 * container's /proc is in place and /proc/sys is still writable (readonlyPaths come later).
 */
export function afterRootChange(steps: readonly InitStep[], extra: readonly InitStep[]): InitStep[] {
  const at = steps.findIndex(isRootChange);
  if (at < 0) throw new Error('the init steps have no root change to place steps after');
  return [...steps.slice(0, at + 1), ...extra, ...steps.slice(at + 1)];
}

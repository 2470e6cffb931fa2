/**
 * Config fields this tsrun refuses rather than ignores, so that a container never runs without
 * something its config asks for.
 */
import type { Spec } from '../../spec/types';
import { PlanError } from './plan-error';
import type { SecurityFacts } from './types';

/** linux.intelRdt: resctrl groups are not implemented; without resctrl no runtime could apply them. */
export function refuseIntelRdt(spec: Spec, security: SecurityFacts | undefined): void {
  if (!spec.linux?.intelRdt) return;
  const reason = security?.resctrl
    ? 'Intel RDT (resctrl) classes are not supported by this tsrun yet'
    : 'Intel RDT is not available on this host: no resctrl filesystem is mounted (/sys/fs/resctrl)';
  throw new PlanError('linux.intelRdt', reason);
}

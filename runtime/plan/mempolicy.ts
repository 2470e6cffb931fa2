/** linux.memoryPolicy as a set_mempolicy(2) step: the NUMA policy the container process starts with. */
import type { Spec } from '../../spec/types';
import { abiValue, MAX_NUMA_NODES, MPOL_FLAGS, MPOL_MODES } from './linux';
import { PlanError } from './plan-error';
import type { MemoryPolicyStep } from './types';

/** Modes that take no node list, and modes that need one (MPOL_PREFERRED takes either: none is "local"). */
const WITHOUT_NODES = new Set(['MPOL_DEFAULT', 'MPOL_LOCAL']);
const WITH_NODES = new Set(['MPOL_BIND', 'MPOL_INTERLEAVE', 'MPOL_WEIGHTED_INTERLEAVE', 'MPOL_PREFERRED_MANY']);

/** A node list as cpuset(7) writes them, "0-3,7", as ascending node numbers; throws a message on bad syntax. */
export function parseNodeList(text: string, at: string): number[] {
  const nodes = new Set<number>();
  if (text.trim() === '') return [];
  for (const part of text.split(',')) {
    const m = /^\s*(\d+)(?:-(\d+))?\s*$/.exec(part);
    if (!m) throw new PlanError(at, `"${text}" is not a node list such as "0-3,7"`);
    const first = Number(m[1]);
    const last = m[2] === undefined ? first : Number(m[2]);
    if (last < first) throw new PlanError(at, `range "${part.trim()}" runs backwards`);
    if (last >= MAX_NUMA_NODES) throw new PlanError(at, `node ${last} is beyond Linux's ${MAX_NUMA_NODES} NUMA nodes`);
    for (let n = first; n <= last; n++) nodes.add(n);
  }
  return [...nodes].sort((a, b) => a - b);
}

export function memoryPolicySteps(spec: Spec): MemoryPolicyStep[] {
  const policy = spec.linux?.memoryPolicy;
  if (!policy) return [];
  const at = 'linux.memoryPolicy';
  const mode = abiValue(MPOL_MODES, policy.mode);
  if (mode === undefined) throw new PlanError(`${at}.mode`, `unknown memory policy mode "${policy.mode}"`);
  const flags = (policy.flags ?? []).reduce((bits, name, i) => {
    const bit = abiValue(MPOL_FLAGS, name);
    if (bit === undefined) throw new PlanError(`${at}.flags[${i}]`, `unknown memory policy flag "${name}"`);
    return bits | bit;
  }, 0);
  if ((flags & MPOL_FLAGS.MPOL_F_STATIC_NODES) && (flags & MPOL_FLAGS.MPOL_F_RELATIVE_NODES)) {
    throw new PlanError(`${at}.flags`, 'MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES exclude each other');
  }
  const nodes = parseNodeList(policy.nodes ?? '', `${at}.nodes`);
  if (WITHOUT_NODES.has(policy.mode) && nodes.length > 0) throw new PlanError(`${at}.nodes`, `${policy.mode} takes no nodes`);
  if (WITH_NODES.has(policy.mode) && nodes.length === 0) throw new PlanError(`${at}.nodes`, `${policy.mode} needs at least one node`);
  return [{ op: 'memoryPolicy', mode: mode | flags, nodes }];
}

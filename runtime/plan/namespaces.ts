/**
 * linux.namespaces, linux.uidMappings/gidMappings and linux.timeOffsets as plan steps: new
 * namespaces become clone flags (or an unshare where clone cannot do it), namespaces given by
 * path become setns steps in stage1.
 */
import type { LinuxNamespaceType, Spec } from '../../spec/types';
import {
  CLONE_NEWCGROUP,
  CLONE_NEWIPC,
  CLONE_NEWNET,
  CLONE_NEWNS,
  CLONE_NEWPID,
  CLONE_NEWTIME,
  CLONE_NEWUSER,
  CLONE_NEWUTS,
} from './linux';
import { PlanError } from './plan-error';
import type { InitStep, ParentStep, Stage1Step } from './types';

/**
 * Every namespace type with its clone flag, in the order runc joins namespaces by path: the
 * user namespace first (joining it grants the rights to join the others), the rest after.
 */
const NAMESPACE_KINDS: ReadonlyArray<[LinuxNamespaceType, number]> = [
  ['user', CLONE_NEWUSER],
  ['ipc', CLONE_NEWIPC],
  ['uts', CLONE_NEWUTS],
  ['network', CLONE_NEWNET],
  ['pid', CLONE_NEWPID],
  ['mount', CLONE_NEWNS],
  ['cgroup', CLONE_NEWCGROUP],
  ['time', CLONE_NEWTIME],
];
const CLONE_FLAG = new Map(NAMESPACE_KINDS);

/** Every namespace type the builder handles (what `tsrun features` reports). */
export const NAMESPACE_TYPES: readonly LinuxNamespaceType[] = NAMESPACE_KINDS.map(([type]) => type);

/** What the config asks of each namespace type; a type it does not list is shared with the host. */
export interface Namespaces {
  /** Types the container gets a new namespace of. */
  created: ReadonlySet<LinuxNamespaceType>;
  /** Types joined by path, with the path. */
  joined: ReadonlyMap<LinuxNamespaceType, string>;
}

export function readNamespaces(spec: Spec): Namespaces {
  const created = new Set<LinuxNamespaceType>();
  const joined = new Map<LinuxNamespaceType, string>();
  (spec.linux?.namespaces ?? []).forEach((ns, i) => {
    const at = `linux.namespaces[${i}]`;
    if (!CLONE_FLAG.has(ns.type)) throw new PlanError(`${at}.type`, `unknown namespace type "${ns.type}"`);
    if (created.has(ns.type) || joined.has(ns.type)) throw new PlanError(`${at}.type`, `namespace type "${ns.type}" is listed twice`);
    if (ns.path) joined.set(ns.type, ns.path);
    else created.add(ns.type);
  });
  return { created, joined };
}

/** The container has a namespace of this type of its own, new or joined. */
export function hasNamespace(ns: Namespaces, type: LinuxNamespaceType): boolean {
  return ns.created.has(type) || ns.joined.has(type);
}

/** Flags for the clone of init: new namespaces, except cgroup and time (see the steps below). */
export function cloneFlags(ns: Namespaces): number {
  let flags = 0;
  for (const type of ns.created) {
    if (type !== 'cgroup' && type !== 'time') flags |= CLONE_FLAG.get(type) as number;
  }
  return flags;
}

/**
 * Stage1: join the user namespace, then make the time namespace (so it belongs to that user
 * namespace, and its offsets are written before any process lives in it), then join the rest.
 */
export function namespaceStage1Steps(spec: Spec, ns: Namespaces): Stage1Step[] {
  const setns = (type: LinuxNamespaceType): Stage1Step[] => {
    const path = ns.joined.get(type);
    return path === undefined ? [] : [{ op: 'setns', nstype: CLONE_FLAG.get(type) as number, path }];
  };
  return [
    ...setns('user'),
    ...timeNamespaceSteps(spec, ns),
    ...NAMESPACE_KINDS.filter(([type]) => type !== 'user').flatMap(([type]) => setns(type)),
  ];
}

function timeNamespaceSteps(spec: Spec, ns: Namespaces): Stage1Step[] {
  const offsets = spec.linux?.timeOffsets;
  if (!ns.created.has('time')) {
    if (offsets) throw new PlanError('linux.timeOffsets', 'set, but the config makes no new time namespace');
    return [];
  }
  const unshare: Stage1Step = { op: 'unshare', flags: CLONE_NEWTIME };
  const lines = (['monotonic', 'boottime'] as const).flatMap((clock) => {
    const offset = offsets?.[clock];
    return offset ? [`${clock} ${offset.secs ?? 0} ${offset.nanosecs ?? 0}\n`] : [];
  });
  if (lines.length === 0) return [unshare];
  return [unshare, { op: 'writeFile', path: '/proc/self/timens_offsets', data: lines.join('') }];
}

/** Parent: the id maps of a new user namespace ("containerID hostID size" per line). */
export function idMapSteps(spec: Spec, ns: Namespaces): ParentStep[] {
  const uidMappings = spec.linux?.uidMappings ?? [];
  const gidMappings = spec.linux?.gidMappings ?? [];
  if (!ns.created.has('user')) {
    if (!hasNamespace(ns, 'user') && uidMappings.length > 0) {
      throw new PlanError('linux.uidMappings', 'set, but the config has no user namespace');
    }
    if (!hasNamespace(ns, 'user') && gidMappings.length > 0) {
      throw new PlanError('linux.gidMappings', 'set, but the config has no user namespace');
    }
    return [];
  }
  if (uidMappings.length === 0) throw new PlanError('linux.uidMappings', 'a new user namespace needs uid mappings');
  if (gidMappings.length === 0) throw new PlanError('linux.gidMappings', 'a new user namespace needs gid mappings');
  const lines = (maps: typeof uidMappings) => maps.map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join('');
  return [
    { op: 'writeProcFile', name: 'uid_map', data: lines(uidMappings) },
    { op: 'writeProcFile', name: 'gid_map', data: lines(gidMappings) },
  ];
}

/**
 * Init, before anything else: take the root ids of a new user namespace, and make the cgroup
 * namespace now that the parent has placed init in its cgroups (the namespace is rooted at the
 * cgroup init is in when it is made).
 */
export function namespaceInitSteps(ns: Namespaces): InitStep[] {
  const steps: InitStep[] = [];
  if (ns.created.has('user')) steps.push({ op: 'becomeRoot' });
  if (ns.created.has('cgroup')) steps.push({ op: 'unshare', flags: CLONE_NEWCGROUP });
  return steps;
}

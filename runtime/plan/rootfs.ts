/**
 * The container's view of files, from the fresh mount namespace to the final read-only root:
 * propagation, the root bind, config mounts, /dev, the root change, masked and read-only paths.
 */
import type { Spec } from '../../spec/types';
import { devSteps } from './dev';
import { MS_BIND, MS_PRIVATE, MS_RDONLY, MS_REC, MS_REMOUNT, MS_SHARED, MS_SLAVE } from './linux';
import { propagationFlags } from './mount-options';
import { configMountSteps, containerPath, delayedReadonlySteps, readMounts } from './mounts';
import { hasNamespace, Namespaces } from './namespaces';
import { PlanError } from './plan-error';
import type { CreateModes, InitStep, MountStep, PlanContext, RootfsOverlay } from './types';

/** The modes of missing directories and of file mount points the steps create, as runc's. */
export const CREATE_MODES: CreateModes = { dir: 0o755, file: 0o644 };

/** A mount step on an absolute path (host path before the root change, container path after). */
function mountAt(target: string, flags: number, fields: Partial<MountStep> = {}): MountStep {
  return { op: 'mount', source: null, target, inRoot: false, fstype: null, flags, data: null, create: 'none', ignoreMissing: false, ...fields };
}

/** linux.rootfsPropagation as mount flags, undefined when the config leaves it out. */
function rootPropagation(spec: Spec): number | undefined {
  const word = spec.linux?.rootfsPropagation;
  if (word === undefined) return undefined;
  const flags = propagationFlags(word);
  if (flags === undefined) throw new PlanError('linux.rootfsPropagation', `unknown propagation "${word}"`);
  return flags;
}

/** The kernel reads at most one page of mount(2) options. */
const MAX_MOUNT_DATA = 4095;

/** Mount an overlay onto the rootfs, lower dirs named relative to the layers directory init moves into. */
function overlaySteps(rootfs: string, o: RootfsOverlay): InitStep[] {
  if (o.lower.length === 0) throw new PlanError('rootfs', 'an overlay root needs at least one lower directory');
  for (const p of [...o.lower, o.upper, o.work]) {
    if (/[,:\\]/.test(p)) throw new PlanError('rootfs', `overlay directory ${JSON.stringify(p)} holds ',', ':' or '\\'`);
  }
  const data = `lowerdir=${o.lower.join(':')},upperdir=${o.upper},workdir=${o.work},index=off`;
  const size = Buffer.byteLength(data);
  if (size > MAX_MOUNT_DATA) {
    throw new PlanError('rootfs', `the overlay of ${o.lower.length} layers needs ${size} bytes of mount options, more than the kernel's ${MAX_MOUNT_DATA}`);
  }
  return [{ op: 'chdir', path: o.layersDir }, mountAt(rootfs, 0, { source: 'overlay', fstype: 'overlay', data })];
}

/** The step that changes the container's root; steps before it see host paths. */
export function isRootChange(step: InitStep): boolean {
  return step.op === 'pivotRoot' || step.op === 'moveRoot' || step.op === 'chrootRoot';
}

/**
 * How the root changes: pivot_root (or MS_MOVE with --no-pivot) in a mount namespace of the
 * container's own. Without one (none: the caller's; or one joined by path) only a chroot, as
 * runc does, leaves the namespace's other processes and its root mount as they were.
 */
function rootChange(ctx: PlanContext, ownMountNamespace: boolean): InitStep {
  if (!ownMountNamespace) return { op: 'chrootRoot' };
  return ctx.noPivot ? { op: 'moveRoot' } : { op: 'pivotRoot' };
}

/**
 * `cwd` is the process's working directory, made in the root before the root change.
 *
 * In a new mount namespace, nothing may propagate to the host: until the root change everything
 * is private, or a slave of the host when the config wants the host's mounts to reach the
 * container. In a namespace that is not the container's own, the propagation of mounts the
 * container did not make is left alone: every mount lands beneath the rootfs bind, and delete
 * unmounts them (runtime/lifecycle/rootfs-mounts.ts).
 */
export function rootfsSteps(spec: Spec, ctx: PlanContext, ns: Namespaces, cwd: string): InitStep[] {
  const mounts = readMounts(spec, ctx.bundle);
  const propagation = rootPropagation(spec);
  const ownMountNamespace = ns.created.has('mount');
  const followsHost = propagation !== undefined && (propagation & (MS_SLAVE | MS_SHARED)) !== 0;
  return [
    ...(ownMountNamespace ? [mountAt('/', MS_REC | (followsHost ? MS_SLAVE : MS_PRIVATE))] : []),
    ...(ctx.rootfsMount ? overlaySteps(ctx.rootfs, ctx.rootfsMount) : []),
    mountAt(ctx.rootfs, MS_BIND | MS_REC, { source: ctx.rootfs }),
    { op: 'openRoot', path: ctx.rootfs },
    ...configMountSteps(mounts, ctx, hasNamespace(ns, 'cgroup')),
    ...devSteps(mounts, spec.linux?.devices, hasNamespace(ns, 'user'), ctx.hostHasKcore ?? false),
    { op: 'mkdir', target: cwd, mode: 0o755 },
    rootChange(ctx, ownMountNamespace),
    ...(propagation === undefined ? [] : [mountAt('/', propagation)]),
    ...delayedReadonlySteps(mounts),
    ...(spec.linux?.readonlyPaths ?? []).map(containerPath).flatMap((p) => [
      mountAt(p, MS_BIND | MS_REC, { source: p, ignoreMissing: true }),
      mountAt(p, MS_BIND | MS_REMOUNT | MS_RDONLY, { ignoreMissing: true }),
    ]),
    ...(spec.linux?.maskedPaths ?? []).map((p): InitStep => ({ op: 'maskPath', path: containerPath(p) })),
    ...(spec.root?.readonly ? [mountAt('/', MS_BIND | MS_REMOUNT | MS_RDONLY)] : []),
  ];
}

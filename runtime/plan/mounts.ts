/**
 * config.json `mounts` as mount steps inside the container root, in config order, following
 * runc: bind mounts are bound first and remounted for their flags; recursive attributes (rro,
 * rnosuid, ...) come last, with mount_setattr(2) over the mount and everything below it; tmpfs
 * and /dev mounts stay writable until the root is set up (made read-only afterwards); a `cgroup`
 * mount shows the container's own cgroups.
 */
import * as path from 'path';
import type { Spec } from '../../spec/types';
import { MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY, MS_REC, MS_REMOUNT } from './linux';
import { bindFlags, MountOptions, parseMountOptions } from './mount-options';
import { PlanError } from './plan-error';
import type { CgroupHierarchy, InitStep, MountSetattrStep, MountStep, PlanContext } from './types';

/** One entry of `mounts`, resolved. */
export interface ConfigMount {
  /** Absolute and normalized path inside the container. */
  destination: string;
  /** For bind mounts the absolute host path (relative sources resolve against the bundle). */
  source: string | null;
  type: string | null;
  options: MountOptions;
  bind: boolean;
  /** An id-mapped bind: MountStep.idmap. */
  idmap?: NonNullable<MountStep['idmap']>;
}

/** A path of the container as an absolute normalized path (runc takes relative ones from "/"). */
export function containerPath(p: string): string {
  return path.posix.resolve('/', p);
}

export function readMounts(spec: Spec, bundle: string): ConfigMount[] {
  return (spec.mounts ?? []).map((m, i) => {
    const at = `mounts[${i}]`;
    const options = parseMountOptions(m.options, `${at}.options`);
    const bind = options.bind || m.type === 'bind';
    if (bind && !m.source) throw new PlanError(`${at}.source`, 'a bind mount needs a source');
    const idmap = readIdmap(spec, m, options, bind, at);
    return {
      destination: containerPath(m.destination),
      source: bind ? path.resolve(bundle, m.source as string) : (m.source ?? null),
      type: m.type ?? null,
      options,
      bind,
      ...(idmap ? { idmap } : {}),
    };
  });
}

type IdMappings = NonNullable<NonNullable<Spec['mounts']>[number]['uidMappings']>;

function mapText(maps: IdMappings): string {
  return maps.map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join('');
}

/**
 * The id-mapping of a mount, as runc 1.2 reads it: mappings alone make an id-mapped mount
 * ("idmap"); the options without mappings take the container's own (linux.uidMappings and
 * gidMappings); either way only a bind mount may have it, with both uid and gid mappings.
 */
function readIdmap(spec: Spec, m: NonNullable<Spec['mounts']>[number], options: MountOptions, bind: boolean, at: string): ConfigMount['idmap'] {
  const given = m.uidMappings !== undefined || m.gidMappings !== undefined;
  if (!given && options.idmap === null) return undefined;
  const what = given ? `${at}.${m.uidMappings !== undefined ? 'uidMappings' : 'gidMappings'}` : `${at}.options`;
  if (!bind) throw new PlanError(what, 'id-mapped mounts must be bind mounts');
  // Init maps the mount from inside the container's namespaces: in a user namespace of its own it
  // may not write host ids into the mapping (that needs the mount made on the runtime's side).
  if (spec.linux?.namespaces?.some((ns) => ns.type === 'user')) {
    throw new PlanError(what, 'id-mapped mounts in a container with a user namespace are not supported yet');
  }
  const uid = given ? m.uidMappings : spec.linux?.uidMappings;
  const gid = given ? m.gidMappings : spec.linux?.gidMappings;
  if (!uid?.length) throw new PlanError(given ? `${at}.uidMappings` : `${at}.options`, 'an id-mapped mount needs uid mappings');
  if (!gid?.length) throw new PlanError(given ? `${at}.gidMappings` : `${at}.options`, 'an id-mapped mount needs gid mappings');
  return { uidMap: mapText(uid), gidMap: mapText(gid), recursive: options.idmap === 'ridmap' };
}

/** The host paths bind mounts take their source from: what PlanContext.nonDirectoryBindSources is about. */
export function bindMountSources(spec: Spec, bundle: string): string[] {
  return readMounts(spec, bundle).flatMap((m) => (m.bind && m.source ? [m.source] : []));
}

/** A mount step inside the root, with the defaults most steps share. */
function mountInRoot(fields: Pick<MountStep, 'target' | 'flags'> & Partial<MountStep>): MountStep {
  return { op: 'mount', source: null, fstype: null, data: null, inRoot: true, create: 'none', ignoreMissing: false, ...fields };
}

function propagationSteps(target: string, options: MountOptions): MountStep[] {
  return options.propagation.map((flags) => mountInRoot({ target, flags }));
}

/** After binding: apply the options' flags, which a bind mount ignores, with a remount. */
function bindRemountSteps(target: string, options: MountOptions): MountStep[] {
  if ((options.flags & ~MS_REMOUNT) === 0) return [];
  return [mountInRoot({ target, flags: MS_BIND | MS_REMOUNT | options.flags })];
}

/** The recursive attributes of the options over `target`, after everything else of that mount (as runc). */
function setattrSteps(target: string, options: MountOptions, inRoot = true): MountSetattrStep[] {
  if (options.attrSet === 0 && options.attrClr === 0) return [];
  return [{ op: 'mountSetattr', target, inRoot, attrSet: options.attrSet, attrClr: options.attrClr }];
}

/**
 * A mount whose read-only flag (and recursive attributes) waits until the root is set up: /dev gets device nodes, and any
 * tmpfs may get mount points for later mounts.
 */
function readonlyLater(m: ConfigMount): boolean {
  return !m.bind && (m.type === 'tmpfs' || m.destination === '/dev');
}

interface MountEnv {
  /** Host paths of bind sources that are not directories (their targets are files). */
  nonDirectories: ReadonlySet<string>;
  hierarchies: readonly CgroupHierarchy[];
  /** The container has its own cgroup namespace. */
  cgroupNamespace: boolean;
}

export function configMountSteps(mounts: readonly ConfigMount[], ctx: PlanContext, cgroupNamespace: boolean): InitStep[] {
  const env: MountEnv = {
    nonDirectories: new Set(ctx.nonDirectoryBindSources ?? []),
    hierarchies: ctx.cgroup.hierarchies,
    cgroupNamespace,
  };
  return mounts.flatMap((m) => mountSteps(m, env));
}

/** Filesystems mounted only on a directory of the rootfs itself, never through a symlink (as runc). */
const DIRECTORY_ONLY_TYPES = new Set(['proc', 'sysfs']);

function mountSteps(m: ConfigMount, env: MountEnv): InitStep[] {
  const target = m.destination;
  if (m.bind) {
    const source = m.source as string;
    return [
      mountInRoot({
        source,
        target,
        flags: bindFlags(m.options),
        create: env.nonDirectories.has(source) ? 'file' : 'dir',
        ...(m.idmap ? { idmap: m.idmap } : {}),
      }),
      ...bindRemountSteps(target, m.options),
      ...propagationSteps(target, m.options),
      ...setattrSteps(target, m.options),
    ];
  }
  if (m.type === 'cgroup') return [...cgroupMountSteps(m, env), ...setattrSteps(target, m.options)];
  return [
    mountInRoot({
      source: m.source,
      target,
      fstype: m.type,
      flags: readonlyLater(m) ? m.options.flags & ~MS_RDONLY : m.options.flags,
      data: m.options.data || null,
      create: 'dir',
      // runc copies up for tmpfs only and ignores the option on anything else.
      ...(m.options.copyUp && m.type === 'tmpfs' ? { copyUp: true } : {}),
      ...(DIRECTORY_ONLY_TYPES.has(m.type ?? '') ? { directoryOnly: true } : {}),
    }),
    ...propagationSteps(target, m.options),
    ...(readonlyLater(m) ? [] : setattrSteps(target, m.options)),
  ];
}

/** After the root change: the read-only remounts and recursive attributes readonlyLater() put off. */
export function delayedReadonlySteps(mounts: readonly ConfigMount[]): InitStep[] {
  return mounts.filter(readonlyLater).flatMap((m) => [
    ...(m.options.flags & MS_RDONLY ? [{ ...mountInRoot({ target: m.destination, flags: m.options.flags | MS_REMOUNT }), inRoot: false }] : []),
    ...setattrSteps(m.destination, m.options, false),
  ]);
}

/** runc's flags for the tmpfs that holds the per-hierarchy directories. */
const CGROUP_ROOT_FLAGS = MS_NOEXEC | MS_NOSUID | MS_NODEV;

/**
 * A `cgroup` mount. On a pure cgroup v2 host: cgroup2 itself inside a cgroup namespace, else a
 * bind of the container's cgroup. On a v1 or hybrid host: a tmpfs holding, per hierarchy, a bind
 * of the container's cgroup directory, and a symlink per co-mounted controller (cpu ->
 * cpu,cpuacct); read-only as the options say.
 */
function cgroupMountSteps(m: ConfigMount, env: MountEnv): InitStep[] {
  const dest = m.destination;
  const v2Only = env.hierarchies.length > 0 && env.hierarchies.every((h) => h.version === 2);
  if (v2Only && env.cgroupNamespace) {
    return [
      mountInRoot({ source: 'cgroup', target: dest, fstype: 'cgroup2', flags: m.options.flags, data: m.options.data || null, create: 'dir' }),
      ...propagationSteps(dest, m.options),
    ];
  }
  if (v2Only) return cgroupBindSteps(env.hierarchies[0], dest, m.options);

  const steps: InitStep[] = [
    mountInRoot({ source: 'tmpfs', target: dest, fstype: 'tmpfs', flags: CGROUP_ROOT_FLAGS, data: 'mode=755', create: 'dir' }),
    ...propagationSteps(dest, m.options),
  ];
  for (const h of env.hierarchies) steps.push(...cgroupBindSteps(h, path.posix.join(dest, hierarchyDirName(h)), m.options));
  for (const h of env.hierarchies) {
    if (h.version !== 1 || !h.controllers.includes(',') || h.controllers.includes('name=')) continue;
    for (const controller of h.controllers.split(',')) {
      steps.push({ op: 'symlink', target: path.posix.join(dest, controller), linkTo: h.controllers, ignoreExisting: true });
    }
  }
  if (m.options.flags & MS_RDONLY) {
    steps.push(mountInRoot({ target: dest, flags: MS_BIND | MS_REMOUNT | MS_RDONLY | CGROUP_ROOT_FLAGS }));
  }
  return steps;
}

function cgroupBindSteps(h: CgroupHierarchy, target: string, options: MountOptions): InitStep[] {
  return [
    mountInRoot({ source: path.posix.join(h.mountpoint, h.path), target, flags: MS_BIND | MS_REC, create: 'dir' }),
    ...bindRemountSteps(target, options),
    ...propagationSteps(target, options),
  ];
}

/** The directory a hierarchy appears as under the cgroup mount: "memory", "cpu,cpuacct", "systemd", "unified". */
function hierarchyDirName(h: CgroupHierarchy): string {
  if (h.version === 2) return 'unified';
  if (h.controllers.startsWith('name=')) return h.controllers.slice('name='.length);
  return h.controllers || path.posix.basename(h.mountpoint);
}

/**
 * The container's /dev: linux.devices, and on a /dev the config mounts fresh (a tmpfs, say) the
 * devices and symlinks every container gets, as runc makes them. A /dev bound from elsewhere is
 * left as it is. Inside a user namespace, where mknod of devices is refused, device nodes are
 * bind mounts of the host's nodes onto empty files.
 */
import * as path from 'path';
import type { LinuxDevice } from '../../spec/types';
import { MS_BIND, S_IFBLK, S_IFCHR, S_IFIFO } from './linux';
import { ConfigMount, containerPath } from './mounts';
import { PlanError } from './plan-error';
import type { InitStep } from './types';

/** The devices the runtime-spec says every container has. */
const DEFAULT_DEVICES: readonly LinuxDevice[] = [
  { type: 'c', path: '/dev/null', major: 1, minor: 3 },
  { type: 'c', path: '/dev/zero', major: 1, minor: 5 },
  { type: 'c', path: '/dev/full', major: 1, minor: 7 },
  { type: 'c', path: '/dev/random', major: 1, minor: 8 },
  { type: 'c', path: '/dev/urandom', major: 1, minor: 9 },
  { type: 'c', path: '/dev/tty', major: 5, minor: 0 },
];

const DEFAULT_SYMLINKS: ReadonlyArray<[string, string]> = [
  ['/dev/fd', '/proc/self/fd'],
  ['/dev/stdin', '/proc/self/fd/0'],
  ['/dev/stdout', '/proc/self/fd/1'],
  ['/dev/stderr', '/proc/self/fd/2'],
];

/** Made only on a host that has /proc/kcore, as runc does. */
const KCORE_SYMLINK: [string, string] = ['/dev/core', '/proc/kcore'];

/**
 * Terminals come from the container's devpts: /dev/ptmx is a link into it, even when
 * linux.devices lists /dev/ptmx (podman and ctr --privileged list every host device), as runc
 * replaces such a node with the link.
 */
const PTMX = '/dev/ptmx';
const PTMX_LINK_TO = 'pts/ptmx';

const FILE_TYPE: Readonly<Record<string, number>> = { c: S_IFCHR, u: S_IFCHR, b: S_IFBLK, p: S_IFIFO };

/** runc's mode for a device whose fileMode the config leaves out. */
const DEFAULT_DEVICE_MODE = 0o666;

export function devSteps(
  mounts: readonly ConfigMount[],
  devices: readonly LinuxDevice[] | undefined,
  inUserNamespace: boolean,
  hostHasKcore: boolean,
): InitStep[] {
  if (mounts.some((m) => m.bind && m.destination === '/dev')) return [];
  const listed = (devices ?? []).map((d, i) => ({ d, at: `linux.devices[${i}]` }));
  const ptmxListed = listed.some(({ d }) => containerPath(d.path) === PTMX);
  const ptmxLink: InitStep = { op: 'symlink', target: PTMX, linkTo: PTMX_LINK_TO, ignoreExisting: true };
  const configured = listed.filter(({ d }) => containerPath(d.path) !== PTMX).map(({ d, at }) => deviceStep(d, at, inUserNamespace));
  if (!mounts.some((m) => !m.bind && m.destination === '/dev')) return ptmxListed ? [...configured, ptmxLink] : configured;

  const taken = new Set(configured.map((s) => (s.op === 'mknod' || s.op === 'mount' ? s.target : '')));
  const defaults = DEFAULT_DEVICES.filter((d) => !taken.has(d.path)).map((d) => deviceStep(d, 'default device', inUserNamespace));
  const links = hostHasKcore ? [...DEFAULT_SYMLINKS, KCORE_SYMLINK] : DEFAULT_SYMLINKS;
  const symlinks: InitStep[] = links.map(([target, linkTo]) => ({ op: 'symlink', target, linkTo, ignoreExisting: true }));
  if (ptmxListed || mounts.some((m) => m.destination === '/dev/pts')) symlinks.push(ptmxLink);
  return [...configured, ...defaults, ...symlinks];
}

function deviceStep(d: LinuxDevice, at: string, inUserNamespace: boolean): InitStep {
  const type = Object.hasOwn(FILE_TYPE, d.type) ? FILE_TYPE[d.type] : undefined;
  if (type === undefined) throw new PlanError(`${at}.type`, `unknown device type "${d.type}" (one of c, u, b, p)`);
  if (d.type !== 'p' && (d.major === undefined || d.minor === undefined)) {
    throw new PlanError(at, `device ${d.path} of type "${d.type}" needs major and minor numbers`);
  }
  const target = containerPath(d.path);
  // mknod of a fifo needs no privilege, so only character and block devices become binds.
  if (inUserNamespace && d.type !== 'p') {
    return {
      op: 'mount',
      source: path.posix.normalize(d.path),
      target,
      inRoot: true,
      fstype: null,
      flags: MS_BIND,
      data: null,
      create: 'file',
      ignoreMissing: false,
    };
  }
  return {
    op: 'mknod',
    target,
    mode: type | ((d.fileMode ?? DEFAULT_DEVICE_MODE) & 0o7777),
    major: d.major ?? 0,
    minor: d.minor ?? 0,
    uid: d.uid ?? 0,
    gid: d.gid ?? 0,
  };
}

/**
 * A Create request's devices (docker's --device HOST[:CONTAINER[:PERMS]]): each host node is
 * looked at (a symlink resolved first, as docker does) and becomes a linux.devices entry of its
 * type, numbers, mode and owner, and a devices-cgroup rule allowing the permissions. A directory
 * maps every device node below it, at the same place under the container path, as docker walks
 * it. Reads the host's filesystem, writes nothing; a bad one is INVALID_ARGUMENT naming its field.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { LinuxDevice, Spec } from '../../spec/types';
import { errnoText } from '../../common/errors';
import { invalidArgument } from '../shared/errors';
import type { DeviceMapping } from '../api/types';
import { validDeviceMode } from '../shared/docker-grammar';

/** A walk of a directory stops here: `--device /` must not read the whole filesystem. */
export const MAX_WALKED = 10_000;

/** The major and minor numbers of a dev_t as glibc encodes it. */
function deviceNumbers(rdev: bigint): { major: number; minor: number } {
  return {
    major: Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn)),
    minor: Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn)),
  };
}

function deviceOf(st: fs.BigIntStats, at: string): LinuxDevice | null {
  const type = st.isCharacterDevice() ? 'c' : st.isBlockDevice() ? 'b' : null;
  if (!type) return null;
  return { type, path: at, ...deviceNumbers(st.rdev), fileMode: Number(st.mode & 0o7777n), uid: Number(st.uid), gid: Number(st.gid) };
}

/** The device nodes under `dir`, at their place under `target` (symlinks and other files skipped). */
function walk(dir: string, target: string, field: string, seen = { n: 0 }): LinuxDevice[] {
  const found: LinuxDevice[] = [];
  for (const name of fs.readdirSync(dir).sort()) {
    if (++seen.n > MAX_WALKED) throw invalidArgument(field, `more than ${MAX_WALKED} entries under the directory: give the device nodes themselves`);
    const p = path.join(dir, name);
    const st = fs.lstatSync(p, { bigint: true });
    if (st.isDirectory()) found.push(...walk(p, path.posix.join(target, name), field, seen));
    else {
      const d = deviceOf(st, path.posix.join(target, name));
      if (d) found.push(d);
    }
  }
  return found;
}

/** The host devices `m` names, as linux.devices entries at their container paths. */
function devicesOf(m: DeviceMapping, i: number): LinuxDevice[] {
  const field = `overrides.devices[${i}]`;
  for (const key of ['hostPath', 'containerPath'] as const) {
    if (m[key].includes('\0')) throw invalidArgument(`${field}.${key === 'hostPath' ? 'host_path' : 'container_path'}`, 'contains a NUL character, which no path can hold');
  }
  if (!path.isAbsolute(m.hostPath)) throw invalidArgument(`${field}.host_path`, `${JSON.stringify(m.hostPath)} is not an absolute path`);
  const target = path.posix.normalize(m.containerPath || m.hostPath);
  if (!path.isAbsolute(target)) throw invalidArgument(`${field}.container_path`, `${JSON.stringify(m.containerPath)} is not an absolute path`);
  const gathering = (why: string) => invalidArgument(`${field}.host_path`, `error gathering device information while adding custom device ${JSON.stringify(m.hostPath)}: ${why}`);
  const fsError = (err: unknown, own: boolean) => {
    const e = err as NodeJS.ErrnoException;
    if (typeof e?.code !== 'string' || !/^E[A-Z0-9]+$/.test(e.code)) return err;
    const what = (errnoText(e.code) ?? e.code).toLowerCase();
    // realpath's error names the first missing component, not the path asked for.
    return gathering(own || !e.path ? what : `${e.path}: ${what}`);
  };
  let real: string;
  let st: fs.BigIntStats;
  try {
    real = fs.realpathSync(m.hostPath);
    st = fs.statSync(real, { bigint: true });
  } catch (err) {
    throw fsError(err, true);
  }
  if (st.isDirectory()) {
    try {
      return walk(real, target, `${field}.host_path`);
    } catch (err) {
      throw fsError(err, false);
    }
  }
  const d = deviceOf(st, target);
  if (!d) throw gathering('not a device node');
  return [d];
}

export function applyDevices(spec: Spec, mappings: readonly DeviceMapping[]): void {
  if (mappings.length === 0) return;
  const linux = (spec.linux ??= {});
  mappings.forEach((m, i) => {
    const access = m.permissions || 'rwm';
    if (!validDeviceMode(access)) throw invalidArgument(`overrides.devices[${i}].permissions`, `bad mode specified: ${JSON.stringify(m.permissions)}; give r, w and m, each at most once`);
    for (const d of devicesOf(m, i)) {
      linux.devices = [...(linux.devices ?? []).filter((e) => e.path !== d.path), d];
      const res = (linux.resources ??= {});
      res.devices = [...(res.devices ?? []), { allow: true, type: d.type as 'c' | 'b', major: d.major, minor: d.minor, access }];
    }
  });
}

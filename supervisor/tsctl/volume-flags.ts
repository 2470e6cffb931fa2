/**
 * The storage flags of `tsctl run` as docker spells them, turned into the API's overrides
 * (types.proto: volumes, volumes_from, mounts): `-v NAME:/path[:opts]`, `-v /path` (anonymous),
 * `-v /host/dir:/path[:opts]`, `--mount type=volume|bind|tmpfs,...`, `--tmpfs /path[:opts]`,
 * `--volumes-from ID[:ro|:rw]`. Pure: paths and names are checked by tsrund, which names the
 * request field; what is refused here is what the flags' own grammar does not allow.
 */
import type { FlagSpec, FlagValues } from '../../runtime/cli/args';
import { TsrunError } from '../../common/errors';
import type { Mount, VolumeMount } from '../api/types';

export const VOLUME_FLAGS: FlagSpec[] = [
  { name: 'volume', short: 'v', kind: 'list', usage: 'NAME:/path[:ro], /path (anonymous) or /host/dir:/path[:ro] (repeatable)' },
  { name: 'mount', kind: 'list', usage: 'type=volume|bind|tmpfs,source=...,target=...[,readonly][,...] (repeatable)' },
  { name: 'tmpfs', kind: 'list', usage: '/path[:size=...,mode=...] a tmpfs (repeatable)' },
  { name: 'volumes-from', kind: 'list', usage: 'ID[:ro|:rw]: mount the volumes of that container (repeatable)' },
];

export interface StorageOverrides {
  volumes: VolumeMount[];
  volumesFrom: string[];
  mounts: Mount[];
}

const PROPAGATIONS = ['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'];
/** What docker mounts a tmpfs with unless told otherwise. */
const TMPFS_DEFAULTS = ['nosuid', 'nodev', 'noexec'];

const flagError = (flag: string, value: string, why: string) =>
  new TsrunError(`${flag} ${JSON.stringify(value)}: ${why}`, { code: 'invalid-argument', subject: flag });

const volumeMount = (o: Partial<VolumeMount> & Pick<VolumeMount, 'destination'>): VolumeMount => ({
  type: 'volume',
  source: '',
  readOnly: false,
  nocopy: false,
  propagation: '',
  ...o,
});

/** The overrides the flags of `f` (parsed with VOLUME_FLAGS) ask for. */
export function storageOverrides(f: FlagValues): StorageOverrides {
  const list = (name: string) => (f[name] as string[] | undefined) ?? [];
  const volumes: VolumeMount[] = [];
  const mounts: Mount[] = [];
  for (const v of list('volume')) volumes.push(parseVolumeFlag(v));
  for (const m of list('mount')) {
    const parsed = parseMountFlag(m);
    if ('options' in parsed) mounts.push(parsed);
    else volumes.push(parsed);
  }
  for (const t of list('tmpfs')) mounts.push(parseTmpfsFlag(t));
  return { volumes, volumesFrom: list('volumes-from'), mounts };
}

/** `-v`: "/path", "NAME:/path[:opts]", "/host:/path[:opts]"; opts: ro, rw, nocopy, a propagation. */
export function parseVolumeFlag(value: string): VolumeMount {
  const parts = value.split(':');
  if (parts.length === 1) {
    if (!value.startsWith('/')) throw flagError('-v', value, 'an anonymous volume needs an absolute path in the container');
    return volumeMount({ destination: value });
  }
  if (parts.length > 3) throw flagError('-v', value, 'expected SOURCE:DESTINATION[:OPTIONS]');
  const [source, destination, opts = ''] = parts;
  if (source === '' || destination === '') throw flagError('-v', value, 'expected SOURCE:DESTINATION[:OPTIONS]');
  const bind = source.startsWith('/');
  if (!bind && (source.startsWith('.') || source.includes('/'))) {
    throw flagError('-v', value, `${source} is neither a volume name nor an absolute host path`);
  }
  const m = volumeMount({ type: bind ? 'bind' : 'volume', source, destination });
  for (const opt of opts === '' ? [] : opts.split(',')) {
    if (opt === 'ro' || opt === 'rw') m.readOnly = opt === 'ro';
    else if (opt === 'nocopy' && !bind) m.nocopy = true;
    else if (PROPAGATIONS.includes(opt) && bind) m.propagation = opt;
    else throw flagError('-v', value, `unknown option ${JSON.stringify(opt)} (for a ${bind ? 'bind: ro, rw or a propagation' : 'volume: ro, rw, nocopy'})`);
  }
  return m;
}

/** `--mount`: comma-separated key=value fields, docker's names. */
export function parseMountFlag(value: string): VolumeMount | Mount {
  const fields = new Map<string, string | null>();
  for (const field of value.split(',')) {
    const eq = field.indexOf('=');
    const key = eq < 0 ? field : field.slice(0, eq);
    if (key === '') throw flagError('--mount', value, 'an empty field');
    fields.set(key, eq < 0 ? null : field.slice(eq + 1));
  }
  const take = (...keys: string[]): string | null | undefined => {
    let found: string | null | undefined;
    for (const k of keys) {
      if (fields.has(k)) found = fields.get(k);
      fields.delete(k);
    }
    return found;
  };
  const flag = (...keys: string[]): boolean => {
    const v = take(...keys);
    if (v === undefined) return false;
    if (v === null || v === 'true' || v === '1') return true;
    if (v === 'false' || v === '0') return false;
    throw flagError('--mount', value, `${keys[0]}=${v}: expected true or false`);
  };
  const type = take('type') ?? 'volume';
  const source = take('source', 'src') ?? '';
  const destination = take('target', 'destination', 'dst') ?? '';
  const readOnly = flag('readonly', 'ro');
  if (destination === '') throw flagError('--mount', value, 'target= is required');
  let result: VolumeMount | Mount;
  if (type === 'tmpfs') {
    if (source !== '') throw flagError('--mount', value, 'a tmpfs has no source');
    const size = take('tmpfs-size');
    const mode = take('tmpfs-mode');
    result = tmpfsMount(destination, [...(readOnly ? ['ro'] : []), ...(size ? [`size=${size}`] : []), ...(mode ? [`mode=${mode}`] : [])]);
  } else if (type === 'bind') {
    if (source === '') throw flagError('--mount', value, 'a bind needs source=');
    const propagation = take('bind-propagation') ?? '';
    if (propagation !== '' && !PROPAGATIONS.includes(propagation)) throw flagError('--mount', value, `bind-propagation=${propagation}: give one of ${PROPAGATIONS.join(', ')}`);
    result = volumeMount({ type: 'bind', source, destination, readOnly, propagation });
  } else if (type === 'volume') {
    const driver = take('volume-driver');
    if (driver && driver !== 'local') throw flagError('--mount', value, `volume-driver=${driver}: only "local" volumes exist here`);
    result = volumeMount({ source, destination, readOnly, nocopy: flag('volume-nocopy') });
  } else {
    throw flagError('--mount', value, `type=${type}: give volume, bind or tmpfs`);
  }
  const left = [...fields.keys()];
  if (left.length > 0) throw flagError('--mount', value, `unknown field${left.length > 1 ? 's' : ''} ${left.join(', ')} for type=${type}`);
  return result;
}

/** `--tmpfs /path[:opts]`: opts are mount options (size=64m, mode=1777, exec, ...) after docker's defaults. */
export function parseTmpfsFlag(value: string): Mount {
  const colon = value.indexOf(':');
  const destination = colon < 0 ? value : value.slice(0, colon);
  if (!destination.startsWith('/')) throw flagError('--tmpfs', value, 'expected /PATH[:OPTIONS], the path absolute');
  const opts = colon < 0 ? [] : value.slice(colon + 1).split(',');
  if (opts.includes('')) throw flagError('--tmpfs', value, 'an empty option');
  return tmpfsMount(destination, opts);
}

function tmpfsMount(destination: string, options: string[]): Mount {
  return { destination, type: 'tmpfs', source: 'tmpfs', options: [...TMPFS_DEFAULTS, ...options] };
}

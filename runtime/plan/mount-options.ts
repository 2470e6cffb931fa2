/**
 * The `options` of a config.json mount, parsed the way runc and crun read them: known words are
 * mount(2) flags (set or cleared, the last word wins), propagation changes or bind requests;
 * every other word is filesystem data passed on verbatim ("mode=755,size=65536k").
 */
import {
  MS_BIND,
  MS_DIRSYNC,
  MS_I_VERSION,
  MS_LAZYTIME,
  MS_MANDLOCK,
  MS_NOATIME,
  MS_NODEV,
  MS_NODIRATIME,
  MS_NOEXEC,
  MS_NOSUID,
  MS_NOSYMFOLLOW,
  MS_POSIXACL,
  MS_PRIVATE,
  MS_RDONLY,
  MS_REC,
  MS_RELATIME,
  MS_REMOUNT,
  MS_SHARED,
  MS_SILENT,
  MS_SLAVE,
  MS_STRICTATIME,
  MS_SYNCHRONOUS,
  MS_UNBINDABLE,
} from './linux';
import { PlanError } from './plan-error';

export interface MountOptions {
  /** MS_* flags to set (MS_BIND and MS_REC are expressed by `bind` and `recursive` instead). */
  flags: number;
  /** MS_* flags the options explicitly clear ("rw", "suid", "exec", ...). */
  clearFlags: number;
  /** Propagation changes in the order given, each one mount(2) flags value, e.g. MS_REC|MS_PRIVATE. */
  propagation: number[];
  /** Filesystem-specific options joined by ",", "" when there are none. */
  data: string;
  /** "bind" or "rbind" was given. */
  bind: boolean;
  /** "rbind" was given. */
  recursive: boolean;
}

/** Words that set (`clear: false`) or clear (`clear: true`) a mount flag. */
const FLAG_OPTIONS: ReadonlyMap<string, { flag: number; clear: boolean }> = new Map(Object.entries({
  ro: { flag: MS_RDONLY, clear: false },
  rw: { flag: MS_RDONLY, clear: true },
  nosuid: { flag: MS_NOSUID, clear: false },
  suid: { flag: MS_NOSUID, clear: true },
  nodev: { flag: MS_NODEV, clear: false },
  dev: { flag: MS_NODEV, clear: true },
  noexec: { flag: MS_NOEXEC, clear: false },
  exec: { flag: MS_NOEXEC, clear: true },
  sync: { flag: MS_SYNCHRONOUS, clear: false },
  async: { flag: MS_SYNCHRONOUS, clear: true },
  dirsync: { flag: MS_DIRSYNC, clear: false },
  remount: { flag: MS_REMOUNT, clear: false },
  mand: { flag: MS_MANDLOCK, clear: false },
  nomand: { flag: MS_MANDLOCK, clear: true },
  noatime: { flag: MS_NOATIME, clear: false },
  atime: { flag: MS_NOATIME, clear: true },
  nodiratime: { flag: MS_NODIRATIME, clear: false },
  diratime: { flag: MS_NODIRATIME, clear: true },
  relatime: { flag: MS_RELATIME, clear: false },
  norelatime: { flag: MS_RELATIME, clear: true },
  strictatime: { flag: MS_STRICTATIME, clear: false },
  nostrictatime: { flag: MS_STRICTATIME, clear: true },
  acl: { flag: MS_POSIXACL, clear: false },
  noacl: { flag: MS_POSIXACL, clear: true },
  iversion: { flag: MS_I_VERSION, clear: false },
  noiversion: { flag: MS_I_VERSION, clear: true },
  lazytime: { flag: MS_LAZYTIME, clear: false },
  nolazytime: { flag: MS_LAZYTIME, clear: true },
  silent: { flag: MS_SILENT, clear: false },
  loud: { flag: MS_SILENT, clear: true },
  nosymfollow: { flag: MS_NOSYMFOLLOW, clear: false },
  symfollow: { flag: MS_NOSYMFOLLOW, clear: true },
  defaults: { flag: 0, clear: false },
}));

const PROPAGATION_OPTIONS: ReadonlyMap<string, number> = new Map(Object.entries({
  private: MS_PRIVATE,
  rprivate: MS_PRIVATE | MS_REC,
  shared: MS_SHARED,
  rshared: MS_SHARED | MS_REC,
  slave: MS_SLAVE,
  rslave: MS_SLAVE | MS_REC,
  unbindable: MS_UNBINDABLE,
  runbindable: MS_UNBINDABLE | MS_REC,
}));

/** Options runc knows that tsrun does not implement: refused by name rather than passed to the filesystem. */
const UNSUPPORTED_OPTIONS: ReadonlyMap<string, string> = new Map([
  ['tmpcopyup', 'copying the directory contents into the new tmpfs'],
  ['idmap', 'id-mapped mounts'],
  ['ridmap', 'id-mapped mounts'],
  ...['rro', 'rrw', 'rnosuid', 'rsuid', 'rnodev', 'rdev', 'rnoexec', 'rexec', 'rnodiratime', 'rdiratime', 'rrelatime',
    'rnorelatime', 'rnoatime', 'ratime', 'rstrictatime', 'rnostrictatime', 'rnosymfollow', 'rsymfollow']
    .map((o): [string, string] => [o, 'recursive mount attributes (mount_setattr)']),
]);

/** The propagation word of `linux.rootfsPropagation` and of mount options, as mount(2) flags. */
/** Every option the table knows (what `tsrun features` reports as mountOptions). */
export function knownMountOptions(): string[] {
  return [...FLAG_OPTIONS.keys(), ...PROPAGATION_OPTIONS.keys(), 'bind', 'rbind'];
}

export function propagationFlags(word: string): number | undefined {
  return PROPAGATION_OPTIONS.get(word);
}

/** Parse `options` (found at JSON path `at`); throws PlanError naming the option it refuses. */
export function parseMountOptions(options: readonly string[] | undefined, at: string): MountOptions {
  const parsed: MountOptions = { flags: 0, clearFlags: 0, propagation: [], data: '', bind: false, recursive: false };
  const data: string[] = [];
  (options ?? []).forEach((option, i) => {
    const known = FLAG_OPTIONS.get(option);
    const propagation = PROPAGATION_OPTIONS.get(option);
    const unsupported = UNSUPPORTED_OPTIONS.get(option);
    if (known) {
      if (known.clear) {
        parsed.flags &= ~known.flag;
        parsed.clearFlags |= known.flag;
      } else {
        parsed.flags |= known.flag;
        parsed.clearFlags &= ~known.flag;
      }
    } else if (propagation !== undefined) {
      parsed.propagation.push(propagation);
    } else if (option === 'bind' || option === 'rbind') {
      parsed.bind = true;
      parsed.recursive ||= option === 'rbind';
    } else if (unsupported) {
      throw new PlanError(`${at}[${i}]`, `mount option "${option}" is not supported (${unsupported})`);
    } else {
      data.push(option);
    }
  });
  parsed.data = data.join(',');
  return parsed;
}

/** MS_BIND plus MS_REC when recursive: the flags of the first mount(2) of a bind mount. */
export function bindFlags(options: MountOptions): number {
  return MS_BIND | (options.recursive ? MS_REC : 0);
}

/**
 * The `options` of a config.json mount, parsed the way runc and crun read them: known words are
 * mount(2) flags (set or cleared, the last word wins), recursive mount attributes for
 * mount_setattr(2) ("rro", "rnosuid", ...), propagation changes or bind requests; every other
 * word is filesystem data passed on verbatim ("mode=755,size=65536k").
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
  /** "tmpcopyup": a tmpfs starts with the contents of the directory it covers ("notmpcopyup" clears it). */
  copyUp: boolean;
  /** MOUNT_ATTR_* bits the recursive options set on the mount and every mount below it (0: none). */
  attrSet: number;
  /** MOUNT_ATTR_* bits they clear; MOUNT_ATTR__ATIME whenever an atime word was given. */
  attrClr: number;
  /** "idmap" (the bound mount only) or "ridmap" (every mount below it too): an id-mapped bind; the last word wins. */
  idmap: 'idmap' | 'ridmap' | null;
}

/** struct mount_attr bits of mount_setattr(2) (linux/mount.h). */
export const MOUNT_ATTR_RDONLY = 0x1;
export const MOUNT_ATTR_NOSUID = 0x2;
export const MOUNT_ATTR_NODEV = 0x4;
export const MOUNT_ATTR_NOEXEC = 0x8;
/** The atime setting is a 3-bit field, not a set of flags: one of RELATIME, NOATIME, STRICTATIME. */
export const MOUNT_ATTR__ATIME = 0x70;
export const MOUNT_ATTR_RELATIME = 0x0;
export const MOUNT_ATTR_NOATIME = 0x10;
export const MOUNT_ATTR_STRICTATIME = 0x20;
export const MOUNT_ATTR_NODIRATIME = 0x80;
export const MOUNT_ATTR_IDMAP = 0x100000;
export const MOUNT_ATTR_NOSYMFOLLOW = 0x200000;

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

/** crun's words for copy-up (runc knows only "tmpcopyup"); the last one wins. */
const COPY_UP_OPTIONS: ReadonlyMap<string, boolean> = new Map([
  ['tmpcopyup', true],
  ['notmpcopyup', false],
]);

/** runc's recursive words that set (`clear: false`) or clear (`clear: true`) a MOUNT_ATTR_* flag. */
const RECURSIVE_FLAG_OPTIONS: ReadonlyMap<string, { attr: number; clear: boolean }> = new Map(Object.entries({
  rro: { attr: MOUNT_ATTR_RDONLY, clear: false },
  rrw: { attr: MOUNT_ATTR_RDONLY, clear: true },
  rnosuid: { attr: MOUNT_ATTR_NOSUID, clear: false },
  rsuid: { attr: MOUNT_ATTR_NOSUID, clear: true },
  rnodev: { attr: MOUNT_ATTR_NODEV, clear: false },
  rdev: { attr: MOUNT_ATTR_NODEV, clear: true },
  rnoexec: { attr: MOUNT_ATTR_NOEXEC, clear: false },
  rexec: { attr: MOUNT_ATTR_NOEXEC, clear: true },
  rnodiratime: { attr: MOUNT_ATTR_NODIRATIME, clear: false },
  rdiratime: { attr: MOUNT_ATTR_NODIRATIME, clear: true },
  rnosymfollow: { attr: MOUNT_ATTR_NOSYMFOLLOW, clear: false },
  rsymfollow: { attr: MOUNT_ATTR_NOSYMFOLLOW, clear: true },
}));

/**
 * The recursive atime words, each the whole atime setting (the kernel takes no partial change
 * of it). The negative words fall back to relatime, as their mount(2) counterparts do: the
 * kernel's default whenever neither noatime nor strictatime is asked for.
 */
const RECURSIVE_ATIME_OPTIONS: ReadonlyMap<string, number> = new Map(Object.entries({
  rrelatime: MOUNT_ATTR_RELATIME,
  rnorelatime: MOUNT_ATTR_RELATIME,
  rnoatime: MOUNT_ATTR_NOATIME,
  ratime: MOUNT_ATTR_RELATIME,
  rstrictatime: MOUNT_ATTR_STRICTATIME,
  rnostrictatime: MOUNT_ATTR_RELATIME,
}));


/** Every option the table knows (what `tsrun features` reports as mountOptions). */
export function knownMountOptions(): string[] {
  return [
    ...FLAG_OPTIONS.keys(),
    ...RECURSIVE_FLAG_OPTIONS.keys(),
    ...RECURSIVE_ATIME_OPTIONS.keys(),
    ...PROPAGATION_OPTIONS.keys(),
    'bind',
    'rbind',
    'idmap',
    'ridmap',
    ...COPY_UP_OPTIONS.keys(),
  ];
}

/** The propagation word of `linux.rootfsPropagation` and of mount options, as mount(2) flags. */
export function propagationFlags(word: string): number | undefined {
  return PROPAGATION_OPTIONS.get(word);
}

/** A (set, cleared) pair of bit masks after a word that sets or clears `bit`: the last word wins. */
function setOrClear([set, cleared]: [number, number], bit: number, clear: boolean): [number, number] {
  return clear ? [set & ~bit, cleared | bit] : [set | bit, cleared & ~bit];
}

/** Parse `options` (found at JSON path `at`); throws PlanError naming the option it refuses. */
export function parseMountOptions(options: readonly string[] | undefined, at: string): MountOptions {
  const parsed: MountOptions = { flags: 0, clearFlags: 0, propagation: [], data: '', bind: false, recursive: false, copyUp: false, attrSet: 0, attrClr: 0, idmap: null };
  const data: string[] = [];
  let atime: number | undefined;
  (options ?? []).forEach((option) => {
    const known = FLAG_OPTIONS.get(option);
    const recursiveFlag = RECURSIVE_FLAG_OPTIONS.get(option);
    const recursiveAtime = RECURSIVE_ATIME_OPTIONS.get(option);
    const propagation = PROPAGATION_OPTIONS.get(option);
    const copyUp = COPY_UP_OPTIONS.get(option);
    if (known) {
      [parsed.flags, parsed.clearFlags] = setOrClear([parsed.flags, parsed.clearFlags], known.flag, known.clear);
    } else if (recursiveFlag) {
      [parsed.attrSet, parsed.attrClr] = setOrClear([parsed.attrSet, parsed.attrClr], recursiveFlag.attr, recursiveFlag.clear);
    } else if (recursiveAtime !== undefined) {
      atime = recursiveAtime;
    } else if (propagation !== undefined) {
      parsed.propagation.push(propagation);
    } else if (option === 'bind' || option === 'rbind') {
      parsed.bind = true;
      parsed.recursive ||= option === 'rbind';
    } else if (copyUp !== undefined) {
      parsed.copyUp = copyUp;
    } else if (option === 'idmap' || option === 'ridmap') {
      parsed.idmap = option;
    } else {
      data.push(option);
    }
  });
  if (atime !== undefined) {
    parsed.attrSet |= atime;
    parsed.attrClr |= MOUNT_ATTR__ATIME;
  }
  parsed.data = data.join(',');
  return parsed;
}

/** MS_BIND plus MS_REC when recursive: the flags of the first mount(2) of a bind mount. */
export function bindFlags(options: MountOptions): number {
  return MS_BIND | (options.recursive ? MS_REC : 0);
}

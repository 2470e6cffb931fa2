import { knownMountOptions, parseMountOptions } from './mount-options';

/** Kernel values, written out so that a wrong constant in linux.ts shows up here. */
const RDONLY = 1;
const NOSUID = 2;
const NODEV = 4;
const NOEXEC = 8;
const REC = 0x4000;
const STRICTATIME = 1 << 24;
/** MOUNT_ATTR_* of linux/mount.h. */
const ATTR_RDONLY = 0x1;
const ATTR_NOSUID = 0x2;
const ATTR_NODEV = 0x4;
const ATTR_NOEXEC = 0x8;
const ATTR_ATIME = 0x70;
const ATTR_NOATIME = 0x10;
const ATTR_STRICTATIME = 0x20;
const ATTR_NODIRATIME = 0x80;
const ATTR_NOSYMFOLLOW = 0x200000;

describe('parseMountOptions', () => {
  test('splits flags from filesystem data (the default /dev tmpfs)', () => {
    const o = parseMountOptions(['nosuid', 'strictatime', 'mode=755', 'size=65536k'], 'mounts[1].options');
    expect(o).toEqual({ flags: NOSUID | STRICTATIME, clearFlags: 0, propagation: [], data: 'mode=755,size=65536k', bind: false, recursive: false, copyUp: false, attrSet: 0, attrClr: 0, idmap: null });
  });

  test.each([
    ['ro', 1],
    ['nosuid', 2],
    ['nodev', 4],
    ['noexec', 8],
    ['sync', 16],
    ['remount', 32],
    ['mand', 64],
    ['dirsync', 128],
    ['nosymfollow', 256],
    ['noatime', 1024],
    ['nodiratime', 2048],
    ['relatime', 1 << 21],
    ['strictatime', 1 << 24],
    ['lazytime', 1 << 25],
  ])('%s sets flag %d', (option, flag) => {
    expect(parseMountOptions([option], 'o').flags).toBe(flag);
  });

  test.each([
    ['rw', 'ro', 1],
    ['suid', 'nosuid', 2],
    ['dev', 'nodev', 4],
    ['exec', 'noexec', 8],
    ['async', 'sync', 16],
    ['nomand', 'mand', 64],
    ['atime', 'noatime', 1024],
    ['diratime', 'nodiratime', 2048],
    ['norelatime', 'relatime', 1 << 21],
    ['nostrictatime', 'strictatime', 1 << 24],
  ])('%s clears what %s set', (clearing, setting, flag) => {
    const o = parseMountOptions([setting, clearing], 'o');
    expect(o.flags).toBe(0);
    expect(o.clearFlags).toBe(flag);
  });

  test('the last of two opposite words wins', () => {
    expect(parseMountOptions(['rw', 'ro'], 'o')).toMatchObject({ flags: RDONLY, clearFlags: 0 });
    expect(parseMountOptions(['ro', 'nodev', 'rw'], 'o')).toMatchObject({ flags: NODEV, clearFlags: RDONLY });
  });

  test('propagation words are kept apart, in order, with MS_REC for the r- forms', () => {
    const o = parseMountOptions(['rprivate', 'shared', 'rslave', 'unbindable', 'runbindable', 'private', 'rshared', 'slave'], 'o');
    expect(o.propagation).toEqual([
      (1 << 18) | REC,
      1 << 20,
      (1 << 19) | REC,
      1 << 17,
      (1 << 17) | REC,
      1 << 18,
      (1 << 20) | REC,
      1 << 19,
    ]);
    expect(o.flags).toBe(0);
  });

  test('bind and rbind', () => {
    expect(parseMountOptions(['bind', 'ro'], 'o')).toMatchObject({ bind: true, recursive: false, flags: RDONLY });
    expect(parseMountOptions(['rbind'], 'o')).toMatchObject({ bind: true, recursive: true, flags: 0 });
  });

  test('words that are no mount flag go to the filesystem, even ones named like object properties', () => {
    expect(parseMountOptions(['uid=1000', 'toString', 'constructor', 'newinstance'], 'o').data).toBe('uid=1000,toString,constructor,newinstance');
  });

  test('no options at all', () => {
    expect(parseMountOptions(undefined, 'o')).toEqual({
      flags: 0,
      clearFlags: 0,
      propagation: [],
      data: '',
      bind: false,
      recursive: false,
      copyUp: false,
      attrSet: 0,
      attrClr: 0,
      idmap: null,
    });
  });

  test.each([
    ['rro', ATTR_RDONLY],
    ['rnosuid', ATTR_NOSUID],
    ['rnodev', ATTR_NODEV],
    ['rnoexec', ATTR_NOEXEC],
    ['rnodiratime', ATTR_NODIRATIME],
    ['rnosymfollow', ATTR_NOSYMFOLLOW],
  ])('%s sets MOUNT_ATTR bit %d recursively, and no mount(2) flag', (option, attr) => {
    expect(parseMountOptions(['rbind', option], 'o')).toMatchObject({ attrSet: attr, attrClr: 0, flags: 0, clearFlags: 0, data: '' });
  });

  test.each([
    ['rrw', 'rro', ATTR_RDONLY],
    ['rsuid', 'rnosuid', ATTR_NOSUID],
    ['rdev', 'rnodev', ATTR_NODEV],
    ['rexec', 'rnoexec', ATTR_NOEXEC],
    ['rdiratime', 'rnodiratime', ATTR_NODIRATIME],
    ['rsymfollow', 'rnosymfollow', ATTR_NOSYMFOLLOW],
  ])('%s clears what %s set (the last word wins both ways)', (clearing, setting, attr) => {
    expect(parseMountOptions([setting, clearing], 'o')).toMatchObject({ attrSet: 0, attrClr: attr });
    expect(parseMountOptions([clearing, setting], 'o')).toMatchObject({ attrSet: attr, attrClr: 0 });
  });

  test('recursive and plain words are independent: "ro,rrw" keeps the top mount read-only and clears it below', () => {
    expect(parseMountOptions(['ro', 'rrw', 'rnosuid'], 'o')).toMatchObject({ flags: RDONLY, attrSet: ATTR_NOSUID, attrClr: ATTR_RDONLY });
  });

  test.each([
    ['rnoatime', ATTR_NOATIME],
    ['rstrictatime', ATTR_STRICTATIME],
    ['rrelatime', 0],
    ['ratime', 0],
    ['rnorelatime', 0],
    ['rnostrictatime', 0],
  ])('%s replaces the whole atime field (attrClr holds MOUNT_ATTR__ATIME), as the kernel requires', (option, atime) => {
    expect(parseMountOptions([option], 'o')).toMatchObject({ attrSet: atime, attrClr: ATTR_ATIME });
  });

  test('the last atime word wins, whatever came between', () => {
    expect(parseMountOptions(['rnoatime', 'rro', 'rstrictatime'], 'o')).toMatchObject({ attrSet: ATTR_RDONLY | ATTR_STRICTATIME, attrClr: ATTR_ATIME });
    expect(parseMountOptions(['rstrictatime', 'ratime'], 'o')).toMatchObject({ attrSet: 0, attrClr: ATTR_ATIME });
  });

  test('features lists every recursive word runc knows', () => {
    const words = ['rro', 'rrw', 'rnosuid', 'rsuid', 'rnodev', 'rdev', 'rnoexec', 'rexec', 'rnodiratime', 'rdiratime', 'rrelatime',
      'rnorelatime', 'rnoatime', 'ratime', 'rstrictatime', 'rnostrictatime', 'rnosymfollow', 'rsymfollow'];
    expect(knownMountOptions()).toEqual(expect.arrayContaining(words));
    expect(knownMountOptions()).toEqual(expect.arrayContaining(['idmap', 'ridmap']));
  });

  test('idmap and ridmap are read, the last one wins', () => {
    expect(parseMountOptions(['rbind', 'idmap'], 'o').idmap).toBe('idmap');
    expect(parseMountOptions(['idmap', 'ridmap'], 'o').idmap).toBe('ridmap');
    expect(parseMountOptions(['rbind'], 'o').idmap).toBeNull();
  });

  test('tmpcopyup asks for a copy-up, notmpcopyup takes it back; neither reaches the filesystem', () => {
    expect(parseMountOptions(['nosuid', 'tmpcopyup', 'mode=1777'], 'o')).toMatchObject({ copyUp: true, flags: NOSUID, data: 'mode=1777' });
    expect(parseMountOptions(['tmpcopyup', 'notmpcopyup'], 'o')).toMatchObject({ copyUp: false, data: '' });
    expect(parseMountOptions(['notmpcopyup', 'tmpcopyup'], 'o').copyUp).toBe(true);
  });

  test('noexec,nosuid,nodev,ro together', () => {
    expect(parseMountOptions(['nosuid', 'noexec', 'nodev', 'ro'], 'o').flags).toBe(NOSUID | NOEXEC | NODEV | RDONLY);
  });
});

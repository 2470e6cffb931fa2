import { parseMountOptions } from './mount-options';
import { PlanError } from './plan-error';

/** Kernel values, written out so that a wrong constant in linux.ts shows up here. */
const RDONLY = 1;
const NOSUID = 2;
const NODEV = 4;
const NOEXEC = 8;
const REC = 0x4000;
const STRICTATIME = 1 << 24;

describe('parseMountOptions', () => {
  test('splits flags from filesystem data (the default /dev tmpfs)', () => {
    const o = parseMountOptions(['nosuid', 'strictatime', 'mode=755', 'size=65536k'], 'mounts[1].options');
    expect(o).toEqual({ flags: NOSUID | STRICTATIME, clearFlags: 0, propagation: [], data: 'mode=755,size=65536k', bind: false, recursive: false });
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
    expect(parseMountOptions(undefined, 'o')).toEqual({ flags: 0, clearFlags: 0, propagation: [], data: '', bind: false, recursive: false });
  });

  test.each([
    ['tmpcopyup', /tmpcopyup" is not supported/],
    ['idmap', /idmap" is not supported \(id-mapped mounts\)/],
    ['ridmap', /ridmap" is not supported/],
    ['rro', /rro" is not supported \(recursive mount attributes/],
  ])('%s is refused with its JSON path', (option, message) => {
    const parse = () => parseMountOptions(['nosuid', option], 'mounts[2].options');
    expect(parse).toThrow(PlanError);
    expect(parse).toThrow(message);
    expect(parse).toThrow(/^mounts\[2\]\.options\[1\]: mount option "/);
  });

  test('noexec,nosuid,nodev,ro together', () => {
    expect(parseMountOptions(['nosuid', 'noexec', 'nodev', 'ro'], 'o').flags).toBe(NOSUID | NOEXEC | NODEV | RDONLY);
  });
});

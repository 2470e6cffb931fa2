import { deviceFilterProgram, encodeBpf, runDeviceFilter } from './device-filter';
import { effectiveDeviceRules, resolveDeviceAccess } from './devices';
import type { LinuxDeviceCgroup } from '../../spec/types';

const programFor = (devices: LinuxDeviceCgroup[]) => deviceFilterProgram(resolveDeviceAccess(effectiveDeviceRules(devices)));
const DENY_ALL: LinuxDeviceCgroup = { allow: false, access: 'rwm' };

describe('deviceFilterProgram (runc devicefilter layout)', () => {
  test("runc's defaults under deny-all: the default devices open, others do not", () => {
    const p = programFor([DENY_ALL]);
    expect(runDeviceFilter(p, 'c', 1, 3, 'rw')).toBe(1); // /dev/null
    expect(runDeviceFilter(p, 'c', 136, 7, 'rw')).toBe(1); // a pty, any minor
    expect(runDeviceFilter(p, 'c', 10, 200, 'r')).toBe(1); // /dev/net/tun
    expect(runDeviceFilter(p, 'c', 1, 1, 'r')).toBe(0); // /dev/mem
    expect(runDeviceFilter(p, 'b', 8, 0, 'r')).toBe(0);
    // mknod of any device is allowed, opening it is not
    expect(runDeviceFilter(p, 'b', 8, 0, 'm')).toBe(1);
    expect(runDeviceFilter(p, 'c', 240, 0, 'm')).toBe(1);
    expect(runDeviceFilter(p, 'c', 240, 0, 'rm')).toBe(0);
  });

  test('an access check: a rule granting r does not grant rw', () => {
    const p = programFor([DENY_ALL, { allow: true, type: 'b', major: 8, minor: 0, access: 'r' }]);
    expect(runDeviceFilter(p, 'b', 8, 0, 'r')).toBe(1);
    expect(runDeviceFilter(p, 'b', 8, 0, 'w')).toBe(0);
    expect(runDeviceFilter(p, 'b', 8, 0, 'rw')).toBe(0);
    expect(runDeviceFilter(p, 'b', 8, 1, 'r')).toBe(0);
  });

  test('allow-all with a denial: default allow, the exception denies', () => {
    const p = programFor([{ allow: true, access: 'rwm' }, { allow: false, type: 'c', major: 240, minor: 0, access: 'rwm' }]);
    expect(runDeviceFilter(p, 'c', 240, 0, 'r')).toBe(0);
    expect(runDeviceFilter(p, 'c', 240, 1, 'r')).toBe(1);
    expect(runDeviceFilter(p, 'b', 8, 0, 'rw')).toBe(1);
  });

  test('the instructions of one rule, as runc emits them', () => {
    const p = deviceFilterProgram({
      defaultAllow: false,
      reset: { allow: false, type: 'a', major: null, minor: null, access: 'rwm', source: 'x' },
      exceptions: [{ allow: true, type: 'c', major: 1, minor: 3, access: 'rw', source: 'y' }],
    });
    expect(p.map((i) => [i.code, i.dst, i.src, i.off, i.imm])).toEqual([
      [0x61, 2, 1, 0, 0],
      [0x54, 2, 0, 0, 0xffff],
      [0x61, 3, 1, 0, 0],
      [0x74, 3, 0, 0, 16],
      [0x61, 4, 1, 4, 0],
      [0x61, 5, 1, 8, 0],
      [0x55, 2, 0, 7, 2], // type != char: to the default block
      [0xbc, 1, 3, 0, 0],
      [0x54, 1, 0, 0, 6], // r|w
      [0x5d, 1, 3, 4, 0],
      [0x55, 4, 0, 3, 1],
      [0x55, 5, 0, 2, 3],
      [0xb4, 0, 0, 0, 1],
      [0x95, 0, 0, 0, 0],
      [0xb4, 0, 0, 0, 0],
      [0x95, 0, 0, 0, 0],
    ]);
    const bytes = encodeBpf(p);
    expect(bytes.length).toBe(16 * 8);
    expect([...bytes.subarray(0, 8)]).toEqual([0x61, 0x12, 0, 0, 0, 0, 0, 0]); // src R1 << 4 | dst R2
  });
});

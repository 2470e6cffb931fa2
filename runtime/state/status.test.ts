import { deriveStatus } from './status';
import { parseProcStat } from './proc';
import type { StoredState } from './store';

const base: StoredState = {
  ociVersion: '1.3.0',
  id: 'c',
  pid: 42,
  status: 'created',
  bundle: '/b',
  rootfs: '/b/rootfs',
  created: '2026-01-01T00:00:00Z',
  initStartTime: '100',
  cgroups: null,
};

describe('deriveStatus', () => {
  test('a create still in progress is creating whatever the host shows', () => {
    expect(deriveStatus({ ...base, status: 'creating' }, { initAlive: true, fifoExists: true, frozen: false })).toBe('creating');
  });
  test('an init waiting on the fifo is created', () => {
    expect(deriveStatus(base, { initAlive: true, fifoExists: true, frozen: false })).toBe('created');
  });
  test('an init released from the fifo is running', () => {
    expect(deriveStatus(base, { initAlive: true, fifoExists: false, frozen: false })).toBe('running');
  });
  test('a frozen cgroup with a live init is paused, released or not', () => {
    expect(deriveStatus(base, { initAlive: true, fifoExists: false, frozen: true })).toBe('paused');
    expect(deriveStatus(base, { initAlive: true, fifoExists: true, frozen: true })).toBe('paused');
  });
  test('a dead init is stopped even in a frozen cgroup', () => {
    expect(deriveStatus(base, { initAlive: false, fifoExists: false, frozen: true })).toBe('stopped');
  });
  test('a dead (or recycled) init is stopped, fifo or not', () => {
    expect(deriveStatus(base, { initAlive: false, fifoExists: true, frozen: false })).toBe('stopped');
    expect(deriveStatus(base, { initAlive: false, fifoExists: false, frozen: false })).toBe('stopped');
  });
});

describe('parseProcStat', () => {
  test('reads state and start time past a command name with spaces and parentheses', () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
    fields[0] = 'S';
    fields[19] = '123456';
    const stat = parseProcStat(`77 (a) b (c)) ${fields.join(' ')}`);
    expect(stat).toEqual({ state: 'S', startTime: '123456' });
  });
});

import type { LinuxResources } from '../../spec/types';
import { controllersNeeded, cpuSharesToWeight, planResourceWrites, type CgroupWrite } from './resources';

const onV1 = () => 1 as const;
const onV2 = () => 2 as const;
const files = (writes: CgroupWrite[]) => writes.map((w) => `${w.file}=${w.value}`);

const full: LinuxResources = {
  memory: { limit: 268435456, reservation: 134217728, swap: 536870912, swappiness: 10 },
  cpu: { shares: 512, quota: 50000, period: 100000, cpus: '0', mems: '0' },
  pids: { limit: 64 },
};

describe('planResourceWrites on v1', () => {
  test('every supported field, in an order the kernel accepts (memory before memory+swap, period before quota)', () => {
    expect(files(planResourceWrites(full, onV1))).toEqual([
      'memory.limit_in_bytes=268435456',
      'memory.soft_limit_in_bytes=134217728',
      'memory.memsw.limit_in_bytes=536870912',
      'memory.swappiness=10',
      'pids.max=64',
      'cpu.shares=512',
      'cpu.cfs_period_us=100000',
      'cpu.cfs_quota_us=50000',
      'cpuset.cpus=0',
      'cpuset.mems=0',
    ]);
  });

  test('-1 is unlimited, a negative pids limit is max, 0 pids is a real limit', () => {
    expect(files(planResourceWrites({ memory: { limit: -1, swap: -1 }, pids: { limit: -1 }, cpu: { quota: -1 } }, onV1))).toEqual([
      'memory.limit_in_bytes=-1',
      'memory.memsw.limit_in_bytes=-1',
      'pids.max=max',
      'cpu.cfs_quota_us=-1',
    ]);
    expect(files(planResourceWrites({ pids: { limit: 0 } }, onV1))).toEqual(['pids.max=0']);
  });

  test('0 in memory and cpu bandwidth fields means not set; absent resources write nothing', () => {
    expect(planResourceWrites({ memory: { limit: 0, swap: 0 }, cpu: { shares: 0, quota: 0, period: 0, cpus: '' } }, onV1)).toEqual([]);
    expect(planResourceWrites(undefined, onV1)).toEqual([]);
    expect(planResourceWrites({ devices: [{ allow: false, access: 'rwm' }] }, onV1)).toEqual([]);
  });

  test('each write names its field and controller', () => {
    expect(planResourceWrites({ cpu: { cpus: '0-1' } }, onV1)).toEqual([
      { field: 'linux.resources.cpu.cpus', controller: 'cpuset', version: 1, file: 'cpuset.cpus', value: '0-1' },
    ]);
  });

  test('limits beyond 2^53 are written in plain digits', () => {
    expect(files(planResourceWrites({ memory: { limit: 2 ** 62 } }, onV1))).toEqual(['memory.limit_in_bytes=4611686018427387904']);
  });
});

describe('planResourceWrites on v2', () => {
  test('converted values: memory.max, memory.low, swap apart from memory, cpu.weight, cpu.max', () => {
    expect(files(planResourceWrites({ ...full, memory: { limit: 268435456, reservation: 134217728, swap: 536870912 } }, onV2))).toEqual([
      'memory.max=268435456',
      'memory.low=134217728',
      'memory.swap.max=268435456',
      'pids.max=64',
      'cpu.weight=59',
      'cpu.max=50000 100000',
      'cpuset.cpus=0',
      'cpuset.mems=0',
    ]);
  });

  test('unlimited values become "max"', () => {
    expect(
      files(planResourceWrites({ memory: { limit: -1, swap: -1 }, pids: { limit: -5 }, cpu: { quota: -1, period: 20000 } }, onV2)),
    ).toEqual(['memory.max=max', 'memory.swap.max=max', 'pids.max=max', 'cpu.max=max 20000']);
    expect(files(planResourceWrites({ cpu: { quota: 30000 } }, onV2))).toEqual(['cpu.max=30000']);
    expect(files(planResourceWrites({ memory: { limit: -1, swap: 1000 } }, onV2))).toEqual(['memory.max=max', 'memory.swap.max=1000']);
  });

  test('swap needs a memory limit, and swappiness does not exist', () => {
    expect(() => planResourceWrites({ memory: { swap: 1000 } }, onV2)).toThrow(
      'linux.resources.memory.swap: needs linux.resources.memory.limit on cgroup v2',
    );
    expect(() => planResourceWrites({ memory: { swappiness: 0 } }, onV2)).toThrow(
      'linux.resources.memory.swappiness: cgroup v2 has no per-cgroup swappiness',
    );
  });
});

describe('cpuSharesToWeight (runc >= 1.3.2, crun >= 1.23)', () => {
  test.each([
    [2, 1],
    [1024, 100],
    [512, 59],
    [2048, 174],
    [262144, 10000],
    [1, 1],
    [1_000_000, 10000],
  ])('%i shares -> weight %i', (shares, weight) => {
    expect(cpuSharesToWeight(shares)).toBe(weight);
  });
});

describe('planResourceWrites errors', () => {
  test('a controller the host lacks is named with the field', () => {
    const noPids = (c: string) => (c === 'pids' ? null : 1);
    expect(() => planResourceWrites({ pids: { limit: 10 } }, noPids)).toThrow(
      'linux.resources.pids.limit: the pids controller is not available on this host',
    );
    expect(() => planResourceWrites({ cpu: { mems: '0' } }, () => null)).toThrow(
      'linux.resources.cpu.mems: the cpuset controller is not available on this host',
    );
    expect(() => planResourceWrites({ cpu: { period: 100000 } }, () => null)).toThrow('linux.resources.cpu.period: the cpu controller');
  });

  test('values no cgroup accepts', () => {
    expect(() => planResourceWrites({ memory: { swappiness: 101 } }, onV1)).toThrow(
      'linux.resources.memory.swappiness: must be 0 to 100, got 101',
    );
    expect(() => planResourceWrites({ memory: { limit: 1000, swap: 500 } }, onV1)).toThrow(
      'linux.resources.memory.swap: memory+swap (500) must be at least memory.limit (1000)',
    );
    expect(() => planResourceWrites({ memory: { limit: -2 } }, onV1)).toThrow(
      'linux.resources.memory.limit: must be -1 (unlimited) or a positive number of bytes, got -2',
    );
    expect(() => planResourceWrites({ memory: { limit: 1.5 } }, onV1)).toThrow('linux.resources.memory.limit: must be an integer, got 1.5');
    expect(() => planResourceWrites({ cpu: { cpus: 3 } } as unknown as LinuxResources, onV1)).toThrow(
      'linux.resources.cpu.cpus: must be a string, got 3',
    );
  });
});

test('controllersNeeded lists each controller once with the first field needing it', () => {
  expect([...controllersNeeded(planResourceWrites(full, onV1))]).toEqual([
    ['memory', 'linux.resources.memory.limit'],
    ['pids', 'linux.resources.pids.limit'],
    ['cpu', 'linux.resources.cpu.shares'],
    ['cpuset', 'linux.resources.cpu.cpus'],
  ]);
});

import type { LinuxResources } from '../../spec/types';
import { blkioWeightToIoWeight, controllersNeeded, cpuSharesToWeight, ignoredResources, planResourceWrites, type CgroupWrite } from './resources';

const onV1 = () => 1 as const;
const onV2 = (c: string) => (c === 'blkio' || c === 'net_cls' || c === 'net_prio' ? null : (2 as const));
const files = (writes: CgroupWrite[]) => writes.map((w) => `${w.file}=${w.value}`);

const full: LinuxResources = {
  memory: { limit: 268435456, reservation: 134217728, swap: 536870912, swappiness: 10 },
  cpu: { shares: 512, quota: 50000, period: 100000, cpus: '0', mems: '0' },
  pids: { limit: 64 },
};

describe('planResourceWrites on v1 (runc 1.1 files and order)', () => {
  test('cpuset, memory, cpu, pids, in an order the kernel accepts (memory before memory+swap, period before quota)', () => {
    expect(files(planResourceWrites(full, onV1))).toEqual([
      'cpuset.cpus=0',
      'cpuset.mems=0',
      'memory.limit_in_bytes=268435456',
      'memory.memsw.limit_in_bytes=536870912',
      'memory.soft_limit_in_bytes=134217728',
      'memory.swappiness=10',
      'cpu.shares=512',
      'cpu.cfs_period_us=100000',
      'cpu.cfs_quota_us=50000',
      'pids.max=64',
    ]);
  });

  test('raising memory past the current memory+swap writes memory+swap first (runc)', () => {
    const r = { memory: { limit: 512 << 20, swap: 1024 << 20 } };
    expect(files(planResourceWrites(r, onV1, { facts: { memoryLimitNow: BigInt(256 << 20) } }))).toEqual([
      'memory.memsw.limit_in_bytes=1073741824',
      'memory.limit_in_bytes=536870912',
    ]);
    // lowering: memory first
    expect(files(planResourceWrites(r, onV1, { facts: { memoryLimitNow: BigInt(2048) * BigInt(1 << 20) } }))).toEqual([
      'memory.limit_in_bytes=536870912',
      'memory.memsw.limit_in_bytes=1073741824',
    ]);
    // unlimited memory with swap unset: memory+swap unlimited too, written first
    expect(files(planResourceWrites({ memory: { limit: -1 } }, onV1, { facts: { hasMemsw: true } }))).toEqual([
      'memory.memsw.limit_in_bytes=-1',
      'memory.limit_in_bytes=-1',
    ]);
  });

  test('the other memory and cpu settings', () => {
    expect(
      files(
        planResourceWrites(
          {
            memory: { disableOOMKiller: true, useHierarchy: true, swappiness: -1 },
            cpu: { burst: 1000, idle: 1, realtimeRuntime: 5000, realtimePeriod: 100000 },
          },
          onV1,
        ),
      ),
    ).toEqual(['memory.oom_control=1', 'memory.use_hierarchy=1', 'cpu.cfs_burst_us=1000', 'cpu.idle=1', 'cpu.rt_period_us=100000', 'cpu.rt_runtime_us=5000']);
  });

  test('blkio: bfq weight files when the kernel has bfq, throttles per device', () => {
    const blockIO: LinuxResources['blockIO'] = {
      weight: 500,
      weightDevice: [{ major: 8, minor: 0, weight: 300 }],
      throttleReadBpsDevice: [{ major: 254, minor: 0, rate: 1048576 }],
      throttleWriteIOPSDevice: [{ major: 254, minor: 0, rate: 100 }],
    };
    expect(files(planResourceWrites({ blockIO }, onV1, { bfqWeight: true }))).toEqual([
      'blkio.bfq.weight=500',
      'blkio.bfq.weight_device=8:0 300',
      'blkio.throttle.read_bps_device=254:0 1048576',
      'blkio.throttle.write_iops_device=254:0 100',
    ]);
    expect(files(planResourceWrites({ blockIO: { weight: 500, leafWeight: 20 } }, onV1))).toEqual(['blkio.weight=500', 'blkio.leaf_weight=20']);
  });

  test('hugetlb, net_cls, net_prio, rdma', () => {
    const r: LinuxResources = {
      hugepageLimits: [{ pageSize: '2MB', limit: 4194304 }],
      network: { classID: 0x100001, priorities: [{ name: 'eth0', priority: 5 }] },
      rdma: { mlx5_1: { hcaHandles: 3, hcaObjects: 10000 } },
    };
    expect(files(planResourceWrites(r, onV1, { facts: { hugePageSizes: ['2MB', '1GB'] } }))).toEqual([
      'hugetlb.2MB.limit_in_bytes=4194304',
      'net_cls.classid=1048577',
      'net_prio.ifpriomap=eth0 5',
      'rdma.max=mlx5_1 hca_handle=3 hca_object=10000',
    ]);
  });

  test('-1 is unlimited, a negative pids limit is max, 0 pids is a real limit', () => {
    expect(files(planResourceWrites({ memory: { limit: -1, swap: -1 }, pids: { limit: -1 }, cpu: { quota: -1 } }, onV1))).toEqual([
      'memory.memsw.limit_in_bytes=-1',
      'memory.limit_in_bytes=-1',
      'cpu.cfs_quota_us=-1',
      'pids.max=max',
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

  test('unified is refused for v1 controllers', () => {
    expect(() => planResourceWrites({ unified: { 'memory.high': '1000' } }, onV1)).toThrow(
      'linux.resources.unified["memory.high"]: the memory controller is on cgroup v1 on this host, and unified settings apply to cgroup v2 only',
    );
  });

  test('kernel memory is ignored with a warning, as runc 1.1', () => {
    expect(planResourceWrites({ memory: { kernel: 1 << 20, kernelTCP: 1 << 20 } }, onV1)).toEqual([]);
    expect(ignoredResources({ memory: { kernel: 1 << 20 } })).toEqual([
      'linux.resources.memory.kernel: kernel memory limits are deprecated and ignored (as runc 1.1 does)',
    ]);
  });
});

describe('planResourceWrites on v2', () => {
  test('converted values, runc order: swap before memory.max before memory.low; cpu.weight, cpu.max', () => {
    expect(files(planResourceWrites({ ...full, memory: { limit: 268435456, reservation: 134217728, swap: 536870912 } }, onV2))).toEqual([
      'cpuset.cpus=0',
      'cpuset.mems=0',
      'memory.swap.max=268435456',
      'memory.max=268435456',
      'memory.low=134217728',
      'cpu.weight=59',
      'cpu.max=50000 100000',
      'pids.max=64',
    ]);
  });

  test('unlimited values become "max"', () => {
    expect(
      files(planResourceWrites({ memory: { limit: -1, swap: -1 }, pids: { limit: -5 }, cpu: { quota: -1, period: 20000 } }, onV2)),
    ).toEqual(['memory.swap.max=max', 'memory.max=max', 'cpu.max=max 20000', 'pids.max=max']);
    expect(files(planResourceWrites({ cpu: { quota: 30000 } }, onV2))).toEqual(['cpu.max=30000']);
    expect(files(planResourceWrites({ memory: { limit: -1 } }, onV2))).toEqual(['memory.swap.max=max', 'memory.max=max']);
  });

  test('io: io.weight converted when bfq is absent, io.bfq.weight when present; io.max per device', () => {
    expect(files(planResourceWrites({ blockIO: { weight: 500, throttleWriteBpsDevice: [{ major: 254, minor: 0, rate: 4096 }] } }, onV2))).toEqual([
      `io.weight=${blkioWeightToIoWeight(500n)}`,
      'io.max=254:0 wbps=4096',
    ]);
    expect(files(planResourceWrites({ blockIO: { weight: 500, weightDevice: [{ major: 8, minor: 0, weight: 20 }] } }, onV2, { bfqWeight: true }))).toEqual([
      'io.bfq.weight=500',
      'io.bfq.weight=8:0 20',
    ]);
  });

  test('hugetlb.<size>.max, cpu.idle, cpu.max.burst, unified written last', () => {
    expect(
      files(
        planResourceWrites(
          { hugepageLimits: [{ pageSize: '2MB', limit: 2097152 }], cpu: { idle: 1, burst: 500, quota: 1000 }, unified: { 'pids.max': '7', 'cgroup.max.depth': '3' } },
          onV2,
          { facts: { hugePageSizes: ['2MB'] } },
        ),
      ),
    ).toEqual(['cpu.idle=1', 'cpu.max.burst=500', 'cpu.max=1000', 'hugetlb.2MB.max=2097152', 'pids.max=7', 'cgroup.max.depth=3']);
  });

  test('settings v2 does not have are refused by name', () => {
    expect(() => planResourceWrites({ memory: { swap: 1000 } }, onV2)).toThrow(
      'linux.resources.memory.swap: cgroup v2 limits swap apart from memory, so it needs a positive linux.resources.memory.limit',
    );
    expect(() => planResourceWrites({ memory: { swappiness: 0 } }, onV2)).toThrow('linux.resources.memory.swappiness: cgroup v2 has no per-cgroup swappiness');
    expect(() => planResourceWrites({ memory: { disableOOMKiller: true } }, onV2)).toThrow('linux.resources.memory.disableOOMKiller: cgroup v2 has no switch');
    expect(() => planResourceWrites({ cpu: { realtimeRuntime: 10 } }, onV2)).toThrow('linux.resources.cpu.realtimeRuntime: cgroup v2 has no realtime');
    expect(() => planResourceWrites({ blockIO: { leafWeight: 100 } }, onV2)).toThrow('linux.resources.blockIO.leafWeight: cgroup v2 has no leaf weights');
    expect(() => planResourceWrites({ network: { classID: 1 } }, onV2)).toThrow(
      'linux.resources.network.classID: the net_cls controller is not available on this host',
    );
  });
});

describe('planResourceWrites errors', () => {
  test('a controller the host lacks is named with the field', () => {
    const noPids = (c: string) => (c === 'pids' ? null : 1);
    expect(() => planResourceWrites({ pids: { limit: 10 } }, noPids)).toThrow('linux.resources.pids.limit: the pids controller is not available on this host');
    expect(() => planResourceWrites({ cpu: { mems: '0' } }, () => null)).toThrow('linux.resources.cpu.mems: the cpuset controller is not available on this host');
    expect(() => planResourceWrites({ cpu: { period: 100000 } }, () => null)).toThrow('linux.resources.cpu.period: the cpu controller');
    expect(() => planResourceWrites({ rdma: { mlx5_1: { hcaHandles: 1 } } }, () => null)).toThrow(
      'linux.resources.rdma: the rdma controller is not available on this host',
    );
    expect(() => planResourceWrites({ blockIO: { weight: 100 } }, () => null)).toThrow('linux.resources.blockIO.weight: the blkio (v1) or io (v2) controller');
  });

  test('values no cgroup accepts', () => {
    expect(() => planResourceWrites({ memory: { swappiness: 101 } }, onV1)).toThrow('linux.resources.memory.swappiness: must be 0 to 100, got 101');
    expect(() => planResourceWrites({ memory: { limit: 1000, swap: 500 } }, onV1)).toThrow(
      'linux.resources.memory.swap: memory+swap (500) must be at least memory.limit (1000)',
    );
    expect(() => planResourceWrites({ memory: { limit: -2 } }, onV1)).toThrow(
      'linux.resources.memory.limit: must be -1 (unlimited) or a positive number of bytes, got -2',
    );
    expect(() => planResourceWrites({ memory: { limit: 1.5 } }, onV1)).toThrow('linux.resources.memory.limit: must be an integer, got 1.5');
    expect(() => planResourceWrites({ cpu: { cpus: 3 } } as unknown as LinuxResources, onV1)).toThrow('linux.resources.cpu.cpus: must be a string, got 3');
    expect(() => planResourceWrites({ blockIO: { weight: 5 } }, onV1)).toThrow('linux.resources.blockIO.weight: must be 10 to 1000, got 5');
    expect(() => planResourceWrites({ hugepageLimits: [{ pageSize: '3MB', limit: 1 }] }, onV1, { facts: { hugePageSizes: ['2MB', '1GB'] } })).toThrow(
      'linux.resources.hugepageLimits[0].pageSize: "3MB" is not a huge page size of this host (2MB, 1GB)',
    );
    expect(() => planResourceWrites({ unified: { '../x': '1' } }, onV2)).toThrow('linux.resources.unified["../x"]: must be a file name (no "/", not "." or "..")');
    // `update -r` resources never went through config validation: the planner refuses them too.
    expect(() => planResourceWrites({ unified: { 'cgroup.procs': '1' } }, onV2)).toThrow('linux.resources.unified["cgroup.procs"]: is a cgroup core file, not a resource');
    expect(() => planResourceWrites({ unified: { nodot: '1' } }, onV2)).toThrow('must be in the form CONTROLLER.PARAMETER');
  });
});

test('controllersNeeded lists each controller once with the first field needing it, never "cgroup"', () => {
  expect([...controllersNeeded(planResourceWrites({ ...full, memory: { limit: 1 << 20, swap: 2 << 20 }, unified: { 'cgroup.max.depth': '2' } }, onV2))]).toEqual([
    ['cpuset', 'linux.resources.cpu.cpus'],
    ['memory', 'linux.resources.memory.swap'],
    ['cpu', 'linux.resources.cpu.shares'],
    ['pids', 'linux.resources.pids.limit'],
  ]);
});

describe('conversions', () => {
  test.each([
    [2, 1],
    [1024, 100],
    [512, 59],
    [2048, 174],
    [262144, 10000],
    [1, 1],
    [1_000_000, 10000],
  ])('cpuSharesToWeight (runc >= 1.3.2, crun >= 1.23): %i shares -> weight %i', (shares, weight) => {
    expect(cpuSharesToWeight(shares)).toBe(weight);
  });

  test.each([
    [10n, 1n],
    [500n, 4950n],
    [1000n, 10000n],
  ])('blkioWeightToIoWeight (runc): %s -> %s', (w, io) => {
    expect(blkioWeightToIoWeight(w)).toBe(io);
  });
});

/**
 * linux.resources -> cgroup files, as runc 1.1 writes them. One planner per group of settings
 * (memory, cpu, pids, blockIO, ...): it reads its fields, checks them, asks which version of
 * hierarchy holds its controller on this host, and returns the ordered writes, or an error naming
 * the config field. Planning is pure: what it must know of the live cgroup (the v1 memory limit
 * now, whether swap accounting exists, the host's huge page sizes) comes in as `facts`.
 * linux.resources.devices is planned apart (devices.ts).
 *
 * Conventions follow runc: a 0 in memory.limit/reservation/swap, cpu.shares/quota/period,
 * realtime and blkio weights means "not set"; -1 means unlimited. pids.limit follows
 * runtime-spec 1.3: a negative value is "max", 0 is a real limit.
 */
import type { LinuxResources } from '../../spec/types';
import { unifiedKeyProblem } from '../../spec/rules';
import { CgroupError } from './errors';

/** The part of linux.resources these planners read (OCI field names). */
export type CgroupResources = LinuxResources;

export interface CgroupWrite {
  /** JSON path of the config field the value comes from. */
  field: string;
  controller: string;
  version: 1 | 2;
  file: string;
  value: string;
  /**
   * On EINVAL, try this write again after the next write to the same controller (runc: a shorter
   * cpu period or a larger burst can exceed the parent's quota until the new quota is written).
   */
  retryAfterNext?: boolean;
  /** After writing, read the file back: a message when the kernel stored another value. */
  readBack?(stored: string): string | null;
}

/** The version of the hierarchy that holds `controller` on this host, or null when none does. */
export type LocateController = (controller: string) => 1 | 2 | null;

/** What planning must know of the host and the live cgroup. */
export interface PlanFacts {
  /** v1: memory.limit_in_bytes of the container's cgroup now (update); absent for a new cgroup. */
  memoryLimitNow?: bigint;
  /** v1: the memsw files exist (swap accounting is on). */
  hasMemsw?: boolean;
  /** The huge page sizes of this host as cgroup files spell them ("2MB", "1GB"). */
  hugePageSizes?: string[];
}

const jsonPath = (field: string) => `linux.resources.${field}`;

type Group = Record<string, unknown>;

function groupOf(r: CgroupResources, name: string): Group | undefined {
  const g = (r as Record<string, unknown>)[name];
  if (g === undefined || g === null) return undefined;
  if (typeof g !== 'object' || Array.isArray(g)) throw new CgroupError(`${jsonPath(name)}: must be an object, got ${JSON.stringify(g)}`);
  return g as Group;
}

/** An integer field; undefined when absent (or 0 where 0 means "not set"). */
function int(g: Group | undefined, path: string, key: string, zeroUnset: boolean): bigint | undefined {
  const v = g?.[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new CgroupError(`${jsonPath(path)}: must be an integer, got ${JSON.stringify(v)}`);
  if (v === 0 && zeroUnset) return undefined;
  // BigInt keeps large limits in plain digits (String(1e21) would be "1e+21").
  return BigInt(v);
}

function text(g: Group | undefined, path: string, key: string): string | undefined {
  const v = g?.[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new CgroupError(`${jsonPath(path)}: must be a string, got ${JSON.stringify(v)}`);
  return v;
}

function bool(g: Group | undefined, path: string, key: string): boolean | undefined {
  const v = g?.[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new CgroupError(`${jsonPath(path)}: must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

function list(g: Group | undefined, path: string, key: string): Group[] {
  const v = g?.[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new CgroupError(`${jsonPath(path)}: must be a list, got ${JSON.stringify(v)}`);
  return v.map((e, i) => {
    if (typeof e !== 'object' || e === null || Array.isArray(e)) throw new CgroupError(`${jsonPath(`${path}[${i}]`)}: must be an object`);
    return e as Group;
  });
}

/** For byte limits: -1 (unlimited) or a positive amount. */
function checkLimit(v: bigint | undefined, path: string): void {
  if (v !== undefined && v !== -1n && v <= 0n) {
    throw new CgroupError(`${jsonPath(path)}: must be -1 (unlimited) or a positive number of bytes, got ${v}`);
  }
}

function checkRange(v: bigint | undefined, path: string, min: bigint, max: bigint): void {
  if (v !== undefined && (v < min || v > max)) throw new CgroupError(`${jsonPath(path)}: must be ${min} to ${max}, got ${v}`);
}

const maxOr = (v: bigint) => (v < 0n ? 'max' : v.toString());

/**
 * cpu.shares (v1, 2..262144, default 1024) -> cpu.weight (v2, 1..10000, default 100) with the
 * log-quadratic curve runc (>= 1.3.2) and crun (>= 1.23) use: it maps 2 -> 1, 1024 -> 100 and
 * 262144 -> 10000, so default shares give the default weight (runc 1.1's linear formula gave 39).
 */
export function cpuSharesToWeight(shares: number): number {
  if (shares <= 2) return 1;
  if (shares >= 262144) return 10000;
  const l = Math.log2(shares);
  return Math.ceil(Math.pow(10, (l * l + 125 * l) / 612 - 7 / 34));
}

/** blkio weight (10..1000) -> io.weight (1..10000), runc's linear formula. */
export function blkioWeightToIoWeight(weight: bigint): bigint {
  return 1n + ((weight - 10n) * 9999n) / 990n;
}

/** The write list of one planner: each entry knows its field, controller and version. */
class Writes {
  readonly all: CgroupWrite[] = [];
  constructor(private readonly locate: LocateController) {}

  /** The version holding `controller`, or an error naming `field`. */
  version(controller: string, field: string): 1 | 2 {
    const v = this.locate(controller);
    if (v === null) throw new CgroupError(`${jsonPath(field)}: the ${controller} controller is not available on this host`);
    return v;
  }

  /** The version of a controller that v1 and v2 name differently. */
  locateV1OrV2(v1Name: string, v2Name: string, field: string): 1 | 2 {
    if (this.locate(v1Name) === 1) return 1;
    if (this.locate(v2Name) === 2) return 2;
    throw new CgroupError(`${jsonPath(field)}: the ${v1Name} (v1) or ${v2Name} (v2) controller is not available on this host`);
  }

  add(field: string, controller: string, version: 1 | 2, file: string, value: string, extra: Partial<CgroupWrite> = {}): void {
    this.all.push({ field: jsonPath(field), controller, version, file, value, ...extra });
  }
}

function wrongVersion(field: string, why: string): never {
  throw new CgroupError(`${jsonPath(field)}: ${why}`);
}

function planCpuset(r: CgroupResources, w: Writes): void {
  const cpu = groupOf(r, 'cpu');
  for (const key of ['cpus', 'mems'] as const) {
    const v = text(cpu, `cpu.${key}`, key);
    if (v === undefined) continue;
    w.add(`cpu.${key}`, 'cpuset', w.version('cpuset', `cpu.${key}`), `cpuset.${key}`, v);
  }
}

/**
 * runc's v2 swap: OCI swap is memory+swap (v1's memsw counter), v2 limits swap alone; memory -1
 * with swap unset means both unlimited.
 */
function v2SwapValue(swap: bigint | undefined, limit: bigint | undefined): string | undefined {
  if (limit === -1n && swap === undefined) return 'max';
  if (swap === undefined) return undefined;
  if (swap === -1n) return 'max';
  if (limit === undefined || limit === -1n) {
    wrongVersion('memory.swap', 'cgroup v2 limits swap apart from memory, so it needs a positive linux.resources.memory.limit');
  }
  if (swap < limit) wrongVersion('memory.swap', `memory+swap (${swap}) must be at least memory.limit (${limit})`);
  return (swap - limit).toString();
}

function planMemory(r: CgroupResources, w: Writes, facts: PlanFacts): void {
  const m = groupOf(r, 'memory');
  if (!m) return;
  const limit = int(m, 'memory.limit', 'limit', true);
  const reservation = int(m, 'memory.reservation', 'reservation', true);
  let swap = int(m, 'memory.swap', 'swap', true);
  const swappiness = int(m, 'memory.swappiness', 'swappiness', false);
  const disableOOMKiller = bool(m, 'memory.disableOOMKiller', 'disableOOMKiller');
  const useHierarchy = bool(m, 'memory.useHierarchy', 'useHierarchy');
  bool(m, 'memory.checkBeforeUpdate', 'checkBeforeUpdate');
  int(m, 'memory.kernel', 'kernel', true);
  int(m, 'memory.kernelTCP', 'kernelTCP', true);
  checkLimit(limit, 'memory.limit');
  checkLimit(reservation, 'memory.reservation');
  checkLimit(swap, 'memory.swap');
  if (swappiness !== undefined && swappiness !== -1n) checkRange(swappiness, 'memory.swappiness', 0n, 100n);
  const set = [limit, reservation, swap].some((v) => v !== undefined) || (swappiness !== undefined && swappiness !== -1n) || disableOOMKiller || useHierarchy !== undefined;
  if (!set) return;
  const first = limit !== undefined ? 'memory.limit' : reservation !== undefined ? 'memory.reservation' : swap !== undefined ? 'memory.swap' : 'memory';
  const version = w.version('memory', first);
  if (version === 2) {
    if (swappiness !== undefined && swappiness !== -1n) wrongVersion('memory.swappiness', 'cgroup v2 has no per-cgroup swappiness (memory.swappiness is v1 only)');
    if (disableOOMKiller) wrongVersion('memory.disableOOMKiller', 'cgroup v2 has no switch to disable the OOM killer (memory.oom_control is v1 only)');
    if (useHierarchy === false) wrongVersion('memory.useHierarchy', 'cgroup v2 is always hierarchical');
    // runc's order: swap first, then the limit, then the reservation.
    const swapValue = v2SwapValue(swap, limit);
    if (swapValue !== undefined) w.add('memory.swap', 'memory', 2, 'memory.swap.max', swapValue);
    if (limit !== undefined) w.add('memory.limit', 'memory', 2, 'memory.max', maxOr(limit));
    if (reservation !== undefined) w.add('memory.reservation', 'memory', 2, 'memory.low', maxOr(reservation));
    return;
  }
  if (swap !== undefined && swap !== -1n && limit !== undefined && limit > 0n && swap < limit) {
    wrongVersion('memory.swap', `memory+swap (${swap}) must be at least memory.limit (${limit})`);
  }
  // runc: an unlimited memory with swap unset makes memory+swap unlimited too.
  if (limit === -1n && swap === undefined && facts.hasMemsw) swap = -1n;
  const limitWrite = () => limit !== undefined && w.add('memory.limit', 'memory', 1, 'memory.limit_in_bytes', limit.toString());
  const swapWrite = () => swap !== undefined && w.add('memory.swap', 'memory', 1, 'memory.memsw.limit_in_bytes', swap.toString());
  // The kernel keeps memory <= memory+swap at every step: raising both past the current limit
  // must raise memory+swap first (runc's rule).
  const now = facts.memoryLimitNow;
  if (limit !== undefined && swap !== undefined && (swap === -1n || (now !== undefined && now < swap))) {
    swapWrite();
    limitWrite();
  } else {
    limitWrite();
    swapWrite();
  }
  if (reservation !== undefined) w.add('memory.reservation', 'memory', 1, 'memory.soft_limit_in_bytes', reservation.toString());
  if (disableOOMKiller) w.add('memory.disableOOMKiller', 'memory', 1, 'memory.oom_control', '1');
  if (useHierarchy !== undefined) w.add('memory.useHierarchy', 'memory', 1, 'memory.use_hierarchy', useHierarchy ? '1' : '0');
  if (swappiness !== undefined && swappiness !== -1n) w.add('memory.swappiness', 'memory', 1, 'memory.swappiness', swappiness.toString());
}

function planCpu(r: CgroupResources, w: Writes): void {
  const c = groupOf(r, 'cpu');
  if (!c) return;
  const shares = int(c, 'cpu.shares', 'shares', true);
  const quota = int(c, 'cpu.quota', 'quota', true);
  const period = int(c, 'cpu.period', 'period', true);
  const burst = int(c, 'cpu.burst', 'burst', false);
  const rtRuntime = int(c, 'cpu.realtimeRuntime', 'realtimeRuntime', true);
  const rtPeriod = int(c, 'cpu.realtimePeriod', 'realtimePeriod', true);
  const idle = int(c, 'cpu.idle', 'idle', false);
  if (shares !== undefined && shares < 0n) wrongVersion('cpu.shares', 'must not be negative');
  if (period !== undefined && period < 0n) wrongVersion('cpu.period', 'must not be negative');
  if (burst !== undefined && burst < 0n) wrongVersion('cpu.burst', 'must not be negative');
  if (rtPeriod !== undefined && rtPeriod < 0n) wrongVersion('cpu.realtimePeriod', 'must not be negative');
  checkRange(idle, 'cpu.idle', 0n, 1n);
  const fields: [string, unknown][] = [
    ['cpu.shares', shares],
    ['cpu.quota', quota],
    ['cpu.period', period],
    ['cpu.burst', burst],
    ['cpu.realtimeRuntime', rtRuntime],
    ['cpu.realtimePeriod', rtPeriod],
    ['cpu.idle', idle],
  ];
  const first = fields.find(([, v]) => v !== undefined);
  if (!first) return;
  const version = w.version('cpu', first[0]);
  if (version === 2) {
    if (rtRuntime !== undefined || rtPeriod !== undefined) {
      wrongVersion(rtRuntime !== undefined ? 'cpu.realtimeRuntime' : 'cpu.realtimePeriod', 'cgroup v2 has no realtime cpu bandwidth (cpu.rt_* is v1 only)');
    }
    if (idle !== undefined) w.add('cpu.idle', 'cpu', 2, 'cpu.idle', idle.toString());
    if (shares !== undefined) w.add('cpu.shares', 'cpu', 2, 'cpu.weight', String(cpuSharesToWeight(Number(shares))));
    if (burst !== undefined) w.add('cpu.burst', 'cpu', 2, 'cpu.max.burst', burst.toString(), { retryAfterNext: quota !== undefined });
    if (quota !== undefined || period !== undefined) {
      const max = quota === undefined || quota < 0n ? 'max' : quota.toString();
      w.add(quota !== undefined ? 'cpu.quota' : 'cpu.period', 'cpu', 2, 'cpu.max', period === undefined ? max : `${max} ${period}`);
    }
    return;
  }
  if (shares !== undefined) {
    w.add('cpu.shares', 'cpu', 1, 'cpu.shares', shares.toString(), {
      readBack: (stored) => {
        const got = BigInt(stored.trim());
        if (shares > got) return `the maximum allowed cpu-shares is ${got}`;
        if (shares < got) return `the minimum allowed cpu-shares is ${got}`;
        return null;
      },
    });
  }
  if (period !== undefined) w.add('cpu.period', 'cpu', 1, 'cpu.cfs_period_us', period.toString(), { retryAfterNext: quota !== undefined });
  if (quota !== undefined) w.add('cpu.quota', 'cpu', 1, 'cpu.cfs_quota_us', (quota < 0n ? -1n : quota).toString());
  if (burst !== undefined) w.add('cpu.burst', 'cpu', 1, 'cpu.cfs_burst_us', burst.toString());
  if (idle !== undefined) w.add('cpu.idle', 'cpu', 1, 'cpu.idle', idle.toString());
  if (rtPeriod !== undefined) w.add('cpu.realtimePeriod', 'cpu', 1, 'cpu.rt_period_us', rtPeriod.toString());
  if (rtRuntime !== undefined) w.add('cpu.realtimeRuntime', 'cpu', 1, 'cpu.rt_runtime_us', rtRuntime.toString());
}

function planPids(r: CgroupResources, w: Writes): void {
  const p = groupOf(r, 'pids');
  const limit = int(p, 'pids.limit', 'limit', false);
  if (limit === undefined) return;
  w.add('pids.limit', 'pids', w.version('pids', 'pids.limit'), 'pids.max', maxOr(limit));
}

function device(e: Group, path: string): string {
  const major = int(e, `${path}.major`, 'major', false);
  const minor = int(e, `${path}.minor`, 'minor', false);
  if (major === undefined || minor === undefined) wrongVersion(path, 'needs major and minor');
  if (major < 0n || minor < 0n) wrongVersion(path, 'major and minor must not be negative');
  return `${major}:${minor}`;
}

function planBlockIO(r: CgroupResources, w: Writes, bfqWeight: boolean): void {
  const b = groupOf(r, 'blockIO');
  if (!b) return;
  const weight = int(b, 'blockIO.weight', 'weight', true);
  const leafWeight = int(b, 'blockIO.leafWeight', 'leafWeight', true);
  checkRange(weight, 'blockIO.weight', 10n, 1000n);
  checkRange(leafWeight, 'blockIO.leafWeight', 10n, 1000n);
  const weightDevices = list(b, 'blockIO.weightDevice', 'weightDevice');
  const throttles = (['throttleReadBpsDevice', 'throttleWriteBpsDevice', 'throttleReadIOPSDevice', 'throttleWriteIOPSDevice'] as const).map(
    (key) => [key, list(b, `blockIO.${key}`, key)] as const,
  );
  const setField = [
    weight !== undefined && 'blockIO.weight',
    leafWeight !== undefined && 'blockIO.leafWeight',
    weightDevices.length > 0 && 'blockIO.weightDevice',
    ...throttles.map(([key, l]) => l.length > 0 && `blockIO.${key}`),
  ].find((f): f is string => typeof f === 'string');
  if (!setField) return;
  // v1 calls the controller blkio, v2 io.
  const v1 = w.locateV1OrV2('blkio', 'io', setField) === 1;
  if (v1) {
    // runc: the bfq scheduler's files when the kernel has them, else CFQ's.
    const weightFile = bfqWeight ? 'blkio.bfq.weight' : 'blkio.weight';
    const weightDeviceFile = bfqWeight ? 'blkio.bfq.weight_device' : 'blkio.weight_device';
    if (weight !== undefined) w.add('blockIO.weight', 'blkio', 1, weightFile, weight.toString());
    if (leafWeight !== undefined) w.add('blockIO.leafWeight', 'blkio', 1, 'blkio.leaf_weight', leafWeight.toString());
    weightDevices.forEach((d, i) => {
      const path = `blockIO.weightDevice[${i}]`;
      const dev = device(d, path);
      const dw = int(d, `${path}.weight`, 'weight', true);
      const dl = int(d, `${path}.leafWeight`, 'leafWeight', true);
      if (dw !== undefined) w.add(`${path}.weight`, 'blkio', 1, weightDeviceFile, `${dev} ${dw}`);
      if (dl !== undefined) w.add(`${path}.leafWeight`, 'blkio', 1, 'blkio.leaf_weight_device', `${dev} ${dl}`);
    });
    const files = {
      throttleReadBpsDevice: 'blkio.throttle.read_bps_device',
      throttleWriteBpsDevice: 'blkio.throttle.write_bps_device',
      throttleReadIOPSDevice: 'blkio.throttle.read_iops_device',
      throttleWriteIOPSDevice: 'blkio.throttle.write_iops_device',
    };
    for (const [key, l] of throttles) {
      l.forEach((d, i) => {
        const path = `blockIO.${key}[${i}]`;
        w.add(path, 'blkio', 1, files[key], `${device(d, path)} ${int(d, `${path}.rate`, 'rate', false) ?? 0n}`);
      });
    }
    return;
  }
  if (leafWeight !== undefined) wrongVersion('blockIO.leafWeight', 'cgroup v2 has no leaf weights');
  if (weight !== undefined) {
    if (bfqWeight) w.add('blockIO.weight', 'io', 2, 'io.bfq.weight', weight.toString());
    else w.add('blockIO.weight', 'io', 2, 'io.weight', blkioWeightToIoWeight(weight).toString());
  }
  weightDevices.forEach((d, i) => {
    const path = `blockIO.weightDevice[${i}]`;
    const dev = device(d, path);
    if (int(d, `${path}.leafWeight`, 'leafWeight', true) !== undefined) wrongVersion(`${path}.leafWeight`, 'cgroup v2 has no leaf weights');
    const dw = int(d, `${path}.weight`, 'weight', true);
    if (dw === undefined) return;
    // Only the bfq scheduler takes per-device weights on v2 (runc).
    if (!bfqWeight) wrongVersion(`${path}.weight`, 'per-device weights on cgroup v2 need the bfq I/O scheduler (io.bfq.weight), which this host lacks');
    w.add(`${path}.weight`, 'io', 2, 'io.bfq.weight', `${dev} ${dw}`);
  });
  const keys = { throttleReadBpsDevice: 'rbps', throttleWriteBpsDevice: 'wbps', throttleReadIOPSDevice: 'riops', throttleWriteIOPSDevice: 'wiops' };
  for (const [key, l] of throttles) {
    l.forEach((d, i) => {
      const path = `blockIO.${key}[${i}]`;
      w.add(path, 'io', 2, 'io.max', `${device(d, path)} ${keys[key]}=${int(d, `${path}.rate`, 'rate', false) ?? 0n}`);
    });
  }
}

function planHugepages(r: CgroupResources, w: Writes, facts: PlanFacts): void {
  const limits = list(r as Group, 'hugepageLimits', 'hugepageLimits');
  limits.forEach((h, i) => {
    const path = `hugepageLimits[${i}]`;
    const size = text(h, `${path}.pageSize`, 'pageSize');
    const limit = int(h, `${path}.limit`, 'limit', false);
    if (size === undefined) wrongVersion(`${path}.pageSize`, 'is missing');
    if (limit === undefined) wrongVersion(`${path}.limit`, 'is missing');
    const sizes = facts.hugePageSizes ?? [];
    if (!sizes.includes(size)) {
      wrongVersion(`${path}.pageSize`, `${JSON.stringify(size)} is not a huge page size of this host (${sizes.join(', ') || 'none'})`);
    }
    const version = w.version('hugetlb', path);
    w.add(path, 'hugetlb', version, version === 1 ? `hugetlb.${size}.limit_in_bytes` : `hugetlb.${size}.max`, version === 1 ? limit.toString() : maxOr(limit));
  });
}

function planNetwork(r: CgroupResources, w: Writes): void {
  const n = groupOf(r, 'network');
  if (!n) return;
  const classID = int(n, 'network.classID', 'classID', false);
  if (classID !== undefined) {
    if (w.version('net_cls', 'network.classID') === 2) wrongVersion('network.classID', 'cgroup v2 has no net_cls controller');
    w.add('network.classID', 'net_cls', 1, 'net_cls.classid', classID.toString());
  }
  list(n, 'network.priorities', 'priorities').forEach((p, i) => {
    const path = `network.priorities[${i}]`;
    const name = text(p, `${path}.name`, 'name');
    const prio = int(p, `${path}.priority`, 'priority', false);
    if (name === undefined || prio === undefined) wrongVersion(path, 'needs name and priority');
    if (w.version('net_prio', path) === 2) wrongVersion(path, 'cgroup v2 has no net_prio controller');
    w.add(path, 'net_prio', 1, 'net_prio.ifpriomap', `${name} ${prio}`);
  });
}

function planRdma(r: CgroupResources, w: Writes): void {
  const rdma = groupOf(r, 'rdma');
  if (!rdma) return;
  for (const [dev, limits] of Object.entries(rdma)) {
    const path = `rdma[${JSON.stringify(dev)}]`;
    const g = groupOf({ x: limits } as unknown as CgroupResources, 'x');
    const handles = int(g, `${path}.hcaHandles`, 'hcaHandles', false);
    const objects = int(g, `${path}.hcaObjects`, 'hcaObjects', false);
    const version = w.version('rdma', path.replace(/\[.*$/, ''));
    const parts = [handles !== undefined && `hca_handle=${handles}`, objects !== undefined && `hca_object=${objects}`].filter(Boolean);
    if (parts.length === 0) continue;
    w.add(path, 'rdma', version, 'rdma.max', `${dev} ${parts.join(' ')}`);
  }
}

/**
 * linux.resources.unified: written last, so it wins over the fields above (runc). On a hybrid host
 * a key goes to the container's v2 cgroup when its controller lives in the unified hierarchy; runc
 * refuses unified on v1 controllers, and so does tsrun.
 */
function planUnified(r: CgroupResources, w: Writes): void {
  const u = groupOf(r, 'unified');
  if (!u) return;
  for (const [key, value] of Object.entries(u)) {
    const path = `unified[${JSON.stringify(key)}]`;
    if (typeof value !== 'string') wrongVersion(path, `must be a string, got ${JSON.stringify(value)}`);
    // Checked here too: `update -r` brings resources that config validation never saw.
    const problem = unifiedKeyProblem(key);
    if (problem) wrongVersion(path, problem);
    const controller = key.slice(0, key.indexOf('.'));
    if (controller === 'cgroup') {
      if (w.version('cgroup', path) !== 2) wrongVersion(path, 'this host has no cgroup v2 hierarchy');
      w.add(path, 'cgroup', 2, key, value);
      continue;
    }
    const version = w.version(controller, path);
    if (version === 1) wrongVersion(path, `the ${controller} controller is on cgroup v1 on this host, and unified settings apply to cgroup v2 only`);
    w.add(path, controller, 2, key, value);
  }
}

export interface PlanOptions {
  facts?: PlanFacts;
  /** The blkio/io hierarchy has bfq's weight files (runc prefers them). */
  bfqWeight?: boolean;
}

/**
 * The writes that apply `resources` on this host, in order: cpuset, memory, cpu, pids, blkio,
 * hugetlb, net_cls, net_prio, rdma (runc's v1 order), then unified. Throws a CgroupError naming
 * the field for a value no cgroup accepts, a controller no hierarchy has, or a setting the
 * controller's cgroup version lacks.
 */
export function planResourceWrites(resources: LinuxResources | undefined, locate: LocateController, options: PlanOptions = {}): CgroupWrite[] {
  if (resources === undefined || resources === null) return [];
  if (typeof resources !== 'object' || Array.isArray(resources)) throw new CgroupError('linux.resources: must be an object');
  const r = resources as CgroupResources;
  const facts = options.facts ?? {};
  const w = new Writes(locate);
  planCpuset(r, w);
  planMemory(r, w, facts);
  planCpu(r, w);
  planPids(r, w);
  planBlockIO(r, w, options.bfqWeight ?? false);
  planHugepages(r, w, facts);
  planNetwork(r, w);
  planRdma(r, w);
  planUnified(r, w);
  return w.all;
}

/** What a config asks that tsrun (as runc 1.1) ignores, one line each for a warning. */
export function ignoredResources(resources: LinuxResources | undefined): string[] {
  const m = (resources as CgroupResources | undefined)?.memory;
  const notes: string[] = [];
  for (const key of ['kernel', 'kernelTCP'] as const) {
    const v = m?.[key];
    if (typeof v === 'number' && v !== 0) notes.push(`linux.resources.memory.${key}: kernel memory limits are deprecated and ignored (as runc 1.1 does)`);
  }
  return notes;
}

/** The controllers a list of writes needs enabled in cgroup.subtree_control, each with the first field that needs it. */
export function controllersNeeded(writes: CgroupWrite[]): Map<string, string> {
  const needed = new Map<string, string>();
  for (const w of writes) if (w.controller !== 'cgroup' && !needed.has(w.controller)) needed.set(w.controller, w.field);
  return needed;
}

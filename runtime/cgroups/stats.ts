/**
 * A container's resource usage as `runc events` reports it (runc 1.1's types.Stats JSON: the same
 * keys, and the same fields left out when zero). The parsers are pure; readCgroupStats() reads
 * the files of the container's cgroups through its manager.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { CgroupManager } from './manager';
import { hasErrno } from '../../common/errors';

/**
 * A kernel counter. A number: past 2^53 (v1's "no limit", 9223372036854771712) it is the nearest
 * double, which is what JSON readers of runc's output get too.
 */
export type U64 = number;

export interface MemoryEntry {
  limit: U64;
  usage?: U64;
  max?: U64;
  failcnt: U64;
}

export interface BlkioEntry {
  major?: number;
  minor?: number;
  op?: string;
  value?: number;
}

export interface Stats {
  cpu: {
    usage: { total?: number; percpu?: number[]; percpu_kernel?: number[]; percpu_user?: number[]; kernel: number; user: number };
    throttling: { periods?: number; throttledPeriods?: number; throttledTime?: number };
  };
  cpuset: Record<string, number | number[]>;
  memory: { cache?: U64; usage: MemoryEntry; swap: MemoryEntry; kernel: MemoryEntry; kernelTCP: MemoryEntry; raw?: Record<string, U64> };
  pids: { current?: U64; limit?: U64 };
  blkio: { ioServiceBytesRecursive?: BlkioEntry[]; ioServicedRecursive?: BlkioEntry[] };
  hugetlb: Record<string, { usage?: U64; max?: U64; failcnt: U64 }>;
  intel_rdt: Record<string, never>;
  network_interfaces: null;
}

/** USER_HZ: cpuacct.stat counts in these ticks. */
const CLOCK_TICKS = 100;
const NS_PER_SEC = 1e9;

/** Go's encoding/json omitempty for numbers and lists. */
function omitEmpty<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === 0 || v === undefined || (Array.isArray(v) && v.length === 0)) continue;
    out[k] = v;
  }
  return out as T;
}

/** "key value" lines (memory.stat, cpu.stat, cpuacct.stat) as numbers. */
export function parseKeyValues(text: string): Record<string, U64> {
  const out: Record<string, U64> = {};
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^-?\d+$/.test(v)) out[k] = Number(v);
  }
  return out;
}

/** A cpuset list ("0-2,5") as its members. */
export function parseCpuList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.trim().split(',')) {
    if (!part) continue;
    const [a, b] = part.split('-').map(Number);
    for (let i = a; i <= (b ?? a); i++) out.push(i);
  }
  return out;
}

/** blkio's "8:0 Read 4096" lines (the "Total" line skipped). */
export function parseBlkioEntries(text: string): BlkioEntry[] {
  const out: BlkioEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length !== 3) continue;
    const [major, minor] = f[0].split(':').map(Number);
    out.push(omitEmpty({ major, minor, op: f[1], value: Number(f[2]) }));
  }
  return out;
}

/** v2 io.stat ("8:0 rbytes=1 wbytes=2 rios=3 wios=4 ...") in v1's two tables, as runc maps it. */
export function parseIoStat(text: string): Stats['blkio'] {
  const bytes: BlkioEntry[] = [];
  const ios: BlkioEntry[] = [];
  for (const line of text.split('\n')) {
    const [dev, ...items] = line.trim().split(/\s+/);
    const m = /^(\d+):(\d+)$/.exec(dev ?? '');
    if (!m) continue;
    for (const item of items) {
      const [key, value] = item.split('=');
      const table = key === 'rbytes' || key === 'wbytes' ? bytes : key === 'rios' || key === 'wios' ? ios : null;
      if (table) table.push(omitEmpty({ major: Number(m[1]), minor: Number(m[2]), op: key.startsWith('r') ? 'Read' : 'Write', value: Number(value) }));
    }
  }
  return omitEmpty({ ioServiceBytesRecursive: bytes, ioServicedRecursive: ios });
}

function read(dir: string, file: string): string | null {
  try {
    return fs.readFileSync(path.posix.join(dir, file), 'utf8');
  } catch (err) {
    // A file of a controller the cgroup does not have, or of a cgroup removed meanwhile.
    if (hasErrno(err, 'ENOENT', 'ENODEV')) return null;
    throw err;
  }
}

/** A counter file as a number; "max" (v2's unlimited) and a missing file are 0, as runc reports them. */
function num(dir: string, file: string): U64 {
  const t = read(dir, file)?.trim();
  return t === undefined || t === 'max' || !/^\d+$/.test(t) ? 0 : Number(t);
}

const list = (dir: string, file: string) => (read(dir, file) ?? '').trim().split(/\s+/).filter(Boolean).map(Number);

function v1Memory(dir: string, name: string): MemoryEntry {
  const prefix = name ? `memory.${name}` : 'memory';
  if (read(dir, `${prefix}.usage_in_bytes`) === null) return { limit: 0, failcnt: 0 };
  return omitEmptyMemory({
    limit: num(dir, `${prefix}.limit_in_bytes`),
    usage: num(dir, `${prefix}.usage_in_bytes`),
    max: num(dir, `${prefix}.max_usage_in_bytes`),
    failcnt: num(dir, `${prefix}.failcnt`),
  });
}

const omitEmptyMemory = (e: MemoryEntry): MemoryEntry => ({ limit: e.limit, ...omitEmpty({ usage: e.usage, max: e.max }), failcnt: e.failcnt });

function cpuStats(m: CgroupManager): Stats['cpu'] {
  const acct = m.controllerDir('cpuacct');
  const cpu = m.controllerDir('cpu');
  if (acct?.version === 1) {
    const ticks = parseKeyValues(read(acct.dir, 'cpuacct.stat') ?? '');
    const throttle = parseKeyValues((cpu && read(cpu.dir, 'cpu.stat')) ?? '');
    return {
      usage: {
        ...omitEmpty({
          total: num(acct.dir, 'cpuacct.usage'),
          percpu: list(acct.dir, 'cpuacct.usage_percpu'),
          percpu_kernel: list(acct.dir, 'cpuacct.usage_percpu_sys'),
          percpu_user: list(acct.dir, 'cpuacct.usage_percpu_user'),
        }),
        kernel: ((ticks.system ?? 0) * NS_PER_SEC) / CLOCK_TICKS,
        user: ((ticks.user ?? 0) * NS_PER_SEC) / CLOCK_TICKS,
      },
      throttling: omitEmpty({ periods: throttle.nr_periods, throttledPeriods: throttle.nr_throttled, throttledTime: throttle.throttled_time }),
    };
  }
  // v2: cpu.stat is there even without the cpu controller (usage in microseconds).
  const dir = cpu?.dir ?? m.controllerDir('cgroup')?.dir;
  const s = parseKeyValues((dir && read(dir, 'cpu.stat')) ?? '');
  return {
    usage: { ...omitEmpty({ total: (s.usage_usec ?? 0) * 1000 }), kernel: (s.system_usec ?? 0) * 1000, user: (s.user_usec ?? 0) * 1000 },
    throttling: omitEmpty({ periods: s.nr_periods, throttledPeriods: s.nr_throttled, throttledTime: (s.throttled_usec ?? 0) * 1000 }),
  };
}

function cpusetStats(m: CgroupManager): Stats['cpuset'] {
  const c = m.controllerDir('cpuset');
  if (!c) return { cpu_exclusive: 0, mem_hardwall: 0, mem_exclusive: 0, memory_migrate: 0, memory_spread_page: 0, memory_spread_slab: 0, memory_pressure: 0, sched_load_balance: 0, sched_relax_domain_level: 0 };
  const cpus = parseCpuList(read(c.dir, c.version === 1 ? 'cpuset.cpus' : 'cpuset.cpus.effective') ?? '');
  const mems = parseCpuList(read(c.dir, c.version === 1 ? 'cpuset.mems' : 'cpuset.mems.effective') ?? '');
  const field = (name: string) => {
    const t = read(c.dir, `cpuset.${name}`)?.trim();
    return t === undefined || !/^-?\d+$/.test(t) ? 0 : Number(t);
  };
  return {
    ...(cpus.length > 0 ? { cpus } : {}),
    cpu_exclusive: field('cpu_exclusive'),
    ...(mems.length > 0 ? { mems } : {}),
    mem_hardwall: field('mem_hardwall'),
    mem_exclusive: field('mem_exclusive'),
    memory_migrate: field('memory_migrate'),
    memory_spread_page: field('memory_spread_page'),
    memory_spread_slab: field('memory_spread_slab'),
    memory_pressure: field('memory_pressure'),
    sched_load_balance: field('sched_load_balance'),
    sched_relax_domain_level: field('sched_relax_domain_level'),
  };
}

function memoryStats(m: CgroupManager): Stats['memory'] {
  const c = m.controllerDir('memory');
  const empty: MemoryEntry = { limit: 0, failcnt: 0 };
  if (!c) return { usage: empty, swap: empty, kernel: empty, kernelTCP: empty };
  const raw = parseKeyValues(read(c.dir, 'memory.stat') ?? '');
  if (c.version === 1) {
    return {
      ...omitEmpty({ cache: raw.cache }),
      usage: v1Memory(c.dir, ''),
      swap: v1Memory(c.dir, 'memsw'),
      kernel: v1Memory(c.dir, 'kmem'),
      kernelTCP: v1Memory(c.dir, 'kmem.tcp'),
      ...(Object.keys(raw).length > 0 ? { raw } : {}),
    };
  }
  const events = parseKeyValues(read(c.dir, 'memory.events') ?? '');
  const usage = omitEmptyMemory({ limit: num(c.dir, 'memory.max'), usage: num(c.dir, 'memory.current'), max: num(c.dir, 'memory.peak'), failcnt: events.max ?? 0 });
  // As runc: v2's swap alone, reported as v1's memory+swap.
  const swapNow = num(c.dir, 'memory.swap.current');
  const swap = omitEmptyMemory({ limit: num(c.dir, 'memory.swap.max'), usage: swapNow + (usage.usage ?? 0), failcnt: 0 });
  return { ...omitEmpty({ cache: raw.file }), usage, swap, kernel: empty, kernelTCP: empty, ...(Object.keys(raw).length > 0 ? { raw } : {}) };
}

function blkioStats(m: CgroupManager): Stats['blkio'] {
  const c = m.controllerDir('blkio') ?? m.controllerDir('io');
  if (!c) return {};
  if (c.version === 2) return parseIoStat(read(c.dir, 'io.stat') ?? '');
  // runc: bfq's counters when the kernel has bfq, else the throttle layer's.
  const source = read(c.dir, 'blkio.bfq.io_service_bytes_recursive') !== null ? 'blkio.bfq' : 'blkio.throttle';
  return omitEmpty({
    ioServiceBytesRecursive: parseBlkioEntries(read(c.dir, `${source}.io_service_bytes_recursive`) ?? ''),
    ioServicedRecursive: parseBlkioEntries(read(c.dir, `${source}.io_serviced_recursive`) ?? ''),
  });
}

function hugetlbStats(m: CgroupManager, sizes: string[]): Stats['hugetlb'] {
  const c = m.controllerDir('hugetlb');
  const out: Stats['hugetlb'] = {};
  if (!c) return out;
  for (const size of sizes) {
    if (c.version === 1) {
      out[size] = { ...omitEmpty({ usage: num(c.dir, `hugetlb.${size}.usage_in_bytes`), max: num(c.dir, `hugetlb.${size}.max_usage_in_bytes`) }), failcnt: num(c.dir, `hugetlb.${size}.failcnt`) };
    } else {
      const events = parseKeyValues(read(c.dir, `hugetlb.${size}.events`) ?? '');
      out[size] = { ...omitEmpty({ usage: num(c.dir, `hugetlb.${size}.current`) }), failcnt: events.max ?? 0 };
    }
  }
  return out;
}

/** The container's stats now, read from its cgroups. */
export function readCgroupStats(m: CgroupManager, hugePageSizes: string[]): Stats {
  const pids = m.controllerDir('pids');
  return {
    cpu: cpuStats(m),
    cpuset: cpusetStats(m),
    memory: memoryStats(m),
    pids: pids ? omitEmpty({ current: num(pids.dir, 'pids.current'), limit: num(pids.dir, 'pids.max') }) : {},
    blkio: blkioStats(m),
    hugetlb: hugetlbStats(m, hugePageSizes),
    intel_rdt: {},
    network_interfaces: null,
  };
}

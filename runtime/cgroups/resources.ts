/**
 * linux.resources -> cgroup files. One rule per setting: the controller it needs and the files and
 * values it writes on a v1 and on a v2 hierarchy. Planning is pure: the caller says which version
 * of hierarchy holds each controller on this host, and gets the ordered list of writes, or an
 * error naming the config field. Fields the table has no rule for yet are not applied;
 * linux.resources.devices is planned apart (devices.ts).
 *
 * Conventions follow runc: a 0 in memory.limit/reservation/swap and cpu.shares/quota/period means
 * "not set"; -1 means unlimited. pids.limit follows runtime-spec 1.3: a negative value is "max",
 * 0 is a real limit.
 */
import type { LinuxResources } from '../../spec/types';
import { CgroupError } from './errors';

/** The part of linux.resources these rules read (OCI field names). */
export interface CgroupResources {
  memory?: { limit?: number; reservation?: number; swap?: number; swappiness?: number };
  cpu?: { shares?: number; quota?: number; period?: number; cpus?: string; mems?: string };
  pids?: { limit: number };
}

export interface CgroupWrite {
  /** JSON path of the config field the value comes from. */
  field: string;
  controller: string;
  version: 1 | 2;
  file: string;
  value: string;
}

/** The version of the hierarchy that holds `controller` on this host, or null when none does. */
export type LocateController = (controller: string) => 1 | 2 | null;

interface FileValue {
  file: string;
  value: string;
}

interface ResourceRule {
  controller: string;
  /** Fields below linux.resources the rule reads; the first one set names the rule in messages. */
  fields: string[];
  /** Reject values no hierarchy version accepts. */
  check?(r: CgroupResources): void;
  v1(r: CgroupResources): FileValue[];
  v2(r: CgroupResources): FileValue[];
}

const ZERO_MEANS_UNSET = new Set(['memory.limit', 'memory.reservation', 'memory.swap', 'cpu.shares', 'cpu.quota', 'cpu.period']);

const jsonPath = (field: string) => `linux.resources.${field}`;

/** The field's value, or undefined when it is absent or means "not set". */
function valueOf(r: CgroupResources, field: string): unknown {
  const [group, key] = field.split('.');
  const v = (r as Record<string, Record<string, unknown> | undefined>)[group]?.[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (v === 0 && ZERO_MEANS_UNSET.has(field)) return undefined;
  return v;
}

function int(r: CgroupResources, field: string): bigint | undefined {
  const v = valueOf(r, field);
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v))
    throw new CgroupError(`${jsonPath(field)}: must be an integer, got ${JSON.stringify(v)}`);
  // BigInt keeps large limits in plain digits (String(1e21) would be "1e+21").
  return BigInt(v);
}

function text(r: CgroupResources, field: string): string | undefined {
  const v = valueOf(r, field);
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new CgroupError(`${jsonPath(field)}: must be a string, got ${JSON.stringify(v)}`);
  return v;
}

/** For fields where -1 is unlimited and anything else must be a positive amount. */
function checkLimit(r: CgroupResources, field: string): void {
  const v = int(r, field);
  if (v !== undefined && v !== -1n && v <= 0n) {
    throw new CgroupError(`${jsonPath(field)}: must be -1 (unlimited) or a positive number of bytes, got ${v}`);
  }
}

const maxOr = (v: bigint) => (v < 0n ? 'max' : v.toString());

/**
 * cpu.shares (v1, 2..262144, default 1024) -> cpu.weight (v2, 1..10000, default 100) with the
 * log-quadratic curve runc (>= 1.3.2) and crun (>= 1.23) use: it maps 2 -> 1, 1024 -> 100 and
 * 262144 -> 10000, so default shares give the default weight.
 */
export function cpuSharesToWeight(shares: number): number {
  if (shares <= 2) return 1;
  if (shares >= 262144) return 10000;
  const l = Math.log2(shares);
  return Math.ceil(Math.pow(10, (l * l + 125 * l) / 612 - 7 / 34));
}

const RULES: ResourceRule[] = [
  {
    controller: 'memory',
    fields: ['memory.limit'],
    check: (r) => checkLimit(r, 'memory.limit'),
    v1: (r) => [{ file: 'memory.limit_in_bytes', value: int(r, 'memory.limit')!.toString() }],
    v2: (r) => [{ file: 'memory.max', value: maxOr(int(r, 'memory.limit')!) }],
  },
  {
    controller: 'memory',
    fields: ['memory.reservation'],
    check: (r) => checkLimit(r, 'memory.reservation'),
    v1: (r) => [{ file: 'memory.soft_limit_in_bytes', value: int(r, 'memory.reservation')!.toString() }],
    v2: (r) => [{ file: 'memory.low', value: maxOr(int(r, 'memory.reservation')!) }],
  },
  {
    // OCI swap is memory+swap together (the v1 memsw counter); v2 limits swap on its own.
    controller: 'memory',
    fields: ['memory.swap'],
    check: (r) => {
      checkLimit(r, 'memory.swap');
      const swap = int(r, 'memory.swap')!;
      const limit = int(r, 'memory.limit');
      if (swap !== -1n && limit !== undefined && limit > 0n && swap < limit) {
        throw new CgroupError(`${jsonPath('memory.swap')}: memory+swap (${swap}) must be at least memory.limit (${limit})`);
      }
    },
    v1: (r) => [{ file: 'memory.memsw.limit_in_bytes', value: int(r, 'memory.swap')!.toString() }],
    v2: (r) => {
      const swap = int(r, 'memory.swap')!;
      const limit = int(r, 'memory.limit');
      if (swap === -1n) return [{ file: 'memory.swap.max', value: 'max' }];
      if (limit === undefined) {
        throw new CgroupError(
          `${jsonPath('memory.swap')}: needs linux.resources.memory.limit on cgroup v2, which limits swap apart from memory`,
        );
      }
      return [{ file: 'memory.swap.max', value: (limit === -1n ? swap : swap - limit).toString() }];
    },
  },
  {
    controller: 'memory',
    fields: ['memory.swappiness'],
    check: (r) => {
      const v = int(r, 'memory.swappiness')!;
      if (v < 0n || v > 100n) throw new CgroupError(`${jsonPath('memory.swappiness')}: must be 0 to 100, got ${v}`);
    },
    v1: (r) => [{ file: 'memory.swappiness', value: int(r, 'memory.swappiness')!.toString() }],
    v2: () => {
      throw new CgroupError(`${jsonPath('memory.swappiness')}: cgroup v2 has no per-cgroup swappiness (memory.swappiness is v1 only)`);
    },
  },
  {
    controller: 'pids',
    fields: ['pids.limit'],
    v1: (r) => [{ file: 'pids.max', value: maxOr(int(r, 'pids.limit')!) }],
    v2: (r) => [{ file: 'pids.max', value: maxOr(int(r, 'pids.limit')!) }],
  },
  {
    controller: 'cpu',
    fields: ['cpu.shares'],
    check: (r) => {
      if (int(r, 'cpu.shares')! < 0n) throw new CgroupError(`${jsonPath('cpu.shares')}: must not be negative`);
    },
    v1: (r) => [{ file: 'cpu.shares', value: int(r, 'cpu.shares')!.toString() }],
    v2: (r) => [{ file: 'cpu.weight', value: String(cpuSharesToWeight(Number(int(r, 'cpu.shares')))) }],
  },
  {
    // The period goes first on v1: a fresh cgroup's quota is unlimited, so any period is accepted.
    controller: 'cpu',
    fields: ['cpu.quota', 'cpu.period'],
    check: (r) => {
      if ((int(r, 'cpu.period') ?? 1n) < 0n) throw new CgroupError(`${jsonPath('cpu.period')}: must not be negative`);
    },
    v1: (r) => {
      const quota = int(r, 'cpu.quota');
      const period = int(r, 'cpu.period');
      const writes: FileValue[] = [];
      if (period !== undefined) writes.push({ file: 'cpu.cfs_period_us', value: period.toString() });
      if (quota !== undefined) writes.push({ file: 'cpu.cfs_quota_us', value: (quota < 0n ? -1n : quota).toString() });
      return writes;
    },
    v2: (r) => {
      const quota = int(r, 'cpu.quota');
      const period = int(r, 'cpu.period');
      const max = quota === undefined ? 'max' : maxOr(quota);
      return [{ file: 'cpu.max', value: period === undefined ? max : `${max} ${period}` }];
    },
  },
  {
    controller: 'cpuset',
    fields: ['cpu.cpus'],
    v1: (r) => [{ file: 'cpuset.cpus', value: text(r, 'cpu.cpus')! }],
    v2: (r) => [{ file: 'cpuset.cpus', value: text(r, 'cpu.cpus')! }],
  },
  {
    controller: 'cpuset',
    fields: ['cpu.mems'],
    v1: (r) => [{ file: 'cpuset.mems', value: text(r, 'cpu.mems')! }],
    v2: (r) => [{ file: 'cpuset.mems', value: text(r, 'cpu.mems')! }],
  },
];

/**
 * The writes that apply `resources` on this host, in order. Throws a CgroupError naming the field
 * for a value no cgroup accepts or a controller no hierarchy has.
 */
export function planResourceWrites(resources: LinuxResources | undefined, locate: LocateController): CgroupWrite[] {
  // The config was checked against the runtime-spec schema when loaded; the rules still check
  // the type of each value they use.
  const r = (resources ?? {}) as CgroupResources;
  const writes: CgroupWrite[] = [];
  for (const rule of RULES) {
    const setField = rule.fields.find((f) => valueOf(r, f) !== undefined);
    if (setField === undefined) continue;
    const field = jsonPath(setField);
    rule.check?.(r);
    const version = locate(rule.controller);
    if (version === null) throw new CgroupError(`${field}: the ${rule.controller} controller is not available on this host`);
    const values = version === 1 ? rule.v1(r) : rule.v2(r);
    for (const { file, value } of values) writes.push({ field, controller: rule.controller, version, file, value });
  }
  return writes;
}

/** The controllers a list of writes needs, each with the first field that needs it. */
export function controllersNeeded(writes: CgroupWrite[]): Map<string, string> {
  const needed = new Map<string, string>();
  for (const w of writes) if (!needed.has(w.controller)) needed.set(w.controller, w.field);
  return needed;
}

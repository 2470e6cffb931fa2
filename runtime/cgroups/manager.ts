/**
 * The container's cgroups behind one interface, whatever the host's layout. What the layouts
 * share lives here: the record kept in the state file, placement for the init plan, listing,
 * signalling and membership of processes, removal. How directories are made and resources
 * applied differs per version (v1.ts, v2.ts, hybrid.ts).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { LinuxResources } from '../../spec/types';
import type { CgroupPlacement } from '../plan/types';
import { attachDeviceFilter, pidfdOpen, pidfdSendSignal } from '../native';
import { readCgroupFile, removeCgroupTree, removeSharedParent, readProcsTree } from './cgroupfs';
import { runPoll, type Poll } from '../poll-wait';
import { DEVICE_FILTER_LICENSE } from './device-filter';
import { CgroupError, errnoName } from './errors';
import { isWithin, parseProcCgroup, type CgroupLayout } from './host';
import { planDeviceWrites } from './devices';
import { freeze, freezerOf, isFrozen, thaw, type FreezerCgroup } from './freezer';
import { ignoredResources, planResourceWrites, type CgroupWrite, type PlanFacts, type PlanOptions } from './resources';
import { hasErrno } from '../../common/errors';

/** The container's cgroup in one hierarchy: where it is and which directories tsrun made for it. */
export interface CgroupDirRecord {
  version: 1 | 2;
  mountpoint: string;
  /** The cgroup the mount shows at its mountpoint (mountinfo's root field), usually "/". */
  root: string;
  /** v1: the hierarchy's controllers, e.g. ["cpu", "cpuacct"]; v2: []. */
  controllers: string[];
  /** Absolute host directory of the container's cgroup. */
  dir: string;
  /** Directories create() made, parents first: the only ones destroy() removes. */
  created: string[];
}

/** What the state file keeps, so that `delete` from any process removes exactly what `create` made. */
export interface CgroupRecord {
  layout: CgroupLayout;
  hierarchies: CgroupDirRecord[];
}

export interface CgroupManager {
  readonly layout: CgroupLayout;
  /**
   * Make the cgroup directories and apply `resources`; on failure remove what it made and throw.
   * Returns what this host cannot enforce (one line each, for the caller to log as warnings).
   */
  create(resources?: LinuxResources): string[];
  /** Where the init plan's parent steps put init, and what a cgroup mount inside shows. */
  placement(): CgroupPlacement;
  toJSON(): CgroupRecord;
  /** Every process in the container's cgroups (and the cgroups it made beneath them). */
  pids(): number[];
  /**
   * Send `signal` to every process in the container's cgroups that `isContainers` accepts,
   * including ones forked meanwhile. Others may have been moved in from outside: never signalled.
   * Returns the processes its last pass found there (all signalled or passed over).
   */
  killAll(signal: number | NodeJS.Signals, isContainers: (pid: number) => boolean): number[];
  /**
   * Remove the directories create() made, deepest first, waiting a moment for processes just
   * killed to leave; rejects naming any it could not remove.
   */
  destroy(): Promise<void>;
  /** True when `pid` is in the container's cgroup (or beneath it) in every hierarchy. */
  isMember(pid: number): boolean;
  /** Stop every process of the container (`pause`); resolves once the kernel reports them frozen. */
  freeze(): Promise<void>;
  /** Let frozen processes run again (`resume`). */
  thaw(): void;
  isFrozen(): boolean;
  /**
   * Apply `resources` to the existing cgroups (`update`) in runc's order; devices are left as
   * create() set them. Returns what is ignored, one line each, for warnings.
   */
  update(resources: LinuxResources): string[];
  /** The container's cgroup directory holding `controller` (v1), or its v2 cgroup; null when none. */
  controllerDir(controller: string): { version: 1 | 2; dir: string } | null;
}

/** The host's huge page sizes as hugetlb files name them: hugepages-2048kB -> "2MB". */
export function hostHugePageSizes(dir = '/sys/kernel/mm/hugepages'): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (err) {
    if (hasErrno(err, 'ENOENT')) return []; // a kernel without huge pages
    throw err;
  }
  return names
    .map((n) => /^hugepages-(\d+)kB$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b)
    .map(hugePageSizeName);
}

/** runc's names: the largest unit that divides the size (KB, MB, GB). */
export function hugePageSizeName(kb: number): string {
  if (kb % (1024 * 1024) === 0) return `${kb / (1024 * 1024)}GB`;
  if (kb % 1024 === 0) return `${kb / 1024}MB`;
  return `${kb}KB`;
}

/** How long destroy() waits for processes that were just killed to leave the cgroup. */
const DESTROY_WAIT_MS = 3000;
/** killAll() passes over the cgroup until no process it has not signalled yet shows up. */
const KILL_PASSES = 100;

/** The cgroup path of `record` as seen from its mountpoint, e.g. "/tsrun/abc". */
function pathBelowMount(record: CgroupDirRecord): string {
  return '/' + path.posix.relative(record.mountpoint, record.dir);
}

export abstract class CgroupManagerBase implements CgroupManager {
  abstract readonly layout: CgroupLayout;

  protected constructor(protected readonly records: CgroupDirRecord[]) {}

  /** The version of this manager's hierarchy that holds `controller`, or null. */
  protected abstract locate(controller: string): 1 | 2 | null;
  /** Make the directories and perform `writes` (planned by locate()). */
  protected abstract apply(writes: CgroupWrite[]): void;

  create(resources?: LinuxResources): string[] {
    const unified = this.records.find((r) => r.version === 2);
    // runc: the v1 devices controller where the host has it, else the eBPF filter on v2.
    const devices = planDeviceWrites(resources?.devices, this.locate('devices') ?? (unified ? 2 : null));
    const writes = [...devices.writes, ...planResourceWrites(resources, (c) => this.locateAny(c), this.planOptions(resources, false))];
    try {
      this.apply(writes);
      if (devices.filter) attachDeviceFilter(unified!.dir, devices.filter, DEVICE_FILTER_LICENSE);
    } catch (err) {
      throw this.undoCreate(err instanceof Error && !(err instanceof CgroupError) ? new CgroupError(`linux.resources.devices: ${err.message}`) : err);
    }
    return [...devices.notEnforced, ...ignoredResources(resources)];
  }

  /** locate(), plus "cgroup" (the core files every v2 cgroup has) for linux.resources.unified. */
  private locateAny(controller: string): 1 | 2 | null {
    if (controller === 'cgroup') return this.records.some((r) => r.version === 2) ? 2 : null;
    return this.locate(controller);
  }

  controllerDir(controller: string): { version: 1 | 2; dir: string } | null {
    const v1 = this.records.find((r) => r.version === 1 && r.controllers.includes(controller));
    if (v1) return { version: 1, dir: v1.dir };
    const v2 = this.records.find((r) => r.version === 2);
    return v2 && this.locateAny(controller) === 2 ? { version: 2, dir: v2.dir } : null;
  }

  /** What planning needs to know of this host and, for `update`, of the live cgroup. */
  private planOptions(resources: LinuxResources | undefined, live: boolean): PlanOptions {
    const facts: PlanFacts = {};
    const memory = this.controllerDir('memory');
    if (memory?.version === 1) {
      const mountpoint = this.records.find((r) => r.dir === memory.dir)!.mountpoint;
      facts.hasMemsw = fs.existsSync(path.posix.join(mountpoint, 'memory.memsw.limit_in_bytes'));
      if (live) facts.memoryLimitNow = BigInt(readCgroupFile(memory.dir, 'memory.limit_in_bytes').trim());
    }
    if ((resources?.hugepageLimits?.length ?? 0) > 0) facts.hugePageSizes = hostHugePageSizes();
    return { facts, bfqWeight: resources?.blockIO ? this.hasBfqWeight() : false };
  }

  /** runc writes bfq's weight files when the kernel has the bfq scheduler. */
  private hasBfqWeight(): boolean {
    const v1 = this.records.find((r) => r.version === 1 && r.controllers.includes('blkio'));
    if (v1) return fs.existsSync(path.posix.join(v1.mountpoint, 'blkio.bfq.io_service_bytes'));
    const v2 = this.records.find((r) => r.version === 2);
    return v2 !== undefined && fs.existsSync(path.posix.join(path.posix.dirname(v2.dir), 'io.bfq.weight'));
  }

  /** Remove what a failed create() made (no process has joined yet: nothing to wait for). */
  private undoCreate(cause: unknown): unknown {
    const left: string[] = [];
    for (const record of this.records) {
      for (const dir of [...record.created].reverse()) {
        try {
          fs.rmdirSync(dir);
        } catch (err) {
          if (errnoName(err) !== 'ENOENT') left.push(`${dir} (${errnoName(err)})`);
        }
      }
      record.created = [];
    }
    if (left.length === 0 || !(cause instanceof Error)) return cause;
    return new CgroupError(`${cause.message}; and could not remove ${left.join(', ')}`, (cause as CgroupError).errno);
  }

  placement(): CgroupPlacement {
    return {
      procsFiles: this.records.map((r) => path.posix.join(r.dir, 'cgroup.procs')),
      hierarchies: this.records.map((r) => ({
        version: r.version,
        mountpoint: r.mountpoint,
        controllers: r.controllers.join(','),
        path: pathBelowMount(r),
      })),
    };
  }

  toJSON(): CgroupRecord {
    return {
      layout: this.layout,
      hierarchies: this.records.map((r) => ({ ...r, controllers: [...r.controllers], created: [...r.created] })),
    };
  }

  pids(): number[] {
    const all = new Set<number>();
    for (const record of this.records) readProcsTree(record.dir, all);
    return [...all].sort((a, b) => a - b);
  }

  killAll(signal: number | NodeJS.Signals, isContainers: (pid: number) => boolean): number[] {
    const seen = new Set<number>();
    for (let pass = 0; pass < KILL_PASSES; pass++) {
      const members = this.pids();
      const fresh = members.filter((pid) => !seen.has(pid));
      if (fresh.length === 0) return members;
      for (const pid of fresh) {
        seen.add(pid);
        this.signalMember(pid, typeof signal === 'number' ? signal : os.constants.signals[signal], isContainers);
      }
    }
    throw new CgroupError(`cgroup: processes kept appearing in ${this.records[0].dir} after ${KILL_PASSES} rounds of signal ${signal}`);
  }

  /** Through a pidfd: the check and the signal then concern one process, even if the pid is reused meanwhile. */
  private signalMember(pid: number, signal: number, isContainers: (pid: number) => boolean): void {
    let fd: number;
    try {
      fd = pidfdOpen(pid);
    } catch (err) {
      if (errnoName(err) === 'ESRCH') return;
      throw new CgroupError(`cgroup: pidfd_open ${pid}: ${errnoName(err)}`, errnoName(err));
    }
    try {
      if (isContainers(pid)) pidfdSendSignal(fd, signal);
    } catch (err) {
      if (errnoName(err) !== 'ESRCH') throw new CgroupError(`cgroup: kill ${pid} (${signal}): ${errnoName(err)}`, errnoName(err));
    } finally {
      fs.closeSync(fd);
    }
  }

  destroy(): Promise<void> {
    return runPoll(this.destroying());
  }

  private *destroying(): Poll<void> {
    const deadline = Date.now() + DESTROY_WAIT_MS;
    const failures: string[] = [];
    for (const record of this.records) {
      const remaining = [...record.created];
      while (remaining.length > 0) {
        const dir = remaining[remaining.length - 1];
        const failed = dir === record.dir ? yield* removeCgroupTree(dir, deadline) : removeSharedParent(dir);
        if (failed) {
          failures.push(failed);
          break;
        }
        remaining.pop();
      }
      record.created = remaining;
    }
    if (failures.length > 0) throw new CgroupError(`cgroup: could not remove ${failures.join('; ')}`);
  }

  freeze(): Promise<void> {
    return freeze(this.freezer());
  }

  thaw(): void {
    thaw(this.freezer());
  }

  isFrozen(): boolean {
    const cg = freezerOf(this.records);
    return cg !== null && isFrozen(cg);
  }

  private freezer(): FreezerCgroup {
    const cg = freezerOf(this.records);
    if (!cg) throw new CgroupError('cgroup: the freezer controller is not available on this host');
    return cg;
  }

  update(resources: LinuxResources): string[] {
    const writes = planResourceWrites(resources, (c) => this.locateAny(c), this.planOptions(resources, true));
    if (resources.memory?.checkBeforeUpdate) this.checkMemoryUsage(writes);
    try {
      this.apply(writes);
    } catch (err) {
      throw this.explainMemoryBusy(err, writes);
    }
    return ignoredResources(resources);
  }

  /** runtime-spec 1.3 checkBeforeUpdate: refuse a memory limit below what the container uses now. */
  private checkMemoryUsage(writes: CgroupWrite[]): void {
    const limit = writes.find((w) => w.file === 'memory.max' || w.file === 'memory.limit_in_bytes');
    const memory = this.controllerDir('memory');
    if (!limit || !memory || limit.value === 'max' || limit.value === '-1') return;
    const usage = BigInt(readCgroupFile(memory.dir, memory.version === 1 ? 'memory.usage_in_bytes' : 'memory.current').trim());
    if (BigInt(limit.value) < usage) {
      throw new CgroupError(`${limit.field}: the new limit ${limit.value} is below the current usage ${usage} (linux.resources.memory.checkBeforeUpdate)`);
    }
  }

  /** v1 refuses a limit below the usage with EBUSY: say so with the numbers, as runc does. */
  private explainMemoryBusy(err: unknown, writes: CgroupWrite[]): unknown {
    const limit = writes.find((w) => w.file === 'memory.limit_in_bytes');
    const memory = this.controllerDir('memory');
    if (!(err instanceof CgroupError) || err.errno !== 'EBUSY' || !limit || !err.message.startsWith(limit.field) || memory?.version !== 1) return err;
    const usage = readCgroupFile(memory.dir, 'memory.usage_in_bytes').trim();
    const peak = readCgroupFile(memory.dir, 'memory.max_usage_in_bytes').trim();
    return new CgroupError(`${limit.field}: unable to set memory limit to ${limit.value} (current usage: ${usage}, peak usage: ${peak})`, 'EBUSY');
  }

  isMember(pid: number): boolean {
    let text: string;
    try {
      text = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8');
    } catch (err) {
      if (hasErrno(err, 'ENOENT', 'ESRCH')) return false; // exited
      throw err;
    }
    const entries = parseProcCgroup(text);
    return this.records.every((record) => {
      const entry = entries.find((e) =>
        record.version === 2
          ? e.hierarchyId === 0 && e.controllers.length === 0
          : e.controllers.length === record.controllers.length && record.controllers.every((c) => e.controllers.includes(c)),
      );
      const ours = path.posix.join(record.root, pathBelowMount(record));
      return entry !== undefined && isWithin(ours, entry.path);
    });
  }
}

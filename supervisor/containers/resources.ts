/**
 * A Create request's Resources applied to a container's config as docker's daemon takes them
 * (moby's verifyPlatformContainerResources and adaptContainerSettings): memory at least 6 MiB;
 * memory+swap at least memory, and twice memory when only memory is given; cpu shares clamped to
 * the kernel's maximum; cfs quota and period within the kernel's bounds; cpuset cpus that exist.
 * Pure but for the host facts, read once; a bad value is INVALID_ARGUMENT naming its field.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Spec } from '../../spec/types';
import { detectCgroupHost } from '../../runtime/cgroups/host';
import { invalidArgument } from '../shared/errors';
import type { Resources } from '../api/types';

/** What docker's checks need to know of this host. */
export interface ResourceHost {
  /** The kernel accounts swap per cgroup (v1: memory.memsw.*; v2: memory.swap.max). */
  swapAccounting: boolean;
  /** The online cpus as the kernel lists them ("0-1"). */
  onlineCpus: string;
}

const MIN_MEMORY = 6 << 20;
const MAX_CPU_SHARES = 262144;
const FIELD = 'overrides.resources';

/** "0-3,5" -> its ranges; null when it is not such a list (docker's ParseUintList grammar). */
export function parseCpuList(text: string): [number, number][] | null {
  const ranges: [number, number][] = [];
  for (const part of text.split(',')) {
    const m = /^(\d{1,9})(?:-(\d{1,9}))?$/.exec(part);
    if (!m) return null;
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from) return null;
    ranges.push([from, to]);
  }
  return ranges;
}

/** Whether every cpu of `wanted` is in `online`; bounded by the online cpus, not by the request. */
function cpusAvailable(wanted: [number, number][], online: [number, number][]): boolean {
  const max = Math.max(...online.map(([, to]) => to));
  const isOnline = (cpu: number) => online.some(([from, to]) => cpu >= from && cpu <= to);
  return wanted.every(([from, to]) => {
    if (to > max) return false;
    for (let cpu = from; cpu <= to; cpu++) if (!isOnline(cpu)) return false;
    return true;
  });
}

/** memory+swap as docker settles it: the request's, twice memory when unset, none without accounting. */
function memorySwap(r: Resources, host: ResourceHost): number | undefined {
  const swap = r.memorySwap;
  if (swap < -1) throw invalidArgument(`${FIELD}.memory_swap`, `${swap}: give a number of bytes (memory plus swap), or -1 for unlimited swap`);
  if (swap > 0 && r.memoryLimit <= 0) {
    throw invalidArgument(`${FIELD}.memory_swap`, 'You should always set the Memory limit when using Memoryswap limit (give memory_limit too)');
  }
  if (swap > 0 && swap < r.memoryLimit) {
    throw invalidArgument(`${FIELD}.memory_swap`, `Minimum memoryswap limit should be larger than memory limit (${swap} < memory_limit ${r.memoryLimit})`);
  }
  if (!host.swapAccounting) {
    // docker warns and drops it; tsrund has no warning to answer with, so a limit asked for is refused.
    if (swap > 0) throw invalidArgument(`${FIELD}.memory_swap`, "this host's kernel does not support swap limit capabilities (no swap accounting in its memory cgroup): leave memory_swap out");
    return undefined;
  }
  if (swap !== 0) return swap;
  return r.memoryLimit > 0 ? r.memoryLimit * 2 : undefined;
}

export function applyResources(spec: Spec, r: Resources, host: ResourceHost = resourceHost()): void {
  if (r.memoryLimit < -1) throw invalidArgument(`${FIELD}.memory_limit`, `${r.memoryLimit}: give a number of bytes, or -1 for unlimited`);
  if (r.memoryLimit > 0 && r.memoryLimit < MIN_MEMORY) throw invalidArgument(`${FIELD}.memory_limit`, `${r.memoryLimit} bytes: Minimum memory limit allowed is 6MB`);
  if (r.cpuQuota < -1) throw invalidArgument(`${FIELD}.cpu_quota`, `${r.cpuQuota}: give microseconds per period, or -1 for no quota`);
  if (r.cpuQuota > 0 && r.cpuQuota < 1000) throw invalidArgument(`${FIELD}.cpu_quota`, `${r.cpuQuota}: CPU cfs quota can not be less than 1ms (i.e. 1000)`);
  if (r.cpuPeriod !== 0 && (r.cpuPeriod < 1000 || r.cpuPeriod > 1_000_000)) {
    throw invalidArgument(`${FIELD}.cpu_period`, `${r.cpuPeriod}: CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)`);
  }
  if (r.cpusetCpus !== '') {
    const wanted = parseCpuList(r.cpusetCpus);
    if (!wanted) throw invalidArgument(`${FIELD}.cpuset_cpus`, `Invalid value ${JSON.stringify(r.cpusetCpus)} for cpuset cpus: give cpus as 0-3 or 0,1`);
    const online = parseCpuList(host.onlineCpus);
    if (online && !cpusAvailable(wanted, online)) {
      throw invalidArgument(`${FIELD}.cpuset_cpus`, `Requested CPUs are not available - requested ${r.cpusetCpus}, available: ${host.onlineCpus}`);
    }
  }
  const swap = memorySwap(r, host);
  const res = ((spec.linux ??= {}).resources ??= {});
  if (r.memoryLimit !== 0) res.memory = { ...res.memory, limit: r.memoryLimit };
  if (swap !== undefined) res.memory = { ...res.memory, swap };
  // docker clamps rather than refuses (and logs the change).
  if (r.cpuShares !== 0) res.cpu = { ...res.cpu, shares: Math.min(r.cpuShares, MAX_CPU_SHARES) };
  if (r.cpuQuota !== 0) res.cpu = { ...res.cpu, quota: r.cpuQuota };
  if (r.cpuPeriod !== 0) res.cpu = { ...res.cpu, period: r.cpuPeriod };
  if (r.cpusetCpus !== '') res.cpu = { ...res.cpu, cpus: r.cpusetCpus };
  // docker: 0 and any negative limit are unlimited; on the wire 0 is "not set".
  if (r.pidsLimit !== 0) res.pids = { ...res.pids, limit: r.pidsLimit < 0 ? -1 : r.pidsLimit };
}

/** v1: the memory hierarchy has memsw files; v2: tsrund's cgroup (or one beside it) has memory.swap.max. */
function hostSwapAccounting(): boolean {
  try {
    const h = detectCgroupHost();
    const v1 = h.hierarchies.find((x) => x.version === 1 && x.controllers.includes('memory'));
    if (v1) return fs.existsSync(path.join(v1.mountpoint, 'memory.memsw.limit_in_bytes'));
    const v2 = h.hierarchies.find((x) => x.version === 2);
    if (!v2) return false;
    // The root cgroup has no memory.swap.max; its children have one when swap is accounted.
    const own = path.join(v2.mountpoint, path.relative(v2.root, v2.ownCgroup ?? '/'));
    const dirs = [own, ...fs.readdirSync(v2.mountpoint, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => path.join(v2.mountpoint, d.name))];
    return dirs.some((d) => fs.existsSync(path.join(d, 'memory.swap.max')));
  } catch {
    return false;
  }
}

let host: ResourceHost | null = null;
export function resourceHost(): ResourceHost {
  host ??= { swapAccounting: hostSwapAccounting(), onlineCpus: fs.readFileSync('/sys/devices/system/cpu/online', 'utf8').trim() };
  return host;
}

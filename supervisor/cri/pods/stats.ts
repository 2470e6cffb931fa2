/**
 * ContainerStats and PodSandboxStats from tsrund's own reading of a task's cgroups
 * (Tasks.cgroupStats). The figures are containerd's: the working set is usage less inactive
 * file pages (what kubelet evicts by), usage_nano_cores the CPU rate between this sample and the
 * previous one of the same container or pod (0 on the first), available_bytes only under a limit.
 * A container without a live task has its attributes and writable layer only. A pod's cpu,
 * memory and process count are the sums over its pause and its containers; its network is the
 * pause's interfaces (/proc/<pause>/net/dev: the pod's network namespace; none in the node's).
 */
import * as fs from 'fs';
import type { CgroupPressure, Pressure, PressureFigures } from '../../../runtime/cgroups/pressure';
import type { Stats } from '../../../runtime/cgroups/stats';
import type { ContainerStats, ContainerStatsFilter, CpuUsage, MemoryUsage, NetworkInterfaceUsage, NetworkUsage, PodSandboxStats, PodSandboxStatsFilter, PsiStats } from '../../api/generated/cri-types';
import type { Supervisor } from '../../services/supervisor';
import type { Reply } from '../handlers';
import { treeUsage } from '../images';
import type { PodContainers } from './containers';
import type { PodSandboxes } from './sandboxes';

/** The pod interface the CNI plugins make (kubelet's default interface). */
export const POD_INTERFACE = 'eth0';

/** What one cgroup reading gives the CRI. */
export interface Usage {
  cpuTotalNs: number;
  usageBytes: number;
  workingSetBytes: number;
  rssBytes: number;
  pageFaults: number;
  majorPageFaults: number;
  /** 0: no limit. */
  limitBytes: number;
  processes: number;
}

/** The CRI's figures of a cgroup reading (v1's hierarchical total_* counters, v2's memory.stat). */
export function usageOf(s: Stats): Usage {
  const raw = s.memory.raw ?? {};
  const v1 = 'total_rss' in raw || 'rss' in raw;
  const inactiveFile = (v1 ? raw.total_inactive_file : raw.inactive_file) ?? 0;
  const usageBytes = s.memory.usage.usage ?? 0;
  const limit = s.memory.usage.limit;
  return {
    cpuTotalNs: s.cpu.usage.total ?? 0,
    usageBytes,
    workingSetBytes: Math.max(0, usageBytes - inactiveFile),
    rssBytes: (v1 ? raw.total_rss : raw.anon) ?? 0,
    pageFaults: (v1 ? raw.total_pgfault : raw.pgfault) ?? 0,
    majorPageFaults: (v1 ? raw.total_pgmajfault : raw.pgmajfault) ?? 0,
    // v1 says "no limit" with a number near 2^63.
    limitBytes: limit >= 2 ** 62 ? 0 : limit,
    processes: s.pids.current ?? 0,
  };
}

/** Swap in use (and what is left under a limit): v1's memsw less memory; v2's swap (runc reports it with memory added, as v1). Null without swap accounting. */
export function swapOf(s: Stats): { usageBytes: number; availableBytes: number | null } | null {
  const both = s.memory.swap.usage ?? 0;
  if (both === 0) return null;
  const usageBytes = Math.max(0, both - (s.memory.usage.usage ?? 0));
  const v1 = 'total_rss' in (s.memory.raw ?? {}) || 'rss' in (s.memory.raw ?? {});
  const limit = s.memory.swap.limit ?? 0;
  if (limit <= 0 || limit >= 2 ** 62) return { usageBytes, availableBytes: null };
  // v1's limit is of memory and swap together; v2's of swap alone.
  return { usageBytes, availableBytes: Math.max(0, limit - (v1 ? both : usageBytes)) };
}

/** The CRI's PSI figures of a pressure file. */
export function psiOf(p: Pressure | null): Reply<PsiStats> | null {
  const data = (f: PressureFigures | null) => f && { Total: f.total, Avg10: f.avg10, Avg60: f.avg60, Avg300: f.avg300 };
  return p && { Full: data(p.full), Some: data(p.some) };
}

export function sumUsage(all: Usage[]): Usage {
  const out: Usage = { cpuTotalNs: 0, usageBytes: 0, workingSetBytes: 0, rssBytes: 0, pageFaults: 0, majorPageFaults: 0, limitBytes: 0, processes: 0 };
  for (const u of all) for (const k of Object.keys(out) as (keyof Usage)[]) if (k !== 'limitBytes') out[k] += u[k];
  return out;
}

/** An interface's counters in /proc/<pid>/net/dev. */
export interface NetDevCounters {
  name: string;
  rxBytes: number;
  rxPackets: number;
  rxErrors: number;
  rxDropped: number;
  txBytes: number;
  txPackets: number;
  txErrors: number;
  txDropped: number;
}

/** /proc/<pid>/net/dev's interfaces (the loopback left out, as cadvisor does). */
export function netDevCounters(text: string): NetDevCounters[] {
  const out: NetDevCounters[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*([^:\s]+):\s*(.*)$/.exec(line);
    if (!m || m[1] === 'lo') continue;
    const f = m[2].trim().split(/\s+/).map(Number);
    if (f.length < 16 || f.some((n) => !Number.isFinite(n))) continue;
    out.push({ name: m[1], rxBytes: f[0], rxPackets: f[1], rxErrors: f[2], rxDropped: f[3], txBytes: f[8], txPackets: f[9], txErrors: f[10], txDropped: f[11] });
  }
  return out;
}

const interfaceUsage = (i: NetDevCounters): Reply<NetworkInterfaceUsage> => ({ name: i.name, rxBytes: { value: i.rxBytes }, rxErrors: { value: i.rxErrors }, txBytes: { value: i.txBytes }, txErrors: { value: i.txErrors } });

export function parseNetDev(text: string): Reply<NetworkInterfaceUsage>[] {
  return netDevCounters(text).map(interfaceUsage);
}

/** The pod's network namespace's interfaces, through its pause; null once the pause is gone. */
export function podNetDev(pausePid: number): NetDevCounters[] | null {
  try {
    return netDevCounters(fs.readFileSync(`/proc/${pausePid}/net/dev`, 'utf8'));
  } catch {
    return null;
  }
}

const u64 = (value: number) => ({ value });

export class CriStats {
  /** The previous sample of each container and pod, for usage_nano_cores. */
  private readonly lastCpu = new Map<string, { at: number; totalNs: number }>();

  constructor(
    private readonly s: Supervisor,
    private readonly containers: PodContainers,
    private readonly pods: PodSandboxes,
  ) {}

  container(idOrPrefix: string): Reply<ContainerStats> {
    return this.containerStats(this.containers.store.get(idOrPrefix).id);
  }

  listContainers(filter: ContainerStatsFilter | null): Reply<ContainerStats>[] {
    const listed = this.containers.list({ filter: filter && { id: filter.id, podSandboxId: filter.podSandboxId, labelSelector: filter.labelSelector, state: null } });
    return listed.map((c) => this.containerStats(c.id));
  }

  pod(idOrPrefix: string): Reply<PodSandboxStats> {
    return this.podStats(this.pods.store.get(idOrPrefix).id);
  }

  listPods(filter: PodSandboxStatsFilter | null): Reply<PodSandboxStats>[] {
    const listed = this.pods.list({ filter: filter && { id: filter.id, labelSelector: filter.labelSelector, state: null } });
    return listed.map((p) => this.podStats(p.id));
  }

  /** Forget what a removed container or pod left (its previous sample). */
  forget(id: string): void {
    this.lastCpu.delete(id);
  }

  private containerStats(id: string): Reply<ContainerStats> {
    const r = this.containers.store.get(id);
    const at = Date.now() * 1e6;
    const reading = this.readingOf(id);
    const usage = reading && usageOf(reading);
    const pressure = reading && this.pressureOf(id);
    const swap = reading && swapOf(reading);
    const upper = this.s.snapshots.mountOf(id)?.upper;
    const layer = upper ? treeUsage([upper]) : null;
    return {
      attributes: { id, metadata: r.config.metadata, labels: r.config.labels, annotations: r.config.annotations },
      cpu: usage && { ...this.cpu(id, at, usage), psi: psiOf(pressure?.cpu ?? null) },
      memory: usage && { ...memory(at, usage), psi: psiOf(pressure?.memory ?? null) },
      writableLayer: layer && { timestamp: at, fsId: { mountpoint: this.s.paths.root }, usedBytes: u64(layer.bytes), inodesUsed: u64(layer.inodes) },
      swap: swap && { timestamp: at, swapUsageBytes: u64(swap.usageBytes), swapAvailableBytes: swap.availableBytes === null ? null : u64(swap.availableBytes) },
      io: pressure?.io ? { timestamp: at, psi: psiOf(pressure.io) } : null,
    };
  }

  private podStats(id: string): Reply<PodSandboxStats> {
    const sandbox = this.pods.store.get(id);
    const at = Date.now() * 1e6;
    const mine = this.containers.store.list().filter((c) => c.sandboxId === id);
    const usages = [id, ...mine.map((c) => c.id)].map((t) => this.usageOfTask(t)).filter((u): u is Usage => u !== null);
    const pid = this.pods.pausePid(id);
    const total = pid === null ? null : sumUsage(usages);
    return {
      attributes: { id, metadata: sandbox.config.metadata, labels: sandbox.config.labels, annotations: sandbox.config.annotations },
      linux: {
        cpu: total && this.cpu(id, at, total),
        memory: total && memory(at, total),
        // A pod in the node's network has no interfaces of its own to report.
        network: pid === null || sandbox.namespaces.network === 'NODE' ? null : network(at, pid),
        process: total && { timestamp: at, processCount: u64(total.processes) },
        containers: mine.map((c) => this.containerStats(c.id)),
      },
    };
  }

  /** The task's figures while it has cgroups (created, running or paused); null otherwise. */
  usageOfTask(id: string): Usage | null {
    const reading = this.readingOf(id);
    return reading && usageOf(reading);
  }

  private readingOf(id: string): Stats | null {
    if (!this.s.tasks.has(id) || this.s.tasks.describeById(id).status === 'STOPPED') return null;
    try {
      return this.s.tasks.cgroupStats(id);
    } catch {
      // It exited (its cgroups removed) between the look and the reading.
      return null;
    }
  }

  private pressureOf(id: string): CgroupPressure | null {
    try {
      return this.s.tasks.cgroupPressure(id);
    } catch {
      return null;
    }
  }

  private cpu(id: string, at: number, u: Usage): Reply<CpuUsage> {
    const prev = this.lastCpu.get(id);
    this.lastCpu.set(id, { at, totalNs: u.cpuTotalNs });
    const nanoCores = prev && at > prev.at && u.cpuTotalNs >= prev.totalNs ? Math.round(((u.cpuTotalNs - prev.totalNs) / (at - prev.at)) * 1e9) : 0;
    return { timestamp: at, usageCoreNanoSeconds: u64(u.cpuTotalNs), usageNanoCores: u64(nanoCores) };
  }
}

function memory(at: number, u: Usage): Reply<MemoryUsage> {
  return {
    timestamp: at,
    workingSetBytes: u64(u.workingSetBytes),
    availableBytes: u.limitBytes > 0 ? u64(Math.max(0, u.limitBytes - u.workingSetBytes)) : null,
    usageBytes: u64(u.usageBytes),
    rssBytes: u64(u.rssBytes),
    pageFaults: u64(u.pageFaults),
    majorPageFaults: u64(u.majorPageFaults),
  };
}

function network(at: number, pausePid: number): Reply<NetworkUsage> | null {
  const counters = podNetDev(pausePid);
  // The pause ended meanwhile: the pod has no network to report.
  if (!counters) return null;
  const interfaces = counters.map(interfaceUsage);
  return { timestamp: at, defaultInterface: interfaces.find((i) => i.name === POD_INTERFACE) ?? null, interfaces };
}

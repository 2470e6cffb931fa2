/**
 * ListMetricDescriptors and ListPodSandboxMetrics: the cadvisor-named metrics containerd's CRI
 * gives, for the figures tsrund reads (the same cgroup reading as the stats, ./stats.ts). Only
 * ready pods are listed, as containerd lists them. Label values are the pod's name and
 * namespace, then the container's name, its id (the sandbox's for a pod's own metrics) and the
 * image the user named ("" for a pod's own), then the interface for network metrics: the label
 * keys of the descriptors, in that order. Seconds are whole seconds (UInt64Value), as
 * containerd divides them.
 */
import type { Metric, MetricDescriptor, MetricType, PodSandboxMetrics } from '../../api/generated/cri-types';
import type { Reply } from '../handlers';
import type { PodContainers } from './containers';
import type { PodSandboxes } from './sandboxes';
import { type CriStats, type NetDevCounters, podNetDev, type Usage } from './stats';

const LABELS = ['pod', 'namespace', 'container', 'id', 'image'];
const NETWORK_LABELS = [...LABELS, 'interface'];

interface Figure<T> {
  descriptor: MetricDescriptor;
  type: MetricType;
  value: (x: T) => number;
}

const figure = <T>(name: string, help: string, type: MetricType, value: (x: T) => number, labelKeys = LABELS): Figure<T> => ({ descriptor: { name, help, labelKeys }, type, value });

/** A running container's cgroup figures, with its start time. */
type ContainerFigures = Usage & { startedAtNs: number; seenAtNs: number };

const CONTAINER_FIGURES: Figure<ContainerFigures>[] = [
  figure('container_cpu_usage_seconds_total', 'Cumulative CPU time consumed in seconds.', 'COUNTER', (u) => Math.floor(u.cpuTotalNs / 1e9)),
  figure('container_memory_usage_bytes', 'Current memory usage in bytes, including all memory regardless of when it was accessed', 'GAUGE', (u) => u.usageBytes),
  figure('container_memory_working_set_bytes', 'Current working set in bytes.', 'GAUGE', (u) => u.workingSetBytes),
  figure('container_memory_rss', 'Size of RSS in bytes.', 'GAUGE', (u) => u.rssBytes),
  figure('container_processes', 'Number of processes running inside the container.', 'GAUGE', (u) => u.processes),
  figure('container_start_time_seconds', 'Start time of the container since unix epoch in seconds.', 'GAUGE', (u) => Math.floor(u.startedAtNs / 1e9)),
  figure('container_last_seen', 'Last time a container was seen by the exporter', 'GAUGE', (u) => Math.floor(u.seenAtNs / 1e9)),
];

const NETWORK_FIGURES: Figure<NetDevCounters>[] = [
  figure('container_network_receive_bytes_total', 'Cumulative count of bytes received', 'COUNTER', (i) => i.rxBytes, NETWORK_LABELS),
  figure('container_network_receive_packets_total', 'Cumulative count of packets received', 'COUNTER', (i) => i.rxPackets, NETWORK_LABELS),
  figure('container_network_receive_packets_dropped_total', 'Cumulative count of packets dropped while receiving', 'COUNTER', (i) => i.rxDropped, NETWORK_LABELS),
  figure('container_network_receive_errors_total', 'Cumulative count of errors encountered while receiving', 'COUNTER', (i) => i.rxErrors, NETWORK_LABELS),
  figure('container_network_transmit_bytes_total', 'Cumulative count of bytes transmitted', 'COUNTER', (i) => i.txBytes, NETWORK_LABELS),
  figure('container_network_transmit_packets_total', 'Cumulative count of packets transmitted', 'COUNTER', (i) => i.txPackets, NETWORK_LABELS),
  figure('container_network_transmit_packets_dropped_total', 'Cumulative count of packets dropped while transmitting', 'COUNTER', (i) => i.txDropped, NETWORK_LABELS),
  figure('container_network_transmit_errors_total', 'Cumulative count of errors encountered while transmitting', 'COUNTER', (i) => i.txErrors, NETWORK_LABELS),
];

export const METRIC_DESCRIPTORS: MetricDescriptor[] = [...CONTAINER_FIGURES, ...NETWORK_FIGURES].map((f) => f.descriptor);

function metrics<T>(figures: Figure<T>[], x: T, at: number, labelValues: string[]): Reply<Metric>[] {
  return figures.map((f) => ({ name: f.descriptor.name, timestamp: at, metricType: f.type, labelValues, value: { value: f.value(x) } }));
}

/** The metrics of every ready pod: its network, and each running container's cgroup figures. */
export function podSandboxMetrics(stats: CriStats, pods: PodSandboxes, containers: PodContainers): Reply<PodSandboxMetrics>[] {
  const out: Reply<PodSandboxMetrics>[] = [];
  for (const sandbox of pods.store.list()) {
    const pid = pods.pausePid(sandbox.id);
    if (pid === null) continue;
    const at = Date.now() * 1e6;
    const pod = [sandbox.config.metadata?.name ?? '', sandbox.config.metadata?.namespace ?? ''];
    const own = sandbox.namespaces.network === 'NODE' ? [] : (podNetDev(pid) ?? []);
    const containerMetrics = containers.store
      .list()
      .filter((c) => c.sandboxId === sandbox.id)
      .flatMap((c) => {
        const usage = stats.usageOfTask(c.id);
        if (!usage) return [];
        const labels = [...pod, c.config.metadata?.name ?? '', c.id, c.config.image?.userSpecifiedImage || c.config.image?.image || ''];
        return [{ containerId: c.id, metrics: metrics(CONTAINER_FIGURES, { ...usage, startedAtNs: c.startedAt, seenAtNs: at }, at, labels) }];
      });
    out.push({
      podSandboxId: sandbox.id,
      metrics: own.flatMap((i) => metrics(NETWORK_FIGURES, i, at, [...pod, '', sandbox.id, '', i.name])),
      containerMetrics,
    });
  }
  return out;
}

/**
 * Through the CRI socket of a real tsrund: the Stream* RPCs send what their List RPCs answer;
 * ListMetricDescriptors describes every metric ListPodSandboxMetrics and StreamPodSandboxMetrics
 * give, of ready pods only, with values from the pod's own files; UpdatePodSandboxResources is
 * checked and kept (verbose status), and changes no cgroup.
 */
import { sendInBatches } from '../../supervisor/cri/handlers';
import { failure, until } from '../supervisor/daemon';
import { busyboxSuite } from './busybox-suite';

jest.setTimeout(120_000);

const suite = busyboxSuite('cm-');
const MIB = 1 << 20;
let serial = 0;

async function pod() {
  const n = serial++;
  const config = { metadata: { name: `cm-pod-${n}`, uid: `cm-${process.pid}-${n}`, namespace: 'cm-ns', attempt: 0 }, labels: { serial: String(n) } };
  const { podSandboxId } = await suite.cri.runtime('runPodSandbox', { config });
  const { containerId } = await suite.cri.runtime('createContainer', {
    podSandboxId,
    config: { metadata: { name: `cm-c-${n}` }, image: { image: suite.image, userSpecifiedImage: 'cm-busybox' }, command: ['sleep', '1000'], labels: { serial: String(n) } },
    sandboxConfig: config,
  });
  await suite.cri.runtime('startContainer', { containerId });
  return { id: podSandboxId, container: containerId, name: config.metadata.name, containerName: `cm-c-${n}` };
}

/** What a stream sent, its messages' lists joined. */
async function streamed<T>(method: string, key: string, req: object = {}): Promise<{ messages: number; items: T[] }> {
  const messages = (await suite.cri.stream('RuntimeService', method as never, req)) as unknown as Record<string, T[]>[];
  return { messages: messages.length, items: messages.flatMap((m) => m[key]) };
}

const ids = (items: { id?: string; attributes?: { id: string } | null }[]) => items.map((i) => i.id ?? i.attributes!.id).sort();

test('StreamPodSandboxes, StreamContainers, StreamContainerStats, StreamPodSandboxStats send the List answers, filters included', async () => {
  const a = await pod();
  const b = await pod();
  const list = (await suite.cri.runtime('listPodSandbox')).items;
  expect((await streamed('streamPodSandboxes', 'podSandboxes')).items).toEqual(list);
  const filter = { labelSelector: { serial: '1' } };
  expect((await streamed('streamPodSandboxes', 'podSandboxes', { filter })).items).toEqual((await suite.cri.runtime('listPodSandbox', { filter })).items);
  expect((await streamed('streamContainers', 'containers')).items).toEqual((await suite.cri.runtime('listContainers')).containers);
  expect((await streamed('streamContainers', 'containers', { filter: { podSandboxId: a.id } })).items).toEqual((await suite.cri.runtime('listContainers', { filter: { podSandboxId: a.id } })).containers);
  // Stats are read anew for each call: the same containers and pods, with their attributes.
  const cstats = (await streamed<{ attributes: { id: string } }>('streamContainerStats', 'containerStats')).items;
  expect(ids(cstats)).toEqual([a.container, b.container].sort());
  expect(cstats.map((s) => s.attributes)).toEqual(expect.arrayContaining((await suite.cri.runtime('listContainerStats')).stats.map((s) => s.attributes)));
  const pstats = (await streamed<{ attributes: { id: string } }>('streamPodSandboxStats', 'podSandboxStats', { filter: { id: b.id } })).items;
  expect(ids(pstats)).toEqual([b.id]);
  // Nothing to send: the stream ends with no message.
  expect(await streamed('streamContainers', 'containers', { filter: { id: 'cm-none' } })).toEqual({ messages: 0, items: [] });
  for (const p of [a, b]) await suite.cri.runtime('removePodSandbox', { podSandboxId: p.id });
});

test('a stream of many items goes in messages of 100', async () => {
  const sent: number[][] = [];
  await sendInBatches(
    Array.from({ length: 250 }, (_, i) => i),
    async (m: number[]) => void sent.push(m),
    () => false,
    (batch) => batch,
  );
  expect(sent.map((m) => m.length)).toEqual([100, 100, 50]);
  expect(sent.flat()).toEqual(Array.from({ length: 250 }, (_, i) => i));
  const few: number[][] = [];
  await sendInBatches([1, 2, 3], async (m: number[]) => void few.push(m), () => true, (batch) => batch);
  expect(few).toEqual([]);
});

test('ListPodSandboxMetrics: ready pods only, every metric described, labels as the descriptors name them, values from the pod', async () => {
  const a = await pod();
  const b = await pod();
  await suite.cri.runtime('stopPodSandbox', { podSandboxId: b.id });
  const { descriptors } = await suite.cri.runtime('listMetricDescriptors');
  const described = new Map(descriptors.map((d) => [d.name, d.labelKeys]));
  expect([...described.keys()]).toEqual(expect.arrayContaining(['container_cpu_usage_seconds_total', 'container_memory_working_set_bytes', 'container_network_receive_bytes_total']));

  const rxBefore = Number((await suite.cri.runtime('execSync', { containerId: a.container, cmd: ['cat', '/sys/class/net/eth0/statistics/rx_bytes'], timeout: 10 })).stdout.toString().trim());
  const { podMetrics } = await suite.cri.runtime('listPodSandboxMetrics');
  expect(podMetrics.map((p) => p.podSandboxId)).toEqual([a.id]);
  const [m] = podMetrics;
  for (const metric of [...m.metrics, ...m.containerMetrics.flatMap((c) => c.metrics)]) {
    expect({ name: metric.name, labels: metric.labelValues.length }).toEqual({ name: metric.name, labels: described.get(metric.name)?.length });
  }
  const rx = m.metrics.find((x) => x.name === 'container_network_receive_bytes_total' && x.labelValues.at(-1) === 'eth0')!;
  expect(rx.labelValues).toEqual([a.name, 'cm-ns', '', a.id, '', 'eth0']);
  expect(rx.metricType).toBe('COUNTER');
  expect(Number(rx.value!.value)).toBeGreaterThanOrEqual(rxBefore);

  expect(m.containerMetrics.map((c) => c.containerId)).toEqual([a.container]);
  const byName = new Map(m.containerMetrics[0].metrics.map((x) => [x.name, x]));
  expect(byName.get('container_memory_usage_bytes')!.labelValues).toEqual([a.name, 'cm-ns', a.containerName, a.container, 'cm-busybox']);
  expect(Number(byName.get('container_memory_usage_bytes')!.value!.value)).toBeGreaterThan(0);
  expect(byName.get('container_memory_usage_bytes')!.metricType).toBe('GAUGE');
  const started = (await suite.cri.runtime('containerStatus', { containerId: a.container })).status!.startedAt;
  expect(Number(byName.get('container_start_time_seconds')!.value!.value)).toBe(Math.floor(Number(started) / 1e9));
  expect(Number(byName.get('container_processes')!.value!.value)).toBe(1);

  const stream = await streamed<{ podSandboxId: string }>('streamPodSandboxMetrics', 'podSandboxMetrics');
  expect(stream.items.map((p) => p.podSandboxId)).toEqual([a.id]);
  for (const p of [a, b]) await suite.cri.runtime('removePodSandbox', { podSandboxId: p.id });
});

test('UpdatePodSandboxResources: checked as a container resources are, kept in the verbose status, no cgroup written', async () => {
  const a = await pod();
  expect(await failure(suite.cri.runtime('updatePodSandboxResources', {}))).toMatchObject({ code: 3, details: expect.stringContaining('pod_sandbox_id') });
  expect(await failure(suite.cri.runtime('updatePodSandboxResources', { podSandboxId: 'cm-none', resources: { memoryLimitInBytes: 64 * MIB } }))).toMatchObject({ code: 5 });
  expect(await failure(suite.cri.runtime('updatePodSandboxResources', { podSandboxId: a.id, resources: { memoryLimitInBytes: 1024 } }))).toMatchObject({ code: 3, details: expect.stringContaining('memory_limit') });
  const info = async () => JSON.parse((await suite.cri.runtime('podSandboxStatus', { podSandboxId: a.id, verbose: true })).info.info);
  expect((await info()).updatedResources).toBeUndefined();
  const before = (await info()).runtimeSpec;
  await suite.cri.runtime('updatePodSandboxResources', { podSandboxId: a.id, overhead: { cpuShares: 10 }, resources: { memoryLimitInBytes: 128 * MIB, cpuQuota: 50_000, cpuPeriod: 100_000 } });
  const after = await info();
  expect(after.updatedResources).toMatchObject({ overhead: { cpuShares: 10 }, resources: { memoryLimitInBytes: 128 * MIB, cpuQuota: 50_000, cpuPeriod: 100_000 } });
  expect(after.runtimeSpec).toEqual(before);
  await until(async () => (await suite.cri.runtime('podSandboxStatus', { podSandboxId: a.id })).status!.state === 'SANDBOX_READY');
  await suite.cri.runtime('removePodSandbox', { podSandboxId: a.id });
});

/**
 * ContainerStats, ListContainerStats, PodSandboxStats and ListPodSandboxStats through the CRI
 * socket of a real tsrund: a container that holds memory, writes to its writable layer and burns
 * CPU; figures that move between two calls; filters; a list of several; errors.
 */
import * as fs from 'fs';
import * as path from 'path';
import { failure, until } from '../supervisor/daemon';
import { busyboxSuite } from './busybox-suite';

jest.setTimeout(120_000);

const MIB = 1 << 20;
const suite = busyboxSuite('cs-st-');
const { work, image: IMAGE } = suite;
let serial = 0;

async function runPod(labels: Record<string, string> = {}) {
  const n = serial++;
  const config = {
    metadata: { name: `cs-pod-${n}`, uid: `cs-uid-${process.pid}-${n}`, namespace: 'cs-ns', attempt: 0 },
    logDirectory: path.join(work, 'logs', `pod-${n}`),
    labels,
  };
  const { podSandboxId } = await suite.cri.runtime('runPodSandbox', { config });
  return { id: podSandboxId, config };
}

type Pod = Awaited<ReturnType<typeof runPod>>;

async function startIn(pod: Pod, name: string, script: string, more: object = {}) {
  const { containerId } = await suite.cri.runtime('createContainer', {
    podSandboxId: pod.id,
    config: { metadata: { name }, image: { image: IMAGE }, command: ['/bin/sh', '-c', script], labels: { role: name }, ...more },
    sandboxConfig: pod.config,
  });
  await suite.cri.runtime('startContainer', { containerId });
  return containerId;
}

/** 12 MiB held in a shell variable, 2 MiB written to the root, then a busy loop. */
const HOG = 'x=$(head -c 12582912 /dev/zero | tr "\\0" a); head -c 2097152 /dev/urandom >/cs-file; while :; do :; done';

const statsOf = async (id: string) => (await suite.cri.runtime('containerStats', { containerId: id })).stats!;

test('a busy container: cpu grows between two calls, the working set holds its memory, the writable layer its file', async () => {
  const pod = await runPod();
  const id = await startIn(pod, 'hog', HOG, { linux: { resources: { memoryLimitInBytes: 256 * MIB } } });
  await until(async () => ((await statsOf(id)).writableLayer?.usedBytes?.value ?? 0) >= 2 * MIB, 20_000);
  await until(async () => ((await statsOf(id)).memory?.workingSetBytes?.value ?? 0) > 12 * MIB, 20_000);
  const first = await statsOf(id);
  await new Promise((r) => setTimeout(r, 500));
  const second = await statsOf(id);

  expect(second.attributes).toMatchObject({ id, metadata: { name: 'hog', attempt: 0 }, labels: { role: 'hog' } });
  expect(second.cpu!.timestamp).toBeGreaterThan(first.cpu!.timestamp);
  expect(second.cpu!.usageCoreNanoSeconds!.value).toBeGreaterThan(first.cpu!.usageCoreNanoSeconds!.value);
  // A busy loop on a 2-core host: between a tenth of a core and both of them.
  expect(second.cpu!.usageNanoCores!.value).toBeGreaterThan(1e8);
  expect(second.cpu!.usageNanoCores!.value).toBeLessThanOrEqual(2.2e9);
  const mem = second.memory!;
  expect(mem.workingSetBytes!.value).toBeGreaterThan(12 * MIB);
  expect(mem.usageBytes!.value).toBeGreaterThanOrEqual(mem.workingSetBytes!.value);
  expect(mem.rssBytes!.value).toBeGreaterThan(12 * MIB);
  expect(mem.pageFaults!.value).toBeGreaterThan(0);
  expect(mem.availableBytes!.value).toBe(256 * MIB - mem.workingSetBytes!.value);
  expect(second.writableLayer!.fsId!.mountpoint).not.toBe('');
  expect(second.writableLayer!.usedBytes!.value).toBeGreaterThanOrEqual(2 * MIB);
  expect(second.writableLayer!.inodesUsed!.value).toBeGreaterThanOrEqual(2);

  // The pod: its containers' sums (and the pause's), the process count, eth0's counters when it has one.
  const podStats = (await suite.cri.runtime('podSandboxStats', { podSandboxId: pod.id })).stats!;
  expect(podStats.attributes).toMatchObject({ id: pod.id, metadata: { name: pod.config.metadata.name } });
  const linux = podStats.linux!;
  expect(linux.containers.map((c) => c.attributes!.id)).toEqual([id]);
  expect(linux.cpu!.usageCoreNanoSeconds!.value).toBeGreaterThanOrEqual(second.cpu!.usageCoreNanoSeconds!.value);
  expect(linux.memory!.workingSetBytes!.value).toBeGreaterThan(12 * MIB);
  // The pause, the shell (and its command substitution's children are gone by now).
  expect(linux.process!.processCount!.value).toBeGreaterThanOrEqual(2);
  // The pod's own network (CNI gave it eth0): its counters, not the host's, and no loopback.
  const net = linux.network!;
  expect(net.defaultInterface!.name).toBe('eth0');
  expect(net.interfaces.map((i) => i.name)).toEqual(['eth0']);
  expect(net.defaultInterface!.rxBytes).not.toBeNull();
  expect(net.defaultInterface!.txBytes).not.toBeNull();

  await suite.cri.runtime('removePodSandbox', { podSandboxId: pod.id });
});

test('no memory limit: available_bytes is unset; an exited container has its attributes and writable layer only', async () => {
  const pod = await runPod();
  const id = await startIn(pod, 'idle', 'echo cs >/cs-mark; sleep 1000');
  await until(async () => (await statsOf(id)).memory !== null, 10_000);
  expect((await statsOf(id)).memory!.availableBytes).toBeNull();
  await suite.cri.runtime('stopContainer', { containerId: id, timeout: 0 });
  const after = await statsOf(id);
  expect(after.attributes!.id).toBe(id);
  expect(after.cpu).toBeNull();
  expect(after.memory).toBeNull();
  expect(after.writableLayer!.inodesUsed!.value).toBeGreaterThanOrEqual(1);
  // A stopped pod: no live figures, its containers still listed.
  await suite.cri.runtime('stopPodSandbox', { podSandboxId: pod.id });
  const stopped = (await suite.cri.runtime('podSandboxStats', { podSandboxId: pod.id })).stats!.linux!;
  expect(stopped).toMatchObject({ cpu: null, memory: null, network: null, process: null });
  expect(stopped.containers.map((c) => c.attributes!.id)).toEqual([id]);
  await suite.cri.runtime('removePodSandbox', { podSandboxId: pod.id });
});

test("a pod in the node's network reports no network of its own", async () => {
  const n = serial++;
  const config = {
    metadata: { name: `cs-pod-${n}`, uid: `cs-uid-${process.pid}-${n}`, namespace: 'cs-ns', attempt: 0 },
    linux: { securityContext: { namespaceOptions: { network: 'NODE' as const, pid: 'POD' as const, ipc: 'POD' as const } } },
  };
  const { podSandboxId } = await suite.cri.runtime('runPodSandbox', { config });
  const linux = (await suite.cri.runtime('podSandboxStats', { podSandboxId })).stats!.linux!;
  expect(linux.network).toBeNull();
  expect(linux.process!.processCount!.value).toBeGreaterThanOrEqual(1);
  await suite.cri.runtime('removePodSandbox', { podSandboxId });
});

test('ListContainerStats and ListPodSandboxStats: every one, or by id, prefix, pod and labels', async () => {
  const a = await runPod({ app: 'cs-a' });
  const b = await runPod({ app: 'cs-b' });
  const a1 = await startIn(a, 'one', 'sleep 1000');
  const a2 = await startIn(a, 'two', 'sleep 1000');
  const b1 = await startIn(b, 'one', 'sleep 1000');
  const ids = async (filter: object | null) => (await suite.cri.runtime('listContainerStats', filter ? { filter } : {})).stats.map((s) => s.attributes!.id).sort();
  expect(await ids(null)).toEqual([a1, a2, b1].sort());
  expect(await ids({ id: a2 })).toEqual([a2]);
  expect(await ids({ id: a2.slice(0, 13) })).toEqual([a2]);
  expect(await ids({ podSandboxId: a.id })).toEqual([a1, a2].sort());
  expect(await ids({ labelSelector: { role: 'one' } })).toEqual([a1, b1].sort());
  expect(await ids({ podSandboxId: b.id, labelSelector: { role: 'two' } })).toEqual([]);
  expect(await ids({ id: 'cs-nothing' })).toEqual([]);
  for (const s of (await suite.cri.runtime('listContainerStats')).stats) expect(s.cpu!.usageCoreNanoSeconds!.value).toBeGreaterThanOrEqual(0);

  const pods = async (filter: object | null) => (await suite.cri.runtime('listPodSandboxStats', filter ? { filter } : {})).stats.map((s) => s.attributes!.id).sort();
  expect(await pods(null)).toEqual([a.id, b.id].sort());
  expect(await pods({ id: b.id })).toEqual([b.id]);
  expect(await pods({ labelSelector: { app: 'cs-a' } })).toEqual([a.id]);
  expect(await pods({ labelSelector: { app: 'cs-none' } })).toEqual([]);
  const listed = (await suite.cri.runtime('listPodSandboxStats', { filter: { id: a.id } })).stats[0].linux!;
  expect(listed.containers.map((c) => c.attributes!.id).sort()).toEqual([a1, a2].sort());

  await suite.cri.runtime('removePodSandbox', { podSandboxId: a.id });
  await suite.cri.runtime('removePodSandbox', { podSandboxId: b.id });
  expect(await ids(null)).toEqual([]);
});

test('errors: an unknown container or pod is NOT_FOUND, an empty id INVALID_ARGUMENT', async () => {
  expect(await failure(suite.cri.runtime('containerStats', { containerId: 'cs-none' }))).toMatchObject({ code: 5 });
  expect(await failure(suite.cri.runtime('containerStats', {}))).toMatchObject({ code: 3, details: expect.stringContaining('container_id') });
  expect(await failure(suite.cri.runtime('podSandboxStats', { podSandboxId: 'cs-none' }))).toMatchObject({ code: 5 });
  expect(await failure(suite.cri.runtime('podSandboxStats', {}))).toMatchObject({ code: 3, details: expect.stringContaining('pod_sandbox_id') });
});

/** The cgroup v2 directory of `pid` (the unified hierarchy's, on a hybrid host too); null on a v1-only host. */
function unifiedDir(pid: number): string | null {
  const line = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => l.startsWith('0::'));
  if (!line) return null;
  const mount = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => / - cgroup2 /.test(l));
  return mount ? path.join(mount.split(' ')[4], line.slice(3)) : null;
}

test('PSI (cpu, memory, io) from the cgroup v2 pressure files where the host has them; swap where memory+swap is accounted', async () => {
  const pod = await runPod();
  const id = await startIn(pod, 'psi', 'exec sleep 1000');
  const pid = JSON.parse((await suite.cri.runtime('containerStatus', { containerId: id, verbose: true })).info.info).pid;
  const dir = unifiedDir(pid);
  const has = (file: string) => dir !== null && fs.existsSync(path.join(dir, file));
  const total = (file: string) => Number(/^some .* total=(\d+)$/m.exec(fs.readFileSync(path.join(dir!, file), 'utf8'))![1]);
  const before = Object.fromEntries(['cpu', 'memory', 'io'].map((r) => [r, has(`${r}.pressure`) ? total(`${r}.pressure`) : null]));
  const st = await statsOf(id);
  for (const [resource, psi] of [['cpu', st.cpu!.psi], ['memory', st.memory!.psi], ['io', st.io?.psi ?? null]] as const) {
    if (before[resource] === null) {
      expect({ resource, psi }).toEqual({ resource, psi: null });
      continue;
    }
    expect(Number(psi!.Some!.Total)).toBeGreaterThanOrEqual(before[resource]!);
    expect(Number(psi!.Some!.Total)).toBeLessThanOrEqual(total(`${resource}.pressure`));
  }
  if (!has('cpu.pressure')) console.warn('this host has no cgroup v2 pressure files: ContainerStats carries no PSI here');
  // Swap accounting: v1's memory.memsw files, or v2's memory.swap.current.
  const swapped = fs.existsSync('/sys/fs/cgroup/memory/memory.memsw.usage_in_bytes') || has('memory.swap.current');
  expect(st.swap === null).toBe(!swapped);
  if (st.swap) expect(Number(st.swap.swapUsageBytes!.value)).toBeGreaterThanOrEqual(0);
  await suite.cri.runtime('removePodSandbox', { podSandboxId: pod.id });
});

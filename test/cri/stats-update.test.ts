/**
 * UpdateContainerResources through the CRI socket of a real tsrund: the running container's
 * cgroup files (found from its init's /proc/<pid>/cgroup) show the new memory limit, cpu shares,
 * quota, period and cpuset; ContainerStats' available_bytes follows the limit; errors change nothing.
 */
import * as fs from 'fs';
import * as path from 'path';
import { failure, until } from '../supervisor/daemon';
import { busyboxSuite } from './busybox-suite';

jest.setTimeout(120_000);

const MIB = 1 << 20;
const suite = busyboxSuite('cs-up-');
const IMAGE = suite.image;

/** The file `file` of the cgroup that `controller` puts `pid` in (v1 or v2). */
function cgroupFile(pid: number, controller: string, file: string): string {
  const lines = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n').map((l) => l.split(':'));
  const v1 = lines.find(([, list]) => list.split(',').includes(controller));
  const p = v1 ? path.join('/sys/fs/cgroup', controller, v1[2], file) : path.join('/sys/fs/cgroup', lines.find(([h]) => h === '0')![2], file);
  return fs.readFileSync(p, 'utf8').trim();
}

const isV1 = () => fs.existsSync('/sys/fs/cgroup/memory/memory.limit_in_bytes');

async function runningContainer(n: number, resources: object) {
  const config = { metadata: { name: `cs-up-pod-${n}`, uid: `cs-up-${process.pid}-${n}`, namespace: 'cs-ns', attempt: 0 } };
  const { podSandboxId } = await suite.cri.runtime('runPodSandbox', { config });
  const { containerId } = await suite.cri.runtime('createContainer', {
    podSandboxId,
    config: { metadata: { name: 'cs-up' }, image: { image: IMAGE }, command: ['sleep', '1000'], linux: { resources } },
    sandboxConfig: config,
  });
  await suite.cri.runtime('startContainer', { containerId });
  const info = JSON.parse((await suite.cri.runtime('containerStatus', { containerId, verbose: true })).info.info);
  return { pod: podSandboxId, id: containerId, pid: info.pid as number };
}

test('a running container: the new limits are in its cgroup files and in its stats', async () => {
  const c = await runningContainer(0, { memoryLimitInBytes: 64 * MIB, cpuShares: 256 });
  const memFile = isV1() ? 'memory.limit_in_bytes' : 'memory.max';
  expect(cgroupFile(c.pid, 'memory', memFile)).toBe(String(64 * MIB));

  await suite.cri.runtime('updateContainerResources', {
    containerId: c.id,
    linux: { memoryLimitInBytes: 128 * MIB, cpuShares: 512, cpuQuota: 50_000, cpuPeriod: 100_000, cpusetCpus: '0' },
  });
  expect(cgroupFile(c.pid, 'memory', memFile)).toBe(String(128 * MIB));
  if (isV1()) {
    expect(cgroupFile(c.pid, 'cpu', 'cpu.shares')).toBe('512');
    expect(cgroupFile(c.pid, 'cpu', 'cpu.cfs_quota_us')).toBe('50000');
    expect(cgroupFile(c.pid, 'cpu', 'cpu.cfs_period_us')).toBe('100000');
  } else {
    expect(cgroupFile(c.pid, 'cpu', 'cpu.max')).toBe('50000 100000');
  }
  expect(cgroupFile(c.pid, 'cpuset', 'cpuset.cpus')).toBe('0');

  await until(async () => (await suite.cri.runtime('containerStats', { containerId: c.id })).stats!.memory !== null, 10_000);
  const mem = (await suite.cri.runtime('containerStats', { containerId: c.id })).stats!.memory!;
  expect(mem.availableBytes!.value).toBe(128 * MIB - mem.workingSetBytes!.value);
  // The container kept running through it; its status shows what was set.
  const st = (await suite.cri.runtime('containerStatus', { containerId: c.id })).status!;
  expect(st.state).toBe('CONTAINER_RUNNING');
  expect(st.resources!.linux).toMatchObject({ memoryLimitInBytes: 128 * MIB, cpuShares: 512, cpuQuota: 50_000, cpuPeriod: 100_000, cpusetCpus: '0' });

  // A second update over the first: what it leaves out stays as the first set it.
  await suite.cri.runtime('updateContainerResources', { containerId: c.id, linux: { memoryLimitInBytes: 96 * MIB } });
  expect(cgroupFile(c.pid, 'memory', memFile)).toBe(String(96 * MIB));
  expect(cgroupFile(c.pid, 'cpuset', 'cpuset.cpus')).toBe('0');
  await suite.cri.runtime('removePodSandbox', { podSandboxId: c.pod });
});

test('errors: unknown container NOT_FOUND, no linux INVALID_ARGUMENT, a bad value INVALID_ARGUMENT naming it, an exited one FAILED_PRECONDITION; nothing changes', async () => {
  expect(await failure(suite.cri.runtime('updateContainerResources', { containerId: 'cs-none', linux: { memoryLimitInBytes: 64 * MIB } }))).toMatchObject({ code: 5 });
  expect(await failure(suite.cri.runtime('updateContainerResources', {}))).toMatchObject({ code: 3, details: expect.stringContaining('container_id') });
  const c = await runningContainer(1, { memoryLimitInBytes: 64 * MIB });
  const memFile = isV1() ? 'memory.limit_in_bytes' : 'memory.max';
  expect(await failure(suite.cri.runtime('updateContainerResources', { containerId: c.id }))).toMatchObject({ code: 3, details: expect.stringContaining('linux') });
  expect(await failure(suite.cri.runtime('updateContainerResources', { containerId: c.id, linux: { memoryLimitInBytes: 1024 } }))).toMatchObject({ code: 3, details: expect.stringContaining('memory_limit') });
  expect(await failure(suite.cri.runtime('updateContainerResources', { containerId: c.id, linux: { cpusetCpus: '0-999' } }))).toMatchObject({ code: 3, details: expect.stringContaining('cpuset_cpus') });
  expect(cgroupFile(c.pid, 'memory', memFile)).toBe(String(64 * MIB));
  await suite.cri.runtime('stopContainer', { containerId: c.id, timeout: 0 });
  expect(await failure(suite.cri.runtime('updateContainerResources', { containerId: c.id, linux: { memoryLimitInBytes: 128 * MIB } }))).toMatchObject({ code: 9, details: expect.stringContaining('not running') });
  await suite.cri.runtime('removePodSandbox', { podSandboxId: c.pod });
});

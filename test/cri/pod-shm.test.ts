/**
 * A pod's /dev/shm through the CRI socket of a real tsrund, seen from inside its containers: two
 * containers of one pod (and its sandbox) share one tmpfs of containerd's 64 MiB; another pod has
 * its own; a container that mounts a /dev/shm of its own keeps it; a pod in the host's ipc
 * namespace has the host's. StopPodSandbox unmounts and removes the pod's tmpfs.
 */
import * as fs from 'fs';
import * as path from 'path';
import { busyboxSuite } from './busybox-suite';

jest.setTimeout(120_000);

const suite = busyboxSuite('csh-');
let serial = 0;

async function runPod(linux: object = {}) {
  const n = serial++;
  const config = { metadata: { name: `csh-pod-${n}`, uid: `csh-${process.pid}-${n}`, namespace: 'csh-ns', attempt: 0 }, linux };
  const { podSandboxId } = await suite.cri.runtime('runPodSandbox', { config });
  return { id: podSandboxId, config };
}

async function start(pod: Awaited<ReturnType<typeof runPod>>, name: string, more: object = {}) {
  const { containerId } = await suite.cri.runtime('createContainer', {
    podSandboxId: pod.id,
    config: { metadata: { name }, image: { image: suite.image }, command: ['sleep', '1000'], ...more },
    sandboxConfig: pod.config,
  });
  await suite.cri.runtime('startContainer', { containerId });
  return containerId;
}

async function sh(containerId: string, script: string): Promise<string> {
  const r = await suite.cri.runtime('execSync', { containerId, cmd: ['/bin/sh', '-c', script], timeout: 20 });
  expect({ script, exitCode: r.exitCode, stderr: r.stderr.toString() }).toEqual({ script, exitCode: 0, stderr: '' });
  return r.stdout.toString();
}

/** The /dev/shm line of a container's /proc/mounts: "shm /dev/shm tmpfs rw,nosuid,...". */
const shmMount = async (id: string) => (await sh(id, 'cat /proc/mounts')).split('\n').filter((l) => l.split(' ')[1] === '/dev/shm');

test("two containers of a pod and its sandbox share one /dev/shm of 64 MiB; another pod's is its own; StopPodSandbox removes it", async () => {
  const pod = await runPod();
  const a = await start(pod, 'csh-a');
  const b = await start(pod, 'csh-b');
  await sh(a, 'echo csh-from-a > /dev/shm/csh-file');
  expect(await sh(b, 'cat /dev/shm/csh-file')).toBe('csh-from-a\n');
  await sh(b, 'echo csh-from-b > /dev/shm/csh-back');
  expect(await sh(a, 'cat /dev/shm/csh-back')).toBe('csh-from-b\n');
  const [line] = await shmMount(a);
  expect(line).toMatch(/^\S+ \/dev\/shm tmpfs \S*\bsize=65536k\b/);
  expect(line.split(' ')[3].split(',')).toEqual(expect.arrayContaining(['rw', 'nosuid', 'nodev', 'noexec']));
  const pause = JSON.parse((await suite.cri.runtime('podSandboxStatus', { podSandboxId: pod.id, verbose: true })).info.info).pid;
  expect(fs.readFileSync(`/proc/${pause}/root/dev/shm/csh-file`, 'utf8')).toBe('csh-from-a\n');

  const other = await runPod();
  const c = await start(other, 'csh-c');
  expect(await sh(c, 'ls -A /dev/shm')).toBe('');

  const dir = path.join(suite.daemon.state, 'cri', 'shm', pod.id);
  expect(fs.existsSync(dir)).toBe(true);
  await suite.cri.runtime('stopPodSandbox', { podSandboxId: pod.id });
  const mounts = fs.readFileSync(`/proc/${suite.daemon.proc!.pid}/mountinfo`, 'utf8');
  expect(mounts).not.toContain(dir);
  expect(fs.existsSync(dir)).toBe(false);
  for (const p of [pod, other]) await suite.cri.runtime('removePodSandbox', { podSandboxId: p.id });
});

test('a container that mounts a /dev/shm of its own keeps it', async () => {
  const own = fs.mkdtempSync(path.join(suite.work, 'own-shm-'));
  fs.writeFileSync(path.join(own, 'csh-own'), 'mine\n');
  const pod = await runPod();
  const a = await start(pod, 'csh-a');
  await sh(a, 'echo pod > /dev/shm/csh-pod');
  const b = await start(pod, 'csh-own', { mounts: [{ containerPath: '/dev/shm', hostPath: own }] });
  expect((await sh(b, 'ls -A /dev/shm')).split('\n').filter(Boolean)).toEqual(['csh-own']);
  await suite.cri.runtime('removePodSandbox', { podSandboxId: pod.id });
});

test("a pod in the host's ipc namespace has the host's /dev/shm", async () => {
  const name = `csh-host-${process.pid}`;
  const file = path.join('/dev/shm', name);
  fs.writeFileSync(file, 'host\n');
  try {
    const pod = await runPod({ securityContext: { namespaceOptions: { ipc: 'NODE' } } });
    const a = await start(pod, 'csh-a', { linux: { securityContext: { namespaceOptions: { ipc: 'NODE' } } } });
    expect(await sh(a, `cat /dev/shm/${name}`)).toBe('host\n');
    expect(fs.existsSync(path.join(suite.daemon.state, 'cri', 'shm', pod.id))).toBe(false);
    await suite.cri.runtime('removePodSandbox', { podSandboxId: pod.id });
  } finally {
    fs.rmSync(file, { force: true });
  }
});

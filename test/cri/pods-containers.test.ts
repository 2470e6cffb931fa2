/**
 * Containers in a pod through the CRI socket of a real tsrund: a busybox image (imported through
 * tsrund's own API: one store for both) made into containers of a sandbox. Two containers share
 * the pod's localhost, hostname and resolv.conf; the CRI log file under the sandbox's
 * log_directory; exit codes and reasons (Completed, Error, OOMKilled), timestamps; StopContainer's
 * timeout then SIGKILL; filters; StopPodSandbox killing them, RemovePodSandbox removing them;
 * remove twice; a tsrund restart keeping an exited container's status.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildBusyboxArchive } from '../helpers/oci-image';
import { failure, TestDaemon, until } from '../supervisor/daemon';
import { CriClient } from './client';

jest.setTimeout(120_000);

const IMAGE = 'localhost/cp-busybox:1';
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cp-containers-'));
const daemon = new TestDaemon();
let cri: CriClient;
let serial = 0;

beforeAll(async () => {
  await daemon.start();
  cri = new CriClient(daemon.criAddress);
  await daemon.client.importImages(buildBusyboxArchive(work, IMAGE).file);
});

afterAll(async () => {
  await cri.removeAllPods();
  cri.close();
  await daemon.cleanup();
  fs.rmSync(work, { recursive: true, force: true });
});

async function runPod(linux: object = {}) {
  const n = serial++;
  const config = {
    linux,
    metadata: { name: `cp-pod-${n}`, uid: `cp-uid-${process.pid}-${n}`, namespace: 'cp-ns', attempt: 0 },
    hostname: `cp-host-${n}`,
    logDirectory: path.join(work, 'logs', `pod-${n}`),
    dnsConfig: { servers: ['10.96.0.10'], searches: [], options: [] },
  };
  const { podSandboxId } = await cri.runtime('runPodSandbox', { config });
  return { id: podSandboxId, config };
}

type Pod = Awaited<ReturnType<typeof runPod>>;

async function createIn(pod: Pod, name: string, args: string[], more: object = {}) {
  const { containerId } = await cri.runtime('createContainer', {
    podSandboxId: pod.id,
    config: { metadata: { name }, image: { image: IMAGE }, command: ['/bin/sh', '-c'], args, logPath: `${name}/0.log`, labels: { role: name }, ...more },
    sandboxConfig: pod.config,
  });
  return containerId;
}

const status = async (id: string) => (await cri.runtime('containerStatus', { containerId: id })).status!;
const exited = (id: string) => until(async () => (await status(id)).state === 'CONTAINER_EXITED', 20_000);
const logOf = (pod: Pod, name: string) => fs.readFileSync(path.join(pod.config.logDirectory, name, '0.log'), 'utf8');
/** The lines of a CRI log without their time: "stdout F text". */
const records = (log: string) =>
  log
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      expect(l).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z (stdout|stderr) [FP] /);
      return l.replace(/^\S+ /, '');
    });

test('two containers of a pod share localhost, the hostname and resolv.conf; their logs are CRI logs; exits are Completed', async () => {
  const pod = await runPod();
  const server = await createIn(pod, 'server', ['nc -l -p 7777 -e echo cp-over-localhost']);
  const client = await createIn(pod, 'client', [
    'for i in 1 2 3 4 5 6 7 8 9 10; do nc 127.0.0.1 7777 </dev/null 2>/dev/null && break; sleep 0.2; done; hostname; grep nameserver /etc/resolv.conf; echo cp-err >&2',
  ]);
  expect((await status(server)).state).toBe('CONTAINER_CREATED');
  await cri.runtime('startContainer', { containerId: server });
  expect((await status(server)).state).toBe('CONTAINER_RUNNING');
  // In the pause's network, ipc and uts namespaces; a pid namespace of its own (the pod shares none).
  const pidOf = async (info: Promise<{ info: Record<string, string> }>) => (JSON.parse((await info).info.info) as { pid: number }).pid;
  const pause = await pidOf(cri.runtime('podSandboxStatus', { podSandboxId: pod.id, verbose: true }));
  const inServer = await pidOf(cri.runtime('containerStatus', { containerId: server, verbose: true }));
  const ns = (pid: number, kind: string) => fs.readlinkSync(`/proc/${pid}/ns/${kind}`);
  for (const kind of ['net', 'ipc', 'uts']) expect(ns(inServer, kind)).toBe(ns(pause, kind));
  expect(ns(inServer, 'pid')).not.toBe(ns(pause, 'pid'));
  await cri.runtime('startContainer', { containerId: client });
  await exited(client);
  await exited(server);
  expect(records(logOf(pod, 'client'))).toEqual(['stdout F cp-over-localhost', `stdout F ${pod.config.hostname}`, 'stdout F nameserver 10.96.0.10', 'stderr F cp-err']);
  const st = await status(client);
  expect(st).toMatchObject({ exitCode: 0, reason: 'Completed', logPath: path.join(pod.config.logDirectory, 'client', '0.log'), labels: { role: 'client' } });
  expect(st.image!.image).toBe(IMAGE);
  expect(st.imageRef).toMatch(/^sha256:[0-9a-f]{64}$/);
  expect(st.createdAt).toBeGreaterThan(0);
  expect(st.startedAt).toBeGreaterThanOrEqual(st.createdAt);
  expect(st.finishedAt).toBeGreaterThanOrEqual(st.startedAt);
  expect((await status(server)).reason).toBe('Completed');
  await cri.runtime('removePodSandbox', { podSandboxId: pod.id });
  expect(await failure(status(client))).toMatchObject({ code: 5 });
});

test('an exit code is kept with reason Error across a tsrund restart; StopContainer: the signal, the timeout, then SIGKILL', async () => {
  const pod = await runPod();
  const failing = await createIn(pod, 'failing', ['echo cp-out; exit 3']);
  await cri.runtime('startContainer', { containerId: failing });
  await exited(failing);
  // busybox sleep as pid 1 has no handler for SIGTERM: only the SIGKILL after the timeout ends it.
  const sleeper = await createIn(pod, 'sleeper', ['exec sleep 1000']);
  await cri.runtime('startContainer', { containerId: sleeper });
  const t0 = Date.now();
  await cri.runtime('stopContainer', { containerId: sleeper, timeout: 1 });
  expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
  expect(await status(sleeper)).toMatchObject({ state: 'CONTAINER_EXITED', exitCode: 137, reason: 'Error' });
  await cri.runtime('stopContainer', { containerId: sleeper, timeout: 1 });

  await daemon.signal('SIGTERM');
  await daemon.start();
  cri.close();
  cri = new CriClient(daemon.criAddress);
  expect(await status(failing)).toMatchObject({ state: 'CONTAINER_EXITED', exitCode: 3, reason: 'Error' });
  expect(records(logOf(pod, 'failing'))).toEqual(['stdout F cp-out']);

  const ids = async (filter: object) => (await cri.runtime('listContainers', { filter })).containers.map((c) => c.id).sort();
  expect(await ids({ podSandboxId: pod.id })).toEqual([failing, sleeper].sort());
  expect(await ids({ podSandboxId: pod.id, labelSelector: { role: 'sleeper' } })).toEqual([sleeper]);
  expect(await ids({ id: failing.slice(0, 13) })).toEqual([failing]);
  expect(await ids({ podSandboxId: pod.id, state: { state: 'CONTAINER_RUNNING' } })).toEqual([]);

  await cri.runtime('removeContainer', { containerId: failing });
  await cri.runtime('removeContainer', { containerId: failing });
  expect(await ids({ podSandboxId: pod.id })).toEqual([sleeper]);
  await cri.runtime('removePodSandbox', { podSandboxId: pod.id });
});

test('StopPodSandbox kills its running containers (they stay, EXITED); RemovePodSandbox removes them', async () => {
  const pod = await runPod();
  const c = await createIn(pod, 'long', ['exec sleep 1000']);
  await cri.runtime('startContainer', { containerId: c });
  await cri.runtime('stopPodSandbox', { podSandboxId: pod.id });
  expect(await status(c)).toMatchObject({ state: 'CONTAINER_EXITED', exitCode: 137 });
  expect(await failure(cri.runtime('startContainer', { containerId: c }))).toMatchObject({ code: 9 });
  await cri.runtime('removePodSandbox', { podSandboxId: pod.id });
  expect((await cri.runtime('listContainers')).containers).toEqual([]);
  expect((await daemon.client.listContainers()).map((k) => k.id)).not.toContain(c);
  expect(fs.readdirSync(path.join(daemon.root, 'snapshots', 'active'))).toEqual([]);
});

test("a pod that shares its pid namespace: the pause is its containers' pid 1", async () => {
  const shared = { securityContext: { namespaceOptions: { pid: 'POD' as const } } };
  const pod = await runPod(shared);
  const c = await createIn(pod, 'ps', ['echo "$(tr "\\0" " " </proc/1/cmdline)| $$"'], { linux: shared });
  await cri.runtime('startContainer', { containerId: c });
  await exited(c);
  // One echo: one record (the shell writes a line at once).
  const [line] = records(logOf(pod, 'ps'));
  expect(line).toMatch(/^stdout F \/pause \| (\d+)$/);
  expect(line).not.toMatch(/\| 1$/);
  await cri.runtime('removePodSandbox', { podSandboxId: pod.id });
});

test('a container over its memory limit is OOMKilled', async () => {
  const pod = await runPod();
  // tail keeps its last line whole: 256 MiB without a newline, in a 16 MiB cgroup.
  const hog = await createIn(pod, 'hog', ['head -c 268435456 /dev/zero | tail -n 1 >/dev/null'], { linux: { resources: { memoryLimitInBytes: 16 << 20 } } });
  await cri.runtime('startContainer', { containerId: hog });
  await exited(hog);
  expect(await status(hog)).toMatchObject({ reason: 'OOMKilled', exitCode: 137 });
  await cri.runtime('removePodSandbox', { podSandboxId: pod.id });
});

test('bad requests are refused naming the field', async () => {
  const pod = await runPod();
  const create = (config: object) => failure(cri.runtime('createContainer', { podSandboxId: pod.id, config: { metadata: { name: 'x' }, image: { image: IMAGE }, ...config } }));
  expect(await create({ image: { image: 'localhost/cp-not-pulled:1' } })).toMatchObject({ code: 5, details: expect.stringContaining('localhost/cp-not-pulled:1') });
  expect(await create({ logPath: '../../escape.log' })).toMatchObject({ code: 3, details: expect.stringContaining('config.log_path') });
  expect(await create({ mounts: [{ containerPath: 'relative', hostPath: '/tmp' }] })).toMatchObject({ code: 3, details: expect.stringContaining('config.mounts[0].container_path') });
  expect(await failure(cri.runtime('createContainer', { podSandboxId: 'cp-none', config: {} }))).toMatchObject({ code: 5 });
  expect(await failure(cri.runtime('startContainer', {}))).toMatchObject({ code: 3, details: expect.stringContaining('container_id') });
  await cri.runtime('removeContainer', { containerId: 'cp-none' });
  expect((await cri.runtime('listContainers')).containers).toEqual([]);
  await cri.runtime('removePodSandbox', { podSandboxId: pod.id });
});

/**
 * Pod sandboxes through the CRI socket of a real tsrund (its own mount namespace, network slot
 * and CNI directory): run, status, list with filters, stop and remove twice each; what the pod
 * sees (its hostname, resolv.conf, the pause as pid 1 reaping orphans, oom_score_adj clamped);
 * its address reached from the host over TCP, and a host port through portmap; the host's
 * network; failures that leave nothing behind; a tsrund restart that keeps the sandbox.
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { failure, TestDaemon, until } from '../supervisor/daemon';
import { hasSysResource } from '../../supervisor/cri/pods/oom-score';
import { CriClient } from './client';

jest.setTimeout(120_000);

const NOT_FOUND = 5;
const FAILED_PRECONDITION = 9;
const CGROUP_PARENT = `/cp-pods-${process.pid}`;
const CGROUP_ROOT = '/sys/fs/cgroup';

let daemon: TestDaemon;
let cri: CriClient;
let started: ChildProcess[] = [];

async function startDaemon(): Promise<void> {
  await daemon.start();
  cri?.close();
  cri = new CriClient(daemon.criAddress);
}

beforeAll(async () => {
  // Not privateMounts: each start would get a new copy of the holder's namespace, and the pins of
  // the one before (the restart case's) would stay behind in the old one.
  daemon = new TestDaemon();
  await startDaemon();
});

afterEach(() => {
  for (const p of started) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  started = [];
});

afterAll(async () => {
  await cri.removeAllPods();
  cri.close();
  await daemon.cleanup();
  // The pods' parent cgroup: made by tsrund for these tests' requests, empty once the sandboxes went.
  for (const h of fs.readdirSync(CGROUP_ROOT)) {
    try {
      fs.rmdirSync(path.join(CGROUP_ROOT, h, CGROUP_PARENT));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
});

let serial = 0;
/** A PodSandboxConfig as a client sends it (fields left out go as defaults), unique per call. */
function podConfig<O extends object>(o: O = {} as O) {
  const n = serial++;
  return {
    metadata: { name: `cp-pod-${n}`, uid: `cp-uid-${process.pid}-${n}`, namespace: 'cp-ns', attempt: 0 },
    hostname: `cp-pod-${n}`,
    logDirectory: path.join(daemon.dir, 'pod-logs', String(n)),
    labels: { app: 'cp-web', n: String(n) },
    annotations: { 'cp.example/note': `pod ${n}` },
    ...o,
  };
}

async function status(id: string, verbose = false) {
  return cri.runtime('podSandboxStatus', { podSandboxId: id, verbose });
}

async function pausePid(id: string): Promise<number> {
  const { info } = await status(id, true);
  return (JSON.parse(info.info) as { pid: number }).pid;
}

const run = (cmd: string, args: string[]) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

/** A TCP listener inside the pod's network namespace that answers `text` to each connection. */
async function listenIn(pid: number, port: number, text: string): Promise<void> {
  const script = `require('net').createServer((s) => s.end(${JSON.stringify(text)})).listen(${port}, '0.0.0.0', () => console.log('up'))`;
  const p = spawn('nsenter', [`--net=/proc/${pid}/ns/net`, process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  started.push(p);
  await new Promise<void>((resolve, reject) => {
    p.stdout!.once('data', () => resolve());
    p.once('exit', (code) => reject(new Error(`listener exited ${code}`)));
  });
}

function fetchTcp(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port, timeout: 5000 });
    let out = '';
    s.on('data', (d) => (out += d.toString()));
    s.on('end', () => resolve(out));
    s.on('timeout', () => s.destroy(new Error(`timed out reaching ${host}:${port}`)));
    s.on('error', reject);
  });
}

/** A TCP port nothing on the host listens on now. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

const netnsDir = () => path.join(daemon.state, 'netns');
const leftovers = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir) : []);
const bridgePorts = (bridge: string) => leftovers(`/sys/class/net/${bridge}/brif`);

describe('a pod sandbox', () => {
  test('runs READY with its address, names, namespaces; lists by id, state and labels; stops and removes twice', async () => {
    const hostPort = await freePort();
    const config = podConfig({
      dnsConfig: { servers: ['10.96.0.10'], searches: ['cp-ns.svc.cluster.local'], options: ['ndots:5'] },
      portMappings: [{ protocol: 'TCP' as const, containerPort: 8080, hostPort, hostIp: '127.0.0.1' }],
      linux: { cgroupParent: CGROUP_PARENT, sysctls: { 'net.ipv4.ip_unprivileged_port_start': '0' } },
    });
    const before = Date.now() * 1e6;
    const { podSandboxId: id } = await cri.runtime('runPodSandbox', { config });
    expect(id).toMatch(/^[0-9a-f]{64}$/);

    const { status: st, info: quiet } = await status(id);
    expect(quiet).toEqual({});
    expect(st).toMatchObject({ id, state: 'SANDBOX_READY', metadata: config.metadata, labels: config.labels, annotations: config.annotations, runtimeHandler: '' });
    expect(st!.createdAt).toBeGreaterThanOrEqual(before - 1e6);
    expect(st!.createdAt).toBeLessThanOrEqual(Date.now() * 1e6);
    expect(st!.linux!.namespaces!.options).toMatchObject({ network: 'POD', pid: 'POD', ipc: 'POD' });
    const ip = st!.network!.ip;
    const pool = daemon.networkPool.split('.').slice(0, 2).join('.');
    expect(ip.startsWith(`${pool}.`)).toBe(true);
    expect(st!.network!.additionalIps).toEqual([]);

    const pid = await pausePid(id);
    // The pause as pid 1 of the pod's own pid namespace, in the pod's network, ipc and uts namespaces.
    expect(fs.readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(/^NSpid:\s+\d+\s+1$/m);
    for (const ns of ['net', 'ipc', 'uts', 'pid']) expect(fs.readlinkSync(`/proc/${pid}/ns/${ns}`)).not.toBe(fs.readlinkSync(`/proc/self/ns/${ns}`));
    expect(run('nsenter', ['-t', String(pid), '-u', 'hostname']).trim()).toBe(config.hostname);
    const resolv = fs.readFileSync(`/proc/${pid}/root/etc/resolv.conf`, 'utf8');
    expect(resolv).toMatch(/^nameserver 10\.96\.0\.10$/m);
    expect(resolv).toMatch(/^search cp-ns\.svc\.cluster\.local$/m);
    expect(resolv).toMatch(/^options ndots:5$/m);
    expect(run('nsenter', ['-t', String(pid), '-n', 'cat', '/proc/sys/net/ipv4/ip_unprivileged_port_start']).trim()).toBe('0');
    // containerd's -998, raised to tsrund's own value: it lacks CAP_SYS_RESOURCE here.
    const own = fs.readFileSync(`/proc/${daemon.proc!.pid}/oom_score_adj`, 'utf8').trim();
    const canLower = hasSysResource(fs.readFileSync(`/proc/${daemon.proc!.pid}/status`, 'utf8'));
    expect(fs.readFileSync(`/proc/${pid}/oom_score_adj`, 'utf8').trim()).toBe(canLower ? '-998' : own);
    // Its cgroup under the pod's parent (cgroupfs).
    expect(fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8')).toContain(`:memory:${CGROUP_PARENT}/${id}\n`);

    // Reached from the host by its address, and through the host port on 127.0.0.1 (portmap).
    await listenIn(pid, 8080, 'cp-from-the-pod');
    expect(await fetchTcp(ip, 8080)).toBe('cp-from-the-pod');
    expect(await fetchTcp('127.0.0.1', hostPort)).toBe('cp-from-the-pod');

    // Orphans of the pod are reparented to the pause, which reaps them.
    run('nsenter', ['-t', String(pid), '-p', '-F', '--', '/bin/sh', '-c', 'sleep 0.2 & exit 0']);
    await new Promise((r) => setTimeout(r, 600));
    expect(childrenOf(pid)).toEqual([]);

    const { info } = await status(id, true);
    const verbose = JSON.parse(info.info) as { pid: number; netNamespacePath: string; runtimeSpec: { process: { args: string[] } } };
    expect(verbose.runtimeSpec.process.args).toEqual(['/pause']);
    expect(verbose.netNamespacePath).toBe(path.join(netnsDir(), id));

    const ids = async (filter: object) => (await cri.runtime('listPodSandbox', { filter })).items.map((s) => s.id);
    expect(await ids({})).toContain(id);
    expect(await ids({ id: id.slice(0, 13) })).toEqual([id]);
    expect(await ids({ id: 'ffff0000' })).toEqual([]);
    expect(await ids({ state: { state: 'SANDBOX_READY' }, labelSelector: { n: config.labels!.n } })).toEqual([id]);
    expect(await ids({ state: { state: 'SANDBOX_NOTREADY' }, labelSelector: { n: config.labels!.n } })).toEqual([]);
    expect(await ids({ labelSelector: { n: 'cp-none' } })).toEqual([]);

    // The same pod's name twice is refused while the first sandbox exists.
    expect(await failure(cri.runtime('runPodSandbox', { config }))).toMatchObject({ code: 6, details: expect.stringContaining(`is taken by ${id}`) });

    await cri.runtime('stopPodSandbox', { podSandboxId: id });
    const stopped = (await status(id)).status!;
    expect(stopped.state).toBe('SANDBOX_NOTREADY');
    expect(stopped.network!.ip).toBe('');
    expect(fs.existsSync(`/proc/${pid}`)).toBe(false);
    expect(leftovers(netnsDir())).not.toContain(id);
    expect(fs.existsSync(path.join(CGROUP_ROOT, 'memory', CGROUP_PARENT, id))).toBe(false);
    await expect(fetchTcp('127.0.0.1', hostPort)).rejects.toThrow();
    expect(await ids({ state: { state: 'SANDBOX_NOTREADY' }, labelSelector: { n: config.labels!.n } })).toEqual([id]);
    await cri.runtime('stopPodSandbox', { podSandboxId: id });

    await cri.runtime('removePodSandbox', { podSandboxId: id });
    expect(await failure(status(id))).toMatchObject({ code: NOT_FOUND });
    expect(await ids({})).not.toContain(id);
    expect((await daemon.client.listContainers()).map((c) => c.id)).not.toContain(id);
    await cri.runtime('removePodSandbox', { podSandboxId: id });
    await cri.runtime('stopPodSandbox', { podSandboxId: id });
    // Its name is free again.
    const again = await cri.runtime('runPodSandbox', { config });
    await cri.runtime('removePodSandbox', { podSandboxId: again.podSandboxId });
  });

  test("in the host's network: the host's network and uts namespaces, no address of its own", async () => {
    const { podSandboxId: id } = await cri.runtime('runPodSandbox', {
      // kubelet sends the node's name as the hostname of a pod in the host's network.
      config: podConfig({ hostname: os.hostname(), linux: { securityContext: { namespaceOptions: { network: 'NODE' as const, pid: 'POD' as const, ipc: 'POD' as const } } } }),
    });
    const st = (await status(id)).status!;
    expect(st.state).toBe('SANDBOX_READY');
    expect(st.network!.ip).toBe('');
    expect(st.linux!.namespaces!.options).toMatchObject({ network: 'NODE' });
    const pid = await pausePid(id);
    expect(fs.readlinkSync(`/proc/${pid}/ns/net`)).toBe(fs.readlinkSync('/proc/self/ns/net'));
    expect(fs.readlinkSync(`/proc/${pid}/ns/uts`)).toBe(fs.readlinkSync('/proc/self/ns/uts'));
    expect(fs.readlinkSync(`/proc/${pid}/ns/ipc`)).not.toBe(fs.readlinkSync('/proc/self/ns/ipc'));
    await cri.runtime('removePodSandbox', { podSandboxId: id });
    expect(fs.existsSync(`/proc/${pid}`)).toBe(false);
  });

  test('a sysctl the kernel refuses fails the run after its network and cgroup were made: nothing is left', async () => {
    const config = podConfig({ linux: { cgroupParent: CGROUP_PARENT, sysctls: { 'net.cp.no-such-sysctl': '1' } } });
    const err = await failure(cri.runtime('runPodSandbox', { config }));
    expect(err?.code).toBe(FAILED_PRECONDITION);
    expect(err?.details).toContain('net.cp.no-such-sysctl');
    expectNothingLeft();
  });

  test('a CNI list whose second plugin fails: the run fails with the plugin named, no veth, netns or lease is left', async () => {
    const bridge = `cpb${process.pid % 100000}`;
    const subnet = daemon.networkPool.replace(/^(\d+\.\d+\.)(\d+)\.0\/22$/, (_m, ab: string, c: string) => `${ab}${Number(c) + 3}.0/24`);
    const leases = path.join(daemon.dir, 'cp-bad-leases');
    const list = path.join(daemon.cniConfDir, '00-cp-bad.conflist');
    fs.mkdirSync(daemon.cniConfDir, { recursive: true });
    fs.writeFileSync(
      list,
      JSON.stringify({
        cniVersion: '1.0.0',
        name: 'cp-bad',
        plugins: [
          { type: 'bridge', bridge, isGateway: true, ipam: { type: 'host-local', ranges: [[{ subnet }]], dataDir: leases } },
          { type: 'cp-no-such-plugin' },
        ],
      }),
    );
    try {
      const err = await failure(cri.runtime('runPodSandbox', { config: podConfig() }));
      expect(err?.code).toBe(FAILED_PRECONDITION);
      expect(err?.details).toContain('cp-no-such-plugin');
      expectNothingLeft();
      // The bridge plugin made the bridge and a veth on it before the second plugin failed: the DEL that undid the ADD took the veth and the lease.
      expect(bridgePorts(bridge)).toEqual([]);
      expect(leftovers(path.join(leases, 'cp-bad')).filter((f) => /^\d/.test(f))).toEqual([]);
    } finally {
      fs.rmSync(list, { force: true });
      spawnSync('ip', ['link', 'del', bridge]);
    }
  });

  test('a tsrund restart keeps the sandbox: still READY, the same pause and address; then it stops and goes', async () => {
    const { podSandboxId: id } = await cri.runtime('runPodSandbox', { config: podConfig() });
    const before = (await status(id)).status!;
    const pid = await pausePid(id);
    await daemon.signal('SIGTERM');
    expect(fs.existsSync(`/proc/${pid}`)).toBe(true);
    await startDaemon();
    await until(async () => (await cri.runtime('listPodSandbox').catch(() => null)) !== null);
    const after = (await status(id)).status!;
    expect(after).toEqual(before);
    expect(await pausePid(id)).toBe(pid);
    await listenIn(pid, 8081, 'cp-after-restart');
    expect(await fetchTcp(before.network!.ip, 8081)).toBe('cp-after-restart');
    await cri.runtime('stopPodSandbox', { podSandboxId: id });
    expect(fs.existsSync(`/proc/${pid}`)).toBe(false);
    await cri.runtime('removePodSandbox', { podSandboxId: id });
    expectNothingLeft();
  });

  test('bad requests are refused naming the field, and change nothing', async () => {
    const cases: Array<[object, string]> = [
      [{}, 'config: a PodSandboxConfig is required'],
      [{ config: podConfig({ metadata: { name: '', uid: 'u', namespace: 'n' } }) }, 'config.metadata.name: must not be empty'],
      [{ config: podConfig(), runtimeHandler: 'cp-kata' }, `runtime_handler: "cp-kata" is not a runtime handler of tsrund's (leave it empty)`],
      [{ config: podConfig({ linux: { cgroupParent: 'cp.slice' } }) }, 'config.linux.cgroup_parent: "cp.slice" is a systemd slice'],
    ];
    for (const [req, message] of cases) expect(await failure(cri.runtime('runPodSandbox', req))).toEqual({ code: 3, details: expect.stringContaining(message) });
    expect(await failure(cri.runtime('stopPodSandbox', {}))).toEqual({ code: 3, details: expect.stringContaining('pod_sandbox_id') });
    expect(await failure(status('cp-none'))).toMatchObject({ code: NOT_FOUND });
    expectNothingLeft();
  });
});

/** No sandbox, container, task, pinned namespace, CNI attachment or cgroup of a sandbox remains. */
function expectNothingLeft(): void {
  expect(leftovers(netnsDir())).toEqual([]);
  expect(leftovers(path.join(daemon.root, 'cri', 'sandboxes'))).toEqual([]);
  expect(leftovers(path.join(daemon.root, 'containers'))).toEqual([]);
  expect(leftovers(path.join(daemon.state, 'tasks'))).toEqual([]);
  expect(leftovers(path.join(daemon.state, 'networks'))).toEqual([]);
  expect(bridgePorts(daemon.bridge)).toEqual([]);
  for (const h of fs.readdirSync(CGROUP_ROOT)) {
    expect(leftovers(path.join(CGROUP_ROOT, h, CGROUP_PARENT)).filter((f) => /^[0-9a-f]{64}$/.test(f))).toEqual([]);
  }
}

/** The pids whose parent is `pid`. */
function childrenOf(pid: number): number[] {
  return fs
    .readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .filter((n) => {
      try {
        return Number(fs.readFileSync(`/proc/${n}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

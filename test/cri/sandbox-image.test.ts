/**
 * --sandbox-image through real tsrund processes: the sandbox's process comes from the image,
 * pulled at the first RunPodSandbox through a registry mirror (the image's registry host is a
 * name nothing serves, on 127.0.0.x), over the image's own root; a container of the pod joins
 * it. An image that cannot be pulled fails RunPodSandbox and leaves no pod; a bad reference stops
 * tsrund from starting. Without the flag nothing is pulled and the built-in pause runs.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildBusyboxArchive } from '../helpers/oci-image';
import { BUSYBOX_FILES, freePort, haveRegistryTools, Layout, TestRegistry } from '../helpers/registry';
import { failure, TestDaemon, TSRUND } from '../supervisor/daemon';
import { CriClient } from './client';

jest.setTimeout(180_000);

const maybe = haveRegistryTools ? describe : describe.skip;
if (!haveRegistryTools) console.warn('docker-registry or skopeo is missing: the --sandbox-image pulls are skipped');

const PAUSE_CMD = ['/bin/busybox', 'sleep', '2147483647'];
let serial = 0;

function podConfig() {
  const n = serial++;
  return { metadata: { name: `csi-pod-${n}`, uid: `csi-${process.pid}-${n}`, namespace: 'csi-ns', attempt: 0 } };
}

const pauseOf = async (cri: CriClient, podSandboxId: string) => JSON.parse((await cri.runtime('podSandboxStatus', { podSandboxId, verbose: true })).info.info).pid as number;
const cmdline = (pid: number) => fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1);

maybe('--sandbox-image', () => {
  const registry = new TestRegistry();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'csi-'));
  const daemon = new TestDaemon();
  let cri: CriClient;
  let ref: string;

  beforeAll(async () => {
    await registry.start();
    const layout = new Layout(path.join(work, 'layout'));
    layout.tag(layout.image([layout.layer(BUSYBOX_FILES)], { cmd: PAUSE_CMD }), 'pause');
    await registry.push(layout.dir, 'pause', 'csi/pause:1');
    // The image's registry is a name only: nothing listens there, the mirror serves it.
    const host = `127.0.0.11:${await freePort()}`;
    ref = `${host}/csi/pause:1`;
    await daemon.start(['--sandbox-image', ref, '--registry-mirror', `${host}=http://${registry.host}`]);
    cri = new CriClient(daemon.criAddress);
    await daemon.client.importImages(buildBusyboxArchive(work, 'localhost/csi-busybox:1').file);
  });

  afterAll(async () => {
    await cri?.removeAllPods();
    cri?.close();
    await daemon.cleanup();
    await registry.stop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  test("the sandbox runs the image's command over its root, pulled through the mirror at the first pod; a container joins it; removal leaves nothing", async () => {
    const names = async () => (await cri.image('listImages')).images.flatMap((i) => i.repoTags);
    expect(await names()).not.toContain(ref);
    const config = podConfig();
    const { podSandboxId } = await cri.runtime('runPodSandbox', { config });
    expect(await names()).toContain(ref);
    expect((await cri.runtime('podSandboxStatus', { podSandboxId })).status!.state).toBe('SANDBOX_READY');
    const pid = await pauseOf(cri, podSandboxId);
    expect(cmdline(pid)).toEqual(PAUSE_CMD);
    // The image's root, not the built-in pause's.
    expect(fs.existsSync(`/proc/${pid}/root/bin/busybox`)).toBe(true);
    expect(fs.existsSync(`/proc/${pid}/root/pause`)).toBe(false);
    expect(JSON.parse((await cri.runtime('status', { verbose: true })).info.config).sandboxImage).toBe(ref);

    const { containerId } = await cri.runtime('createContainer', {
      podSandboxId,
      config: { metadata: { name: 'csi-c' }, image: { image: 'localhost/csi-busybox:1' }, command: ['sleep', '1000'] },
      sandboxConfig: config,
    });
    await cri.runtime('startContainer', { containerId });
    const info = JSON.parse((await cri.runtime('containerStatus', { containerId, verbose: true })).info.info);
    for (const ns of ['net', 'ipc', 'uts']) expect(fs.readlinkSync(`/proc/${info.pid}/ns/${ns}`)).toBe(fs.readlinkSync(`/proc/${pid}/ns/${ns}`));

    // A second pod: the image is in the store already, and each sandbox has its own root.
    const second = await cri.runtime('runPodSandbox', { config: podConfig() });
    const pid2 = await pauseOf(cri, second.podSandboxId);
    expect(fs.readlinkSync(`/proc/${pid2}/ns/mnt`)).not.toBe(fs.readlinkSync(`/proc/${pid}/ns/mnt`));

    for (const id of [podSandboxId, second.podSandboxId]) await cri.runtime('removePodSandbox', { podSandboxId: id });
    const active = path.join(daemon.root, 'snapshots', 'active');
    expect(fs.existsSync(active) ? fs.readdirSync(active) : []).toEqual([]);
    expect(fs.existsSync(path.join(daemon.state, 'bundles')) ? fs.readdirSync(path.join(daemon.state, 'bundles')) : []).toEqual([]);
  });
});

describe('--sandbox-image that cannot be had, or none', () => {
  const daemon = new TestDaemon();
  let cri: CriClient;
  let dead: number;

  afterEach(async () => {
    await cri?.removeAllPods();
    cri?.close();
    await daemon.cleanup();
  });

  test('an image no registry serves: RunPodSandbox fails naming it, and no pod is left', async () => {
    dead = await freePort();
    const ref = `127.0.0.12:${dead}/csi/none:1`;
    await daemon.start(['--sandbox-image', ref]);
    cri = new CriClient(daemon.criAddress);
    const err = await failure(cri.runtime('runPodSandbox', { config: podConfig() }));
    expect(err).toMatchObject({ code: 14, details: expect.stringContaining(`127.0.0.12:${dead}`) });
    expect((await cri.runtime('listPodSandbox')).items).toEqual([]);
    expect((await cri.image('listImages')).images).toEqual([]);
  });

  test('without it nothing is pulled: the built-in pause runs', async () => {
    await daemon.start();
    cri = new CriClient(daemon.criAddress);
    const { podSandboxId } = await cri.runtime('runPodSandbox', { config: podConfig() });
    expect(cmdline(await pauseOf(cri, podSandboxId))).toEqual(['/pause']);
    expect((await cri.image('listImages')).images).toEqual([]);
    expect(JSON.parse((await cri.runtime('status', { verbose: true })).info.config).sandboxImage).toBe('');
  });
});

test('a --sandbox-image that is no image reference stops tsrund from starting, naming the flag', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'csi-flag-'));
  try {
    const args = ['--address', path.join(dir, 'a.sock'), '--cri-address', path.join(dir, 'c.sock'), '--root', path.join(dir, 'root'), '--state', path.join(dir, 'state'), '--cni-conf-dir', path.join(dir, 'cni'), '--dns-upstream', 'none', '--sandbox-image', 'Not A/Ref'];
    const r = spawnSync(TSRUND, args, { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(/^tsrund: --sandbox-image/);
    expect(fs.existsSync(path.join(dir, 'a.sock')) || fs.existsSync(path.join(dir, 'c.sock'))).toBe(false);
  } finally {
    fs.rmSync(path.join(dir), { recursive: true, force: true });
  }
});

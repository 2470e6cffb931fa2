/**
 * ImageService side by side with containerd's CRI plugin (Debian's containerd): the same client,
 * the same requests, the same registry (docker-registry on 127.0.0.1) and the same hosts.toml
 * directory (containerd's config_path, tsrund's --registry-config-dir), one of whose hosts is only
 * a name in front of a mirror. What the two answer must be the same: image ids, repo tags and
 * digests, sizes, what an image that is not there looks like, removals.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Containerd, missingCommands } from '../helpers/daemons';
import { BUSYBOX_FILES, freePort, haveRegistryTools, Layout, TestRegistry } from '../helpers/registry';
import { TestDaemon } from '../supervisor/daemon';
import { CriClient } from './client';

const maybe = haveRegistryTools && missingCommands(['containerd']).length === 0 ? describe : describe.skip;

maybe('ImageService: tsrund and containerd answer alike', () => {
  const plain = new TestRegistry();
  const mirror = new TestRegistry();
  const daemon = new TestDaemon();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-ctrd-'));
  const certs = path.join(work, 'certs.d');
  let containerd: Containerd;
  let fakeHost: string;

  beforeAll(async () => {
    await Promise.all([plain.start(), mirror.start()]);
    fakeHost = `127.0.0.11:${await freePort()}`;
    const layout = new Layout(path.join(work, 'layout'));
    const base = layout.layer(BUSYBOX_FILES);
    layout.tag(layout.image([base]), 'one');
    layout.tag(layout.image([base, layout.layer([{ path: 'etc/motd', content: 'two\n' }], 'zstd')]), 'two');
    await Promise.all([
      plain.pushEach(layout.dir, [['one', 'cc/busybox:1'], ['one', 'cc/busybox:latest'], ['two', 'cc/two:1']]),
      mirror.push(layout.dir, 'two', 'cc/only-mirrored:1'),
    ]);
    // Both runtimes read this directory: the plain registry over http, and a name served by the mirror alone.
    for (const [host, text] of [
      [plain.host, `server = "http://${plain.host}"\n`],
      [fakeHost, `server = "http://${fakeHost}"\n\n[host."http://${mirror.host}"]\n  capabilities = ["pull", "resolve"]\n`],
    ]) {
      fs.mkdirSync(path.join(certs, host), { recursive: true });
      fs.writeFileSync(path.join(certs, host, 'hosts.toml'), text);
    }
    containerd = await Containerd.start({ cri: { configPath: certs } });
    await daemon.start(['--registry-config-dir', certs]);
  }, 120_000);

  afterAll(async () => {
    await containerd?.cleanup();
    await daemon.cleanup();
    await Promise.all([plain.stop(), mirror.stop()]);
    fs.rmSync(work, { recursive: true, force: true });
  });

  /** The same sequence of requests against one runtime's CRI socket: what it answered, step by step. */
  async function session(socket: string): Promise<Record<string, unknown>> {
    const cri = new CriClient(socket);
    const out: Record<string, unknown> = {};
    const status = async (ref: string) => {
      const s = await cri.image('imageStatus', { image: { image: ref } });
      return s.image ? { ...s.image, spec: null } : s.image;
    };
    try {
      out.pull1 = await cri.image('pullImage', { image: { image: `${plain.host}/cc/busybox:1` } });
      out.pullLatest = await cri.image('pullImage', { image: { image: `${plain.host}/cc/busybox` } });
      out.pullTwo = await cri.image('pullImage', { image: { image: `${plain.host}/cc/two:1` } });
      out.pullMirrored = await cri.image('pullImage', { image: { image: `${fakeHost}/cc/only-mirrored:1` } });
      out.statusByTag = await status(`${plain.host}/cc/busybox:1`);
      out.statusById = await status((out.pull1 as { imageRef: string }).imageRef);
      out.statusTwo = await status(`${plain.host}/cc/two:1`);
      out.statusMissing = await cri.image('imageStatus', { image: { image: `${plain.host}/cc/none:1` } });
      out.list = (await cri.image('listImages')).images.map((i) => ({ ...i, spec: null })).sort((a, b) => a.id.localeCompare(b.id));
      out.removeMissing = await cri.image('removeImage', { image: { image: `${plain.host}/cc/none:1` } });
      out.removeTag = await cri.image('removeImage', { image: { image: `${plain.host}/cc/busybox:1` } });
      out.afterRemove = (await cri.image('listImages')).images.map((i) => i.repoTags).sort();
      out.removeAgain = await cri.image('removeImage', { image: { image: `${plain.host}/cc/busybox:1` } });
      const fsInfo = (await cri.image('imageFsInfo')).imageFilesystems;
      // Only the shape: containerd's figures come from a cache it refreshes on a timer (0 at first),
      // and it unpacks at pull time where tsrund unpacks at create; images.test.ts checks ours against du.
      out.fsInfo = fsInfo.map((f) => ({ hasMountpoint: f.fsId!.mountpoint !== '', used: f.usedBytes !== null, inodes: f.inodesUsed !== null }));
    } finally {
      cri.close();
    }
    return out;
  }

  test('the same answers, step by step', async () => {
    const theirs = await session(containerd.socket);
    const ours = await session(daemon.criAddress);
    expect(ours).toEqual(theirs);
    // The comparison is about something: two images, the second's names one from the registry and one through the mirror.
    expect((theirs.list as { repoTags: string[] }[]).map((i) => i.repoTags).sort()).toEqual(
      [[`${plain.host}/cc/busybox:1`, `${plain.host}/cc/busybox:latest`], [`${fakeHost}/cc/only-mirrored:1`, `${plain.host}/cc/two:1`]].sort(),
    );
  }, 120_000);

  test('Version, Status (no CNI network: NetworkPluginNotReady) and UpdateRuntimeConfig answer alike', async () => {
    const answers = async (socket: string) => {
      const cri = new CriClient(socket);
      try {
        const v = await cri.runtime('version');
        const conditions = (await cri.runtime('status')).status!.conditions.map(({ type, status, reason }) => ({ type, status, reason }));
        const update = await cri.runtime('updateRuntimeConfig', { runtimeConfig: { networkConfig: { podCidr: '10.88.0.0/16' } } });
        return { version: v.version, runtimeApiVersion: v.runtimeApiVersion, conditions, update };
      } finally {
        cri.close();
      }
    };
    expect(await answers(daemon.criAddress)).toEqual(await answers(containerd.socket));
  });
});

/**
 * Pulling from a real registry (Debian's docker-registry on 127.0.0.1) through a real tsrund:
 * single- and multi-layer images, gzip/zstd/uncompressed layers, a multi-platform index,
 * by tag and by digest, what the content store and records hold afterwards, deletion and
 * garbage collection, and images that are wrong in each way the issue names.
 */
import { execFileSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { GrpcStatus, type PullImageResponse } from '../../supervisor/client/client';
import { BUSYBOX_FILES, haveRegistryTools, Layout, TestRegistry, type Desc } from '../helpers/registry';
import { failure, TestDaemon, TSCTL } from './daemon';

const maybe = haveRegistryTools ? describe : describe.skip;

maybe('pull from a local docker-registry', () => {
  const registry = new TestRegistry();
  const daemon = new TestDaemon();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-images-'));
  let single: Desc;
  let multi: Desc;
  let index: Desc;
  let layout: Layout;

  beforeAll(async () => {
    await registry.start();
    await daemon.start();
    layout = new Layout(path.join(work, 'layout'));
    const base = layout.layer(BUSYBOX_FILES);
    single = layout.image([base]);
    layout.tag(single, 'single');
    multi = layout.image([
      base,
      layout.layer([{ path: 'etc/motd', content: 'hello from layer 2\n' }], 'zstd'),
      layout.layer([{ path: 'etc/greeting', content: 'layer 3, uncompressed\n' }], 'none'),
    ]);
    layout.tag(multi, 'multi');
    const arm = layout.image([layout.layer([{ path: 'etc/arch', content: 'arm64\n' }])], { architecture: 'arm64', variant: 'v8' });
    index = layout.imageIndex([{ ...single, platform: { os: 'linux', architecture: 'amd64' } }, arm]);
    layout.tag(index, 'multiarch');
    await registry.push(layout.dir, 'single', 'tsrun/busybox:1');
    await registry.push(layout.dir, 'multi', 'tsrun/layers:1');
    await registry.push(layout.dir, 'multiarch', 'tsrun/multiarch:1');
  }, 60_000);

  afterAll(async () => {
    await daemon.cleanup();
    await registry.stop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  const c = () => daemon.client;
  const blobsDir = () => path.join(daemon.root, 'content/blobs/sha256');
  const ingestDir = () => path.join(daemon.root, 'content/ingest');
  const blobs = () => fs.readdirSync(blobsDir()).sort();

  async function pull(ref: string, platform = ''): Promise<PullImageResponse[]> {
    const out: PullImageResponse[] = [];
    for await (const m of c().pullImage(ref, { platform })) out.push(m);
    return out;
  }

  test('a single-layer image by tag: progress for every blob, then the record; blobs in an OCI layout', async () => {
    const msgs = await pull(`${registry.host}/tsrun/busybox:1`);
    const last = msgs[msgs.length - 1];
    expect(last.image).toMatchObject({ name: `${registry.host}/tsrun/busybox:1`, target: { digest: single.digest, mediaType: single.mediaType } });
    const done = msgs.filter((m) => m.progress?.status === 'done').map((m) => m.progress!.kind);
    expect(done.sort()).toEqual(['config', 'layer']);
    const manifest = JSON.parse(fs.readFileSync(path.join(layout.dir, 'blobs/sha256', single.digest.slice(7)), 'utf8'));
    for (const d of [single, manifest.config, ...manifest.layers]) {
      const file = path.join(blobsDir(), d.digest.slice(7));
      const sha = crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
      expect(`sha256:${sha}`).toBe(d.digest);
    }
    expect(JSON.parse(fs.readFileSync(path.join(daemon.root, 'content/oci-layout'), 'utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });
    expect(fs.readdirSync(ingestDir())).toEqual([]);
    const images = await c().listImages();
    expect(images.map((i) => i.name)).toContain(`${registry.host}/tsrun/busybox:1`);
  });

  test('pulling again fetches nothing: every blob "exists"', async () => {
    const msgs = await pull(`${registry.host}/tsrun/busybox:1`);
    const statuses = msgs.filter((m) => m.progress && (m.progress.kind === 'layer' || m.progress.kind === 'config')).map((m) => m.progress!.status);
    expect(statuses.filter((s) => s === 'exists')).toHaveLength(2);
    expect(statuses).not.toContain('downloading');
  });

  test('a three-layer image (gzip, zstd, uncompressed), then by digest', async () => {
    const msgs = await pull(`${registry.host}/tsrun/layers:1`);
    expect(msgs[msgs.length - 1].image!.target!.digest).toBe(multi.digest);
    const byDigest = await pull(`${registry.host}/tsrun/layers@${multi.digest}`);
    expect(byDigest[byDigest.length - 1].image!.name).toBe(`${registry.host}/tsrun/layers@${multi.digest}`);
    const got = await c().getImage(`${registry.host}/tsrun/layers:1`);
    const manifest = JSON.parse(got.manifestJson);
    expect(manifest.layers.map((l: Desc) => l.mediaType)).toEqual([
      'application/vnd.oci.image.layer.v1.tar+gzip',
      'application/vnd.oci.image.layer.v1.tar+zstd',
      'application/vnd.oci.image.layer.v1.tar',
    ]);
    for (const l of manifest.layers) expect(fs.existsSync(path.join(blobsDir(), l.digest.slice(7)))).toBe(true);
    expect(JSON.parse(got.configJson).rootfs.diff_ids).toHaveLength(3);
  });

  test('a multi-platform index: the host platform by default, another on request, only its blobs fetched', async () => {
    const before = new Set(blobs());
    const msgs = await pull(`${registry.host}/tsrun/multiarch:1`);
    expect(msgs[msgs.length - 1].image!.target).toMatchObject({ digest: index.digest, mediaType: 'application/vnd.oci.image.index.v1+json' });
    const host = await c().getImage(`${registry.host}/tsrun/multiarch:1`);
    expect(host.manifest!.digest).toBe(single.digest);
    await pull(`${registry.host}/tsrun/multiarch:1`, 'linux/arm64');
    const arm = await c().getImage(`${registry.host}/tsrun/multiarch:1`, { platform: 'linux/arm64/v8' });
    expect(JSON.parse(arm.configJson).architecture).toBe('arm64');
    const added = blobs().filter((b) => !before.has(b));
    // the index, the arm64 manifest, its config and its layer (amd64's were there already)
    expect(added).toHaveLength(4);
  });

  test('a platform the index lacks: FAILED_PRECONDITION naming what it has; nothing new stored', async () => {
    const before = blobs();
    const f = await failure(pull(`${registry.host}/tsrun/multiarch:1`, 'linux/s390x'));
    expect(f?.code).toBe(GrpcStatus.FAILED_PRECONDITION);
    expect(f?.details).toMatch(/no manifest for platform linux\/s390x \(the index has linux\/amd64, linux\/arm64\/v8\)/);
    expect(blobs()).toEqual(before);
  });

  test('an unknown tag or repository: NOT_FOUND from the registry', async () => {
    const f = await failure(pull(`${registry.host}/tsrun/busybox:nope`));
    expect(f?.code).toBe(GrpcStatus.NOT_FOUND);
    expect(f?.details).toMatch(/MANIFEST_UNKNOWN/);
  });

  test('a bad reference or platform: INVALID_ARGUMENT naming the field', async () => {
    expect(await failure(pull('UPPER/case'))).toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT, details: expect.stringMatching(/^reference: /) });
    expect(await failure(pull(`${registry.host}/tsrun/busybox:1`, 'linux'))).toMatchObject({
      code: GrpcStatus.INVALID_ARGUMENT,
      details: expect.stringMatching(/^platform: /),
    });
  });

  test('delete removes the record and the blobs no other image uses; shared ones stay', async () => {
    const name = `${registry.host}/tsrun/layers:1`;
    const digestName = `${registry.host}/tsrun/layers@${multi.digest}`;
    await c().deleteImage(digestName);
    const removed = await c().deleteImage(name);
    const manifest = JSON.parse(fs.readFileSync(path.join(layout.dir, 'blobs/sha256', multi.digest.slice(7)), 'utf8'));
    // The first layer is busybox's, shared with tsrun/busybox:1: it stays.
    expect(removed.sort()).toEqual([multi.digest, manifest.config.digest, manifest.layers[1].digest, manifest.layers[2].digest].sort());
    expect(fs.existsSync(path.join(blobsDir(), manifest.layers[0].digest.slice(7)))).toBe(true);
    expect(await failure(c().getImage(name))).toMatchObject({ code: GrpcStatus.NOT_FOUND });
  });

  test('a manifest whose bytes do not match its digest: refused, nothing stored', async () => {
    // Damage the registry's copy of the manifest (same length, one byte changed).
    const file = registry.blobFile(multi.digest);
    const bytes = fs.readFileSync(file);
    const tampered = Buffer.from(bytes.toString('utf8').replace('"schemaVersion":2', '"schemaVersion": 2'));
    fs.writeFileSync(file, tampered);
    try {
      const before = blobs();
      const f = await failure(pull(`${registry.host}/tsrun/layers:1`));
      expect(f?.code).toBe(GrpcStatus.FAILED_PRECONDITION);
      expect(f?.details).toMatch(new RegExp(`manifest digest mismatch: the registry states ${multi.digest}, the content is sha256:`));
      expect(blobs()).toEqual(before);
      expect(fs.readdirSync(ingestDir())).toEqual([]);
    } finally {
      fs.writeFileSync(file, bytes);
    }
  });

  test('a truncated layer: refused with the sizes, nothing stored, the daemon keeps serving', async () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(layout.dir, 'blobs/sha256', multi.digest.slice(7)), 'utf8'));
    const layer = manifest.layers[1];
    const file = registry.blobFile(layer.digest);
    const bytes = fs.readFileSync(file);
    fs.writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length / 2)));
    try {
      const before = blobs();
      const f = await failure(pull(`${registry.host}/tsrun/layers:1`));
      expect(f?.code).toBe(GrpcStatus.FAILED_PRECONDITION);
      expect(f?.details).toContain(`layer ${layer.digest}`);
      expect(f?.details).toMatch(new RegExp(`${Math.floor(bytes.length / 2)} bytes, the manifest says ${layer.size}`));
      expect(blobs()).toEqual(before);
      expect(fs.readdirSync(ingestDir())).toEqual([]);
      expect(await failure(c().getImage(`${registry.host}/tsrun/layers:1`))).toMatchObject({ code: GrpcStatus.NOT_FOUND });
      expect(await c().health()).toBe('SERVING');
    } finally {
      fs.writeFileSync(file, bytes);
    }
  });

  test('a layer of an unknown media type: refused before any layer is fetched', async () => {
    const odd = layout.image([layout.layer([{ path: 'x', content: 'odd' }])], { layerMediaType: 'application/vnd.example.unknown.layer' });
    layout.tag(odd, 'odd');
    await registry.push(layout.dir, 'odd', 'tsrun/odd:1');
    const before = blobs();
    const f = await failure(pull(`${registry.host}/tsrun/odd:1`));
    expect(f?.code).toBe(GrpcStatus.FAILED_PRECONDITION);
    expect(f?.details).toMatch(/layers\[0\] \(sha256:[a-f0-9]{64}\) has unknown media type "application\/vnd.example.unknown.layer"/);
    expect(blobs()).toEqual(before);
  });

  test('tsctl pull prints plain progress lines off a terminal, and images ls / inspect / rm', () => {
    const tsctl = (...args: string[]) =>
      execFileSync(TSCTL, ['--address', daemon.address, ...args], {
        encoding: 'utf8',
      });
    const out = tsctl('pull', `${registry.host}/tsrun/layers:1`);
    expect(out).toMatch(/layer sha256:[a-f0-9]{12}: done/);
    expect(out.trim().split('\n').pop()).toBe(`${registry.host}/tsrun/layers:1 ${multi.digest}`);
    expect(tsctl('images', 'ls')).toMatch(new RegExp(`${registry.host}/tsrun/layers\\s+1\\s+${multi.digest.slice(7, 19)}`));
    const inspected = JSON.parse(tsctl('images', 'inspect', `${registry.host}/tsrun/layers:1`));
    expect(inspected.manifest.layers).toHaveLength(3);
    expect(tsctl('images', 'rm', `${registry.host}/tsrun/layers:1`).trim()).toBe(`${registry.host}/tsrun/layers:1`);
    const json = JSON.parse(tsctl('images', 'ls', '--json'));
    expect(json.map((i: { name: string }) => i.name)).not.toContain(`${registry.host}/tsrun/layers:1`);
  });
});

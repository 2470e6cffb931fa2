/**
 * Images.Push through a real tsrund to real docker-registry instances, each behind a recording
 * proxy (test/helpers/registry-proxy.ts): a busybox image pulled from one repository is pushed to
 * another repository of the same registry (its blobs mounted, nothing uploaded), again (nothing
 * sent but the manifest), and to another registry (uploaded); that copy is pulled by a fresh
 * tsrund root and run, read by skopeo (same digest) and run by podman with runc. A big layer goes
 * in chunks and resumes after the proxy cuts its connection mid-upload. A mirror takes pushes only
 * with the "push" capability. Failures: an unknown image, an unreachable registry, a blob gone
 * from the store.
 */
import { execFile, execFileSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { GrpcStatus } from '../../supervisor/client/client';
import type { PullProgress } from '../../supervisor/api/types';
import { missingCommands, Podman } from '../helpers/daemons';
import { BUSYBOX_FILES, freePort, haveRegistryTools, Layout, TestRegistry } from '../helpers/registry';
import { RegistryProxy } from '../helpers/registry-proxy';
import { failure, runTaskToEnd, TestDaemon } from './daemon';
import { pushAll } from './push-stream';

jest.setTimeout(180_000);

const maybe = haveRegistryTools ? describe : describe.skip;
const CHUNK = 4 << 20;
const exec = promisify(execFile);

async function pullDigest(d: TestDaemon, ref: string): Promise<string> {
  let digest = '';
  for await (const m of d.client.pullImage(ref)) if (m.image) digest = m.image.target!.digest;
  return digest;
}

/** The last status each blob reached. */
const finalStatuses = (progress: PullProgress[]) => new Map(progress.map((p) => [p.digest, p.status]));

maybe('push', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-push-'));
  const source = new TestRegistry();
  const other = new TestRegistry();
  let sourceProxy: RegistryProxy;
  let otherProxy: RegistryProxy;
  const daemon = new TestDaemon();
  const fresh = new TestDaemon();
  let busybox = { digest: '', blobs: [] as string[] };
  let big = { digest: '', layer: '' };
  let multi = { index: '', manifests: [] as string[] };

  beforeAll(async () => {
    await Promise.all([source.start(), other.start()]);
    sourceProxy = new RegistryProxy(source.host);
    otherProxy = new RegistryProxy(other.host);
    await Promise.all([sourceProxy.start(), otherProxy.start()]);
    const layout = new Layout(path.join(work, 'layout'));
    const base = layout.layer(BUSYBOX_FILES);
    const image = layout.image([base], { cmd: ['sh', '-c', 'echo pushed and pulled'] });
    layout.tag(image, 'v1');
    const manifest = JSON.parse(fs.readFileSync(path.join(layout.dir, 'blobs/sha256', image.digest.slice(7)), 'utf8'));
    busybox = { digest: image.digest, blobs: [manifest.config.digest, base.desc.digest] };
    // Incompressible: the gzip layer stays as big as its 20 MiB file, five chunks and more.
    const bigLayer = layout.layer([{ path: 'big.bin', content: crypto.randomBytes(20 << 20) }]);
    const bigImage = layout.image([base, bigLayer]);
    layout.tag(bigImage, 'big');
    big = { digest: bigImage.digest, layer: bigLayer.desc.digest };
    const arm = layout.image([base], { architecture: 'arm64', cmd: ['sh', '-c', 'echo pushed and pulled'] });
    const index = layout.imageIndex([image, arm]);
    layout.tag(index, 'multi');
    multi = { index: index.digest, manifests: [image.digest, arm.digest] };
    await source.pushEach(layout.dir, [
      ['v1', 'base/busybox:v1'],
      ['big', 'base/big:v1'],
      ['multi', 'base/multi:v1'],
    ]);
    execFileSync('tar', ['-C', layout.dir, '-cf', path.join(work, 'layout.tar'), '.']);
    await daemon.start(['--push-chunk-size', String(CHUNK)]);
    await fresh.start();
    expect(await pullDigest(daemon, `${sourceProxy.host}/base/busybox:v1`)).toBe(busybox.digest);
    expect(await pullDigest(daemon, `${sourceProxy.host}/base/big:v1`)).toBe(big.digest);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([daemon.cleanup(), fresh.cleanup()]);
    await Promise.all([sourceProxy?.stop(), otherProxy?.stop()]);
    await Promise.all([source.stop(), other.stop()]);
    fs.rmSync(work, { recursive: true, force: true });
  });

  test('to another repository of the same registry: every blob mounted from where it was pulled, none uploaded', async () => {
    sourceProxy.reset();
    const { progress, pushed } = await pushAll(daemon.client.pushImage(`${sourceProxy.host}/base/busybox:v1`, { destination: `${sourceProxy.host}/team/copy:v2` }));
    expect(pushed.name).toBe(`${sourceProxy.host}/team/copy:v2`);
    expect(pushed.target!.digest).toBe(busybox.digest);
    expect(pushed.note).toBe('');
    const mounts = sourceProxy.matching('POST', /\/v2\/team\/copy\/blobs\/uploads\/$/).map((r) => new URL(r.url, 'http://x').searchParams);
    expect(mounts.map((q) => q.get('mount')).sort()).toEqual([...busybox.blobs].sort());
    expect(mounts.every((q) => q.get('from') === 'base/busybox')).toBe(true);
    expect(sourceProxy.matching('PATCH', /./)).toEqual([]);
    expect(sourceProxy.matching('PUT', /\/blobs\//)).toEqual([]);
    expect(sourceProxy.matching('PUT', /\/v2\/team\/copy\/manifests\/v2$/)).toHaveLength(1);
    expect([...finalStatuses(progress)].filter(([d]) => busybox.blobs.includes(d)).map(([, s]) => s)).toEqual(['mounted', 'mounted']);
    const { stdout } = await exec('skopeo', ['inspect', '--tls-verify=false', `docker://${source.host}/team/copy:v2`]);
    expect(JSON.parse(stdout).Digest).toBe(busybox.digest);
  });

  test('the same push again sends no blob: HEAD finds each, then the manifest alone', async () => {
    sourceProxy.reset();
    const { progress, pushed } = await pushAll(daemon.client.pushImage(`${sourceProxy.host}/base/busybox:v1`, { destination: `${sourceProxy.host}/team/copy:v2` }));
    expect(pushed.target!.digest).toBe(busybox.digest);
    expect(sourceProxy.requests.filter((r) => r.method === 'POST' || r.method === 'PATCH' || (r.method === 'PUT' && r.url.includes('/blobs/')))).toEqual([]);
    expect(sourceProxy.matching('HEAD', /\/blobs\//)).toHaveLength(2);
    expect([...finalStatuses(progress).values()].filter((s) => s !== 'resolved')).toEqual(['exists', 'exists']);
  });

  test('to another registry: uploaded; a fresh tsrund pulls and runs it; skopeo reads the same digest; podman (runc) runs it', async () => {
    otherProxy.reset();
    const dest = `${otherProxy.host}/elsewhere/busybox:v1`;
    const { progress, pushed } = await pushAll(daemon.client.pushImage(`${sourceProxy.host}/base/busybox:v1`, { destination: dest }));
    expect(pushed.target!.digest).toBe(busybox.digest);
    expect([...finalStatuses(progress).values()]).toEqual(['done', 'done']);
    // Small blobs in one PUT each (POST, then PUT ?digest=), no PATCH.
    const puts = otherProxy.matching('PUT', /\/v2\/elsewhere\/busybox\/blobs\/uploads\//).map((r) => new URL(r.url, 'http://x').searchParams.get('digest'));
    expect(puts.sort()).toEqual([...busybox.blobs].sort());
    expect(otherProxy.matching('PATCH', /./)).toEqual([]);

    expect(await pullDigest(fresh, `${other.host}/elsewhere/busybox:v1`)).toBe(busybox.digest);
    await fresh.client.createContainer({ id: 'push-fresh-run', image: `${other.host}/elsewhere/busybox:v1` });
    expect(await runTaskToEnd(fresh.client, 'push-fresh-run')).toEqual({ status: 0, out: 'pushed and pulled\n' });
    await fresh.client.deleteContainer('push-fresh-run');

    const { stdout } = await exec('skopeo', ['inspect', '--tls-verify=false', `docker://${other.host}/elsewhere/busybox:v1`]);
    expect(JSON.parse(stdout).Digest).toBe(pushed.target!.digest);

    const missing = missingCommands(['podman', 'conmon', 'runc', 'nsenter']);
    if (missing.length > 0) return console.warn(`podman run skipped: this host lacks ${missing.join(', ')}`);
    const podman = await Podman.start('runc');
    try {
      const pulled = podman.cmd(['pull', '--quiet', '--tls-verify=false', `${other.host}/elsewhere/busybox:v1`]);
      expect(pulled.code).toBe(0);
      const ran = podman.cmd(['run', '--rm', ...podman.runFlags, `${other.host}/elsewhere/busybox:v1`]);
      expect({ code: ran.code, stdout: ran.stdout }).toEqual({ code: 0, stdout: 'pushed and pulled\n' });
    } finally {
      await podman.cleanup();
    }
  });

  /** Push the big image to `repo` of the other registry with its next PATCH from 2 chunks on cut after `afterBytes`. */
  async function pushCut(repo: string, afterBytes: number) {
    otherProxy.reset();
    otherProxy.cutNextPatch(2 * CHUNK, afterBytes);
    const { pushed } = await pushAll(daemon.client.pushImage(`${sourceProxy.host}/base/big:v1`, { destination: `${otherProxy.host}/${repo}:v1` }));
    expect(pushed.target!.digest).toBe(big.digest);
    expect(otherProxy.cuts).toBe(1);
    const patches = otherProxy.matching('PATCH', /./);
    expect(patches.every((p) => /^\d+-\d+$/.test(p.contentRange))).toBe(true);
    expect(patches.slice(0, 3).map((p) => p.contentRange)).toEqual([`0-${CHUNK - 1}`, `${CHUNK}-${2 * CHUNK - 1}`, `${2 * CHUNK}-${3 * CHUNK - 1}`]);
    const cutAt = otherProxy.requests.findIndex((r) => r.status === -1);
    const after = otherProxy.requests.slice(cutAt + 1);
    // After the cut: the upload's status first.
    expect(after[0].method).toBe('GET');
    expect(after[0].url).toMatch(new RegExp(`^/v2/${repo}/blobs/uploads/`));
    expect(await pullDigest(fresh, `${other.host}/${repo}:v1`)).toBe(big.digest);
    return { status: after[0].status, next: after.slice(1) };
  }

  test('a big layer goes in chunks; cut before the registry saw the third, the upload resumes from what it holds', async () => {
    const { status, next } = await pushCut('elsewhere/big', 0);
    expect(status).toBe(204);
    expect(next.find((r) => r.method === 'PATCH')?.contentRange).toBe(`${2 * CHUNK}-${3 * CHUNK - 1}`);
    expect(next.filter((r) => r.method === 'POST')).toEqual([]);
  });

  test('cut in the middle of a chunk (docker-registry then drops the upload): a new upload from 0 completes it', async () => {
    const { status, next } = await pushCut('elsewhere/big2', 1 << 20);
    expect(status).toBe(404);
    expect(next[0].method).toBe('POST');
    expect(next.find((r) => r.method === 'PATCH')?.contentRange).toBe(`0-${CHUNK - 1}`);
  });

  test('mirrors (hosts.toml): pushed to only when their capabilities include "push"', async () => {
    const config = path.join(work, 'certs.d');
    const hosts = (host: string, mirror: string, capabilities: string[]) => {
      fs.mkdirSync(path.join(config, host), { recursive: true });
      fs.writeFileSync(path.join(config, host, 'hosts.toml'), `[host."http://${mirror}"]\n  capabilities = ${JSON.stringify(capabilities)}\n`);
    };
    hosts(other.host, otherProxy.host, ['pull', 'resolve']);
    hosts(source.host, sourceProxy.host, ['pull', 'resolve', 'push']);
    const mirrored = new TestDaemon();
    try {
      await mirrored.start(['--registry-config-dir', config]);
      expect(await pullDigest(mirrored, `${sourceProxy.host}/base/busybox:v1`)).toBe(busybox.digest);
      otherProxy.reset();
      sourceProxy.reset();
      await pushAll(mirrored.client.pushImage(`${sourceProxy.host}/base/busybox:v1`, { destination: `${other.host}/mirrors/not-here:v1` }));
      expect(otherProxy.requests).toEqual([]);
      await pushAll(mirrored.client.pushImage(`${sourceProxy.host}/base/busybox:v1`, { destination: `${source.host}/mirrors/there:v1` }));
      expect(sourceProxy.matching('PUT', /^\/v2\/mirrors\/there\/manifests\/v1$/)).toHaveLength(1);
      const { stdout } = await exec('skopeo', ['inspect', '--tls-verify=false', `docker://${other.host}/mirrors/not-here:v1`]);
      expect(JSON.parse(stdout).Digest).toBe(busybox.digest);
    } finally {
      await mirrored.cleanup();
    }
  });

  test('an index: whole (its digest kept) when the store has every platform; else the daemon\'s platform alone, said in the note', async () => {
    // Pulled: only this platform's manifest came.
    await pullDigest(daemon, `${sourceProxy.host}/base/multi:v1`);
    const part = await pushAll(daemon.client.pushImage(`${sourceProxy.host}/base/multi:v1`, { destination: `${otherProxy.host}/multi/part:v1` }));
    expect(multi.manifests).toContain(part.pushed.target!.digest);
    expect(part.pushed.note).toMatch(/^not every platform of .* is in the store: only the linux\/\w+ image was pushed$/);

    // Imported from the layout, every platform's manifest is in the store; each tag of the layout
    // becomes an image named by it ("multi" is docker.io/library/multi:latest).
    const imported = await daemon.client.importImages(path.join(work, 'layout.tar'));
    otherProxy.reset();
    const whole = await pushAll(daemon.client.pushImage('multi', { destination: `${otherProxy.host}/multi/whole:v1` }));
    expect(whole.pushed.target!.digest).toBe(multi.index);
    expect(whole.pushed.note).toBe('');
    const manifestPuts = otherProxy.matching('PUT', /\/manifests\//).map((r) => r.url.split('/').pop());
    expect(manifestPuts.slice(0, 2).sort()).toEqual([...multi.manifests].sort());
    expect(manifestPuts[2]).toBe('v1');
    const raw = await exec('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${other.host}/multi/whole:v1`]);
    expect(JSON.parse(raw.stdout).manifests.map((m: { digest: string }) => m.digest)).toEqual(multi.manifests);

    for (const i of imported) await daemon.client.deleteImage(i.name);
  });

  test('login to a registry that does not answer: UNAVAILABLE, no auth file written', async () => {
    const closed = `127.0.0.1:${await freePort()}`;
    const f = await failure(daemon.client.login(closed, 'someone', 'secret'));
    expect(f?.code).toBe(GrpcStatus.UNAVAILABLE);
    expect(f?.details).toContain(closed);
    expect(fs.existsSync(path.join(daemon.dir, 'auth.json'))).toBe(false);
  });

  test('errors: an unknown image NOT_FOUND, an unreachable registry UNAVAILABLE, a blob gone from the store FAILED_PRECONDITION naming it', async () => {
    const unknown = await failure(pushAll(daemon.client.pushImage(`${sourceProxy.host}/no/such:v1`)));
    expect(unknown?.code).toBe(GrpcStatus.NOT_FOUND);
    expect(unknown?.details).toContain(`${sourceProxy.host}/no/such:v1`);

    const closed = `127.0.0.1:${await freePort()}`;
    const unreachable = await failure(pushAll(daemon.client.pushImage(`${sourceProxy.host}/base/busybox:v1`, { destination: `${closed}/x/y:v1` })));
    expect(unreachable?.code).toBe(GrpcStatus.UNAVAILABLE);
    expect(unreachable?.details).toContain(closed);
    expect(unreachable?.details.split('\n')).toHaveLength(1);

    // The big image's own layer, which no other image uses: the image is only partly there now.
    fs.rmSync(path.join(daemon.root, 'content/blobs/sha256', big.layer.slice(7)));
    otherProxy.reset();
    const partial = await failure(pushAll(daemon.client.pushImage(`${sourceProxy.host}/base/big:v1`, { destination: `${otherProxy.host}/elsewhere/partial:v1` })));
    expect(partial?.code).toBe(GrpcStatus.FAILED_PRECONDITION);
    expect(partial?.details).toContain(big.layer);
    expect(partial?.details).toContain('not in tsrund');
    expect(otherProxy.requests).toEqual([]);
  });
});

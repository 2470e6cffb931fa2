/**
 * tsctl commit / Containers.Commit through a real tsrund (the test busybox image): what a
 * container added, changed, deleted and replaced is there in a container of the new image, and
 * in the layer's tar as image layers carry it (whiteouts, an opaque directory, owners, modes,
 * mtimes, hardlinks, symlinks, devices, fifos); the config carries the history entry; a running
 * container is paused while its layer is read and resumed after; the layer is valid to skopeo
 * and GNU tar; errors leave no blob behind. Container ids carry this process's pid.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { GrpcStatus } from '../../supervisor/client/client';
import type { Event } from '../../supervisor/api/types';
import { readTar, type TarHeader } from '../../supervisor/archive/tar';
import { decompress } from '../../supervisor/archive/compression';
import { makeBundle } from '../helpers/bundle';
import { buildBusyboxArchive } from '../helpers/oci-image';
import { failure, runTaskToEnd, TestDaemon, TSCTL, until } from './daemon';

jest.setTimeout(180_000);

const daemon = new TestDaemon();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-commit-'));
const c = () => daemon.client;
const IMAGE = 'localhost/tsrun-test/commit-busybox:1';
const P = `cm-${process.pid}`;

beforeAll(async () => {
  await daemon.start();
  await c().importImages(buildBusyboxArchive(work, IMAGE).file);
});
afterAll(async () => {
  await daemon.cleanup();
  fs.rmSync(work, { recursive: true, force: true });
});

const tsctl = (args: string[]) => spawnSync(TSCTL, ['--address', daemon.address, ...args], { encoding: 'utf8', timeout: 120_000 });

/** Run `script` in a new container of `image` to its end; its output. */
async function runIn(id: string, image: string, script: string): Promise<string> {
  await c().createContainer({ id, image, overrides: { args: ['sh', '-c', script] } });
  const r = await runTaskToEnd(c(), id);
  expect(r.status).toBe(0);
  return r.out;
}

const blobPath = (digest: string) => path.join(daemon.root, 'content/blobs/sha256', digest.replace('sha256:', ''));
const blobs = () => fs.readdirSync(path.join(daemon.root, 'content/blobs/sha256')).sort();

interface ImageJson {
  manifest: { layers: { mediaType: string; digest: string }[] };
  config: { author?: string; rootfs: { diff_ids: string[] }; history: { created_by?: string; author?: string; comment?: string; empty_layer?: boolean }[]; config: Record<string, unknown> };
}

async function imageJson(name: string): Promise<ImageJson> {
  const r = await c().getImage(name);
  return { manifest: JSON.parse(r.manifestJson), config: JSON.parse(r.configJson) };
}

/** The entries of the image's top layer, as tsrun's tar reader sees them. */
async function topLayer(name: string): Promise<Map<string, TarHeader>> {
  const { manifest } = await imageJson(name);
  const top = manifest.layers[manifest.layers.length - 1];
  const out = new Map<string, TarHeader>();
  for await (const e of readTar(await decompress(fs.createReadStream(blobPath(top.digest)), top.digest))) {
    out.set(e.header.path, e.header);
    e.body.resume();
  }
  return out;
}

test('a commit carries what a container added, changed and deleted; a second one what replaced a directory; containers of the images see it', async () => {
  const first = `${P}-first`;
  await runIn(
    first,
    IMAGE,
    [
      'echo new > /added && chown 1234:5678 /added && chmod 4750 /added && touch -d @1000000000 /added',
      'echo more >> /etc/passwd && rm /etc/group && rm /bin/ls',
      'ln /added /hard && ln -s /added /sym && mknod /null2 c 1 3 && mkfifo -m 620 /fifo && mkdir -m 1777 /sticky',
      'mkdir -p /d/sub && echo a > /d/a && echo b > /d/sub/b',
    ].join(' && '),
  );
  const r = tsctl(['commit', '-m', 'first commit', '-a', 'Tess <t@example.com>', first, 'localhost/tsrun-test/committed:1']);
  expect([r.status, r.stderr]).toEqual([0, '']);
  expect(r.stdout).toMatch(/^sha256:[a-f0-9]{64}\n$/);
  await c().deleteContainer(first);

  const img = await imageJson('localhost/tsrun-test/committed:1');
  const base = await imageJson(IMAGE);
  expect(img.manifest.layers.slice(0, -1).map((l) => l.digest)).toEqual(base.manifest.layers.map((l) => l.digest));
  expect(img.manifest.layers[img.manifest.layers.length - 1].mediaType).toBe('application/vnd.oci.image.layer.v1.tar+gzip');
  expect(img.config.rootfs.diff_ids).toHaveLength(base.config.rootfs.diff_ids.length + 1);
  expect(img.config.author).toBe('Tess <t@example.com>');
  expect(img.config.history[img.config.history.length - 1]).toMatchObject({ author: 'Tess <t@example.com>', comment: 'first commit', created_by: expect.stringMatching(/^sh -c echo new > \/added/) });
  expect(img.config.config.Cmd).toEqual(['sh']);

  const layer = await topLayer('localhost/tsrun-test/committed:1');
  expect(layer.get('etc/.wh.group')).toMatchObject({ type: 'file', size: 0 });
  expect(layer.get('bin/.wh.ls')).toMatchObject({ type: 'file', size: 0 });
  expect(layer.get('added')).toMatchObject({ type: 'file', uid: 1234, gid: 5678, mode: 0o4750, mtime: 1_000_000_000 });
  expect(layer.get('hard')).toMatchObject({ type: 'hardlink', linkname: 'added' });
  expect(layer.get('sym')).toMatchObject({ type: 'symlink', linkname: '/added' });
  expect(layer.get('null2')).toMatchObject({ type: 'char', devmajor: 1, devminor: 3 });
  expect(layer.get('fifo')).toMatchObject({ type: 'fifo', mode: 0o620 });
  expect(layer.get('sticky')).toMatchObject({ type: 'directory', mode: 0o1777 });
  expect(layer.has('bin/sh')).toBe(false);
  // The empty files made as targets of the /etc bind mounts are the runtime's, not changes.
  for (const f of ['etc/hosts', 'etc/hostname', 'etc/resolv.conf']) expect(layer.has(f)).toBe(false);

  const seen = await runIn(
    `${P}-look1`,
    'localhost/tsrun-test/committed:1',
    [
      'cat /added; stat -c "%u:%g %a %Y" /added; [ "$(stat -c %i /added)" = "$(stat -c %i /hard)" ] && echo same-inode',
      'readlink /sym; stat -c "%F %t:%T" /null2; stat -c "%F %a" /fifo; stat -c %a /sticky',
      'tail -n 1 /etc/passwd; [ -e /etc/group ] || echo no-group; [ -e /bin/ls ] || echo no-ls; ls /d',
    ].join('; '),
  );
  expect(seen).toBe(
    ['new', '1234:5678 4750 1000000000', 'same-inode', '/added', 'character special file 1:3', 'fifo 620', '1777', 'more', 'no-group', 'no-ls', 'a', 'sub', ''].join('\n'),
  );
  await c().deleteContainer(`${P}-look1`);

  // A directory replaced in a container of the committed image: opaque in the next layer.
  const second = `${P}-second`;
  await runIn(second, 'localhost/tsrun-test/committed:1', 'rm -r /d && mkdir /d && echo c > /d/c');
  expect(tsctl(['commit', second, 'localhost/tsrun-test/committed:2']).status).toBe(0);
  await c().deleteContainer(second);
  const layer2 = await topLayer('localhost/tsrun-test/committed:2');
  expect([...layer2.keys()].filter((k) => k.startsWith('d/') || k === 'd')).toEqual(['d', 'd/.wh..wh..opq', 'd/c']);
  expect(await runIn(`${P}-look2`, 'localhost/tsrun-test/committed:2', 'ls /d; cat /added')).toBe('c\nnew\n');
  await c().deleteContainer(`${P}-look2`);
});

test('a running container is paused while its layer is read and resumed after, a failed commit too; --pause=false leaves it running', async () => {
  const id = `${P}-live`;
  await c().createContainer({ id, image: IMAGE, overrides: { args: ['sh', '-c', 'echo up > /ready; exec sleep 600'] } });
  await c().createTask(id);
  await c().startTask(id);
  await until(async () => (await c().diffContainer(id)).some((ch) => ch.path === '/ready'), 20_000);

  const events: Event[] = [];
  const marks = [1, 2, 3, 4].map((n) => `${P}-mark${n}`);
  const stream = c().subscribe({ ids: [id, ...marks] });
  const reading = (async () => {
    for await (const e of stream) events.push(e);
  })().catch(() => undefined);
  const upTo = async (mark: string) => {
    await c().createContainer({ id: mark, image: IMAGE, overrides: { args: ['true'] } });
    await until(() => events.some((e) => e.id === mark), 10_000);
    const i = events.findIndex((e) => e.id === mark);
    const before = events.splice(0, i + 1).slice(0, -1);
    return before.filter((e) => e.id === id).map((e) => e.type);
  };
  await upTo(marks[0]);

  await c().commitContainer(id, { reference: 'localhost/tsrun-test/live:1' });
  expect(await upTo(marks[1])).toEqual(['pause', 'resume']);
  expect((await c().getTask(id)).status).toBe('RUNNING');
  expect(tsctl(['commit', '--pause=false', id, 'localhost/tsrun-test/live:2']).status).toBe(0);
  expect(await upTo(marks[2])).toEqual([]);

  // A commit failing while the layer is read (the store cannot write: its ingest directory made
  // a file) still resumes the container.
  const ingest = path.join(daemon.root, 'content/ingest');
  fs.rmSync(ingest, { recursive: true });
  fs.writeFileSync(ingest, '');
  try {
    const failed = await failure(c().commitContainer(id, { reference: 'localhost/tsrun-test/live:3' }));
    expect(failed?.details).toMatch(/content\/ingest\/[a-f0-9]{64}: a component of the path is not a directory$/);
  } finally {
    fs.rmSync(ingest);
    fs.mkdirSync(ingest, { mode: 0o700 });
  }
  expect(await upTo(marks[3])).toEqual(['pause', 'resume']);
  expect((await c().getTask(id)).status).toBe('RUNNING');
  expect((await c().listImages()).map((i) => i.name)).not.toContain('localhost/tsrun-test/live:3');
  stream.cancel();
  await reading;

  expect((await topLayer('localhost/tsrun-test/live:1')).get('ready')).toMatchObject({ type: 'file', size: 3 });
  expect(await runIn(`${P}-live-look`, 'localhost/tsrun-test/live:1', 'cat /ready')).toBe('up\n');
  for (const x of [id, ...marks, `${P}-live-look`]) {
    await c().deleteTask(x, { force: true }).catch(() => undefined);
    await c().deleteContainer(x);
  }
});

test('zstd layers; an untagged commit lists as <none>; an unchanged container gives an empty-layer history entry; skopeo and GNU tar read the layer', async () => {
  const id = `${P}-zstd`;
  await runIn(id, IMAGE, 'echo zstd > /z');
  expect(tsctl(['commit', '--compression', 'zstd', id, 'localhost/tsrun-test/zstd:1']).status).toBe(0);
  expect((await imageJson('localhost/tsrun-test/zstd:1')).manifest.layers.pop()!.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+zstd');
  expect(await runIn(`${P}-zstd-look`, 'localhost/tsrun-test/zstd:1', 'cat /z')).toBe('zstd\n');

  // Untagged, and nothing changed: no layer added, the history says so.
  const untagged = tsctl(['commit', `${P}-zstd-look`]);
  expect(untagged.status).toBe(0);
  const digest = untagged.stdout.trim();
  const name = `<none>@${digest}`;
  expect((await c().listImages()).map((i) => i.name)).toContain(name);
  expect(tsctl(['images', 'ls']).stdout).toMatch(new RegExp(`^<none>\\s+<none>\\s+${digest.slice(7, 19)}\\s`, 'm'));
  const empty = await imageJson(name);
  expect(empty.config.history.pop()).toMatchObject({ empty_layer: true, created_by: 'sh -c cat /z' });
  expect(empty.manifest.layers).toEqual((await imageJson('localhost/tsrun-test/zstd:1')).manifest.layers);
  expect(await runIn(`${P}-untagged-look`, name, 'cat /z')).toBe('zstd\n');

  // Outside readers: skopeo copies the exported image to an OCI layout; GNU tar lists its layer.
  const gz = `${P}-gz`;
  await runIn(gz, IMAGE, 'mkdir /outside && echo o > /outside/file && rm /etc/passwd');
  expect(tsctl(['commit', gz, 'localhost/tsrun-test/outside:1']).status).toBe(0);
  const archive = path.join(work, 'outside.tar');
  await c().exportImages(['localhost/tsrun-test/outside:1'], archive);
  const layout = path.join(work, 'outside-layout');
  execFileSync('skopeo', ['copy', '--quiet', `oci-archive:${archive}:localhost/tsrun-test/outside:1`, `oci:${layout}:x`]);
  const inspected = JSON.parse(execFileSync('skopeo', ['inspect', `oci:${layout}:x`], { encoding: 'utf8' })) as { Layers: string[] };
  const top = inspected.Layers[inspected.Layers.length - 1];
  expect(execFileSync('tar', ['-tzvf', path.join(layout, 'blobs/sha256', top.slice(7))], { encoding: 'utf8' }).split('\n').filter(Boolean).map((l) => l.split(/\s+/).pop())).toEqual(
    expect.arrayContaining(['etc/', 'etc/.wh.passwd', 'outside/', 'outside/file']),
  );

  await c().deleteImage(name);
  expect((await c().listImages()).map((i) => i.name)).not.toContain(name);
  for (const x of [id, `${P}-zstd-look`, `${P}-untagged-look`, gz]) await c().deleteContainer(x);
});

test('-c changes: Dockerfile metadata instructions, substituted with the image\'s Env, set the new config; a container of it runs with them', async () => {
  const id = `${P}-changes`;
  await runIn(id, IMAGE, 'true');
  const changes = [
    'ENV A=1 B=$PATH',
    'ENTRYPOINT ["sh", "-c"]',
    'CMD ["echo $A; echo $B; pwd; id -u"]',
    'EXPOSE 8080 53/udp',
    'LABEL k=v "with space"=x',
    'WORKDIR /tmp',
    'USER nobody',
    'STOPSIGNAL SIGINT',
    'VOLUME /data',
    'ONBUILD RUN echo hi',
  ];
  const r = tsctl(['commit', ...changes.flatMap((ch) => ['-c', ch]), id, 'localhost/tsrun-test/changes:1']);
  expect([r.status, r.stderr]).toEqual([0, '']);
  const { config } = await imageJson('localhost/tsrun-test/changes:1');
  const path0 = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  expect(config.config).toEqual({
    Env: [path0, 'A=1', `B=${path0.slice(5)}`],
    Entrypoint: ['sh', '-c'],
    Cmd: ['echo $A; echo $B; pwd; id -u'],
    ExposedPorts: { '8080/tcp': {}, '53/udp': {} },
    Labels: { k: 'v', 'with space': 'x' },
    WorkingDir: '/tmp',
    User: 'nobody',
    StopSignal: 'SIGINT',
    Volumes: { '/data': {} },
    OnBuild: ['RUN echo hi'],
  });
  await c().createContainer({ id: `${P}-changes-look`, image: 'localhost/tsrun-test/changes:1' });
  expect(await runTaskToEnd(c(), `${P}-changes-look`)).toEqual({ status: 0, out: `1\n${path0.slice(5)}\n/tmp\n65534\n` });
  for (const x of [id, `${P}-changes-look`]) await c().deleteContainer(x);
});

test('a 200 MiB file commits with tsrund\'s memory bounded, and comes out whole', async () => {
  const id = `${P}-big`;
  await runIn(id, IMAGE, 'dd if=/dev/urandom of=/big bs=1M count=200 2>/dev/null && sha256sum /big > /big.sum');
  const pid = daemon.proc!.pid!;
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
  // Reset the peak RSS (proc(5), clear_refs 5): VmHWM is then this commit's peak.
  fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
  const before = kib('VmRSS');
  expect(tsctl(['commit', id, 'localhost/tsrun-test/big:1']).status).toBe(0);
  expect((kib('VmHWM') - before) * 1024).toBeLessThan(96 << 20);
  const { manifest } = await imageJson('localhost/tsrun-test/big:1');
  expect(fs.statSync(blobPath(manifest.layers[manifest.layers.length - 1].digest)).size).toBeGreaterThan(200 << 20);
  expect(await runIn(`${P}-big-look`, 'localhost/tsrun-test/big:1', 'sha256sum -c /big.sum')).toBe('/big: OK\n');
  for (const x of [id, `${P}-big-look`]) await c().deleteContainer(x);
  await c().deleteImage('localhost/tsrun-test/big:1');
});

test('errors: an unknown container, a bundle container, a bad reference or compression; nothing is left in the content store', async () => {
  const id = `${P}-err`;
  await runIn(id, IMAGE, 'echo x > /x');
  const before = blobs();
  expect(await failure(c().commitContainer(`${P}-nope`))).toMatchObject({ code: GrpcStatus.NOT_FOUND });
  const bundle = makeBundle(['true']);
  try {
    await c().createContainer({ id: `${P}-bundle`, bundle: bundle.dir });
    expect(await failure(c().commitContainer(`${P}-bundle`))).toEqual({
      code: GrpcStatus.FAILED_PRECONDITION,
      details: `container ${P}-bundle was made from a bundle: it has no image to commit a layer on; create it from an image`,
    });
    await c().deleteContainer(`${P}-bundle`);
  } finally {
    bundle.cleanup();
  }
  const badRef = await failure(c().commitContainer(id, { reference: 'Bad Name:1' }));
  expect(badRef?.code).toBe(GrpcStatus.INVALID_ARGUMENT);
  expect(badRef?.details).toMatch(/^reference: /);
  expect(await failure(c().commitContainer(id, { compression: 'lz4' }))).toEqual({
    code: GrpcStatus.INVALID_ARGUMENT,
    details: 'compression: "lz4" is not a layer compression: give gzip or zstd',
  });
  expect(await failure(c().commitContainer(id, { changes: ['ENV A=1', 'RUN rm -rf /'] }))).toEqual({
    code: GrpcStatus.INVALID_ARGUMENT,
    details: '--change[1]:1:1: RUN cannot be a commit change (commit takes CMD ENTRYPOINT HEALTHCHECK ENV EXPOSE LABEL ONBUILD STOPSIGNAL USER VOLUME WORKDIR)',
  });
  const badPort = await failure(c().commitContainer(id, { changes: ['EXPOSE 99999'] }));
  expect(badPort?.code).toBe(GrpcStatus.INVALID_ARGUMENT);
  expect(badPort?.details).toMatch(/^--change\[0\]:1:1: invalid port "99999" in EXPOSE/);
  const r = tsctl(['commit', '--compression', 'lz4', id]);
  expect([r.status, r.stderr]).toEqual([1, 'tsctl: compression: "lz4" is not a layer compression: give gzip or zstd\n']);
  expect(blobs()).toEqual(before);
  expect(fs.readdirSync(path.join(daemon.root, 'content/ingest'))).toEqual([]);
  expect(await c().health()).toBe('SERVING');
  await c().deleteContainer(id);
});

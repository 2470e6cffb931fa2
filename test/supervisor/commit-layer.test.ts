/**
 * writeLayer and writeImage on their own: an overlay upper directory made by hand (whiteouts and
 * opaque directories as overlayfs makes them; the trusted namespace needs root, as tsrund has)
 * becomes a layer whose tar, read back by tsrun's reader and by Python's tarfile, carries every
 * owner, mode, mtime, xattr, hardlink, symlink, device and fifo; the same tree twice gives one
 * digest; a big file goes through with bounded memory; a failure leaves nothing in the store.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readTar, type TarHeader } from '../../supervisor/archive/tar';
import { decompress } from '../../supervisor/archive/compression';
import { ContentStore } from '../../supervisor/content/store';
import { writeLayer } from '../../supervisor/images/layer-writer';
import { writeImage, type OciImageConfigFile } from '../../supervisor/images/image-writer';
import { lsetxattr, mknod } from '../../runtime/native';

jest.setTimeout(180_000);

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-commit-layer-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

let n = 0;
const fresh = (what: string) => {
  const d = path.join(work, `${what}-${n++}`);
  fs.mkdirSync(d, { recursive: true });
  return d;
};

/** A v2 file capability: cap_net_bind_service permitted and effective. */
const CAPABILITY = Buffer.from([0x01, 0x00, 0x00, 0x02, 0x00, 0x04, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

/** The lower layer: what the upper changes, deletes and hides. */
function makeLower(): string {
  const lower = fresh('lower');
  fs.mkdirSync(path.join(lower, 'etc'));
  fs.writeFileSync(path.join(lower, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\n');
  fs.writeFileSync(path.join(lower, 'etc/group'), 'root:x:0:\n');
  fs.mkdirSync(path.join(lower, 'var/cache'), { recursive: true });
  fs.writeFileSync(path.join(lower, 'var/cache/old'), 'old');
  return lower;
}

/** An upper directory over makeLower() with every kind of entry a layer carries. */
function makeUpper(): string {
  const u = fresh('upper');
  const at = (p: string) => path.join(u, p);
  fs.mkdirSync(at('etc'));
  fs.writeFileSync(at('etc/passwd'), 'root:x:0:0::/root:/bin/sh\nu:x:1000:1000::/home/u:/bin/sh\n');
  mknod(at('etc/group'), fs.constants.S_IFCHR, 0, 0); // a whiteout: etc/group deleted
  mknod(at('gone'), fs.constants.S_IFCHR, 0, 0); // a whiteout hiding nothing: not in the layer
  fs.mkdirSync(at('var'));
  fs.mkdirSync(at('var/cache'));
  lsetxattr(at('var/cache'), 'trusted.overlay.opaque', Buffer.from('y'));
  fs.writeFileSync(at('var/cache/new'), 'new');
  fs.mkdirSync(at('srv/data'), { recursive: true, mode: 0o755 });
  fs.writeFileSync(at('srv/data/owned'), 'owned by 1234:5678', { mode: 0o640 });
  fs.chownSync(at('srv/data/owned'), 1234, 5678);
  fs.writeFileSync(at('srv/setuid'), '#!/bin/sh\n');
  fs.chmodSync(at('srv/setuid'), 0o4755);
  fs.mkdirSync(at('srv/sticky'));
  fs.chmodSync(at('srv/sticky'), 0o1777);
  fs.writeFileSync(at('srv/cap'), 'binary');
  lsetxattr(at('srv/cap'), 'security.capability', CAPABILITY);
  lsetxattr(at('srv/cap'), 'user.note', Buffer.from([0, 1, 2, 255]));
  lsetxattr(at('srv/cap'), 'trusted.overlay.origin', Buffer.from('never in a layer'));
  fs.linkSync(at('srv/data/owned'), at('srv/hardlink'));
  fs.symlinkSync('../etc/passwd', at('srv/symlink'));
  mknod(at('srv/null'), fs.constants.S_IFCHR | 0o666, 1, 3);
  mknod(at('srv/blk'), fs.constants.S_IFBLK | 0o600, 259, 300);
  execFileSync('mkfifo', ['-m', '0620', at('srv/fifo')]);
  spawnSync('python3', ['-c', `import socket; socket.socket(socket.AF_UNIX).bind(${JSON.stringify(at('srv/socket'))})`]);
  fs.utimesSync(at('srv/data/owned'), 1_000_000_000, 1_000_000_000);
  fs.lutimesSync(at('srv/symlink'), 1_100_000_000, 1_100_000_000);
  fs.utimesSync(at('srv/sticky'), 1_200_000_000, 1_200_000_000);
  return u;
}

/** The layer blob's entries as tsrun's tar reader sees them (bodies as text). */
async function entries(content: ContentStore, digest: string): Promise<(TarHeader & { text: string })[]> {
  const out = [];
  for await (const e of readTar(await decompress(content.readStream(digest), digest))) {
    const chunks: Buffer[] = [];
    for await (const c of e.body) chunks.push(c as Buffer);
    out.push({ ...e.header, text: Buffer.concat(chunks).toString() });
  }
  return out;
}

test('an upper directory becomes a layer: whiteouts, an opaque directory, owners, modes, mtimes, xattrs, hardlinks, symlinks, devices, fifos', async () => {
  const content = new ContentStore(fresh('root'));
  const lease = content.lease();
  const layer = await writeLayer(makeUpper(), [makeLower()], content, lease, { compression: 'gzip' });
  lease.release();
  expect(layer.descriptor.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+gzip');
  expect(content.info(layer.descriptor.digest).size).toBe(layer.descriptor.size);
  const tar = execFileSync('sh', ['-c', `gzip -dc < ${content.path(layer.descriptor.digest)} | sha256sum`], { encoding: 'utf8' });
  expect(`sha256:${tar.split(' ')[0]}`).toBe(layer.diffId);

  const got = await entries(content, layer.descriptor.digest);
  expect(got.map((e) => e.path)).toEqual([
    'etc',
    'etc/.wh.group',
    'etc/passwd',
    'srv',
    'srv/blk',
    'srv/cap',
    'srv/data',
    'srv/data/owned',
    'srv/fifo',
    'srv/hardlink',
    'srv/null',
    'srv/setuid',
    'srv/sticky',
    'srv/symlink',
    'var',
    'var/cache',
    'var/cache/.wh..wh..opq',
    'var/cache/new',
  ]);
  const by = Object.fromEntries(got.map((e) => [e.path, e]));
  expect(by['etc/.wh.group']).toMatchObject({ type: 'file', size: 0 });
  expect(by['var/cache/.wh..wh..opq']).toMatchObject({ type: 'file', size: 0 });
  expect(by['etc/passwd'].text).toBe('root:x:0:0::/root:/bin/sh\nu:x:1000:1000::/home/u:/bin/sh\n');
  expect(by['srv/data/owned']).toMatchObject({ type: 'file', uid: 1234, gid: 5678, mode: 0o640, mtime: 1_000_000_000, text: 'owned by 1234:5678' });
  expect(by['srv/hardlink']).toMatchObject({ type: 'hardlink', linkname: 'srv/data/owned', size: 0 });
  expect(by['srv/setuid'].mode).toBe(0o4755);
  expect(by['srv/sticky']).toMatchObject({ type: 'directory', mode: 0o1777, mtime: 1_200_000_000 });
  expect(by['srv/symlink']).toMatchObject({ type: 'symlink', linkname: '../etc/passwd', mtime: 1_100_000_000 });
  expect(by['srv/null']).toMatchObject({ type: 'char', devmajor: 1, devminor: 3, mode: 0o666 });
  expect(by['srv/blk']).toMatchObject({ type: 'block', devmajor: 259, devminor: 300, mode: 0o600 });
  expect(by['srv/fifo']).toMatchObject({ type: 'fifo', mode: 0o620 });
  expect(by['srv/cap'].xattrs).toEqual({ 'security.capability': CAPABILITY, 'user.note': Buffer.from([0, 1, 2, 255]) });
  expect(by['var/cache'].xattrs).toEqual({});
  for (const e of got) expect([e.uname, e.gname]).toEqual(['', '']);

  // Another reader of tar: Python's tarfile sees the same entries, types and numbers.
  const py = spawnSync(
    'python3',
    [
      '-c',
      `import tarfile,sys,json
t=tarfile.open(sys.argv[1])
print(json.dumps([[m.name,m.type.decode(),m.mode,m.uid,m.gid,m.linkname,m.devmajor,m.devminor,sorted(k for k in m.pax_headers)] for m in t.getmembers()]))`,
      content.path(layer.descriptor.digest),
    ],
    { encoding: 'utf8' },
  );
  expect(py.stderr).toBe('');
  const members = JSON.parse(py.stdout) as [string, string, number, number, number, string, number, number, string[]][];
  expect(members.map((m) => m[0])).toEqual(got.map((e) => e.path));
  const m = Object.fromEntries(members.map((x) => [x[0], x]));
  expect(m['srv/hardlink'].slice(1, 6)).toEqual(['1', 0o640, 1234, 5678, 'srv/data/owned']);
  expect(m['srv/blk'].slice(6, 8)).toEqual([259, 300]);
  expect(m['srv/cap'][8]).toEqual(['SCHILY.xattr.security.capability', 'SCHILY.xattr.user.note']);
});

test('the same tree twice gives the same layer digest with mtime set (gzip and zstd); mtime unset keeps each file\'s own', async () => {
  const content = new ContentStore(fresh('root'));
  const lease = content.lease();
  const lower = makeLower();
  for (const compression of ['gzip', 'zstd', 'none'] as const) {
    const a = await writeLayer(makeUpper(), [lower], content, lease, { compression, mtime: 1_700_000_000 });
    const b = await writeLayer(makeUpper(), [lower], content, lease, { compression, mtime: 1_700_000_000 });
    expect(b).toEqual(a);
    if (compression === 'zstd') expect(a.descriptor.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+zstd');
    const times = new Set((await entries(content, a.descriptor.digest)).map((e) => e.mtime));
    expect([...times]).toEqual([1_700_000_000]);
  }
  lease.release();
});

test('a 200 MiB file goes into a layer with bounded memory', async () => {
  const content = new ContentStore(fresh('root'));
  const upper = fresh('upper');
  execFileSync('dd', ['if=/dev/urandom', `of=${path.join(upper, 'big')}`, 'bs=1M', 'count=200', 'status=none']);
  const lease = content.lease();
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  try {
    const layer = await writeLayer(upper, [], content, lease, { compression: 'gzip' });
    expect(layer.descriptor.size).toBeGreaterThan(200 << 20);
    const sum = execFileSync('sh', ['-c', `gzip -dc < ${content.path(layer.descriptor.digest)} | tar -xOf - big | sha256sum`], { encoding: 'utf8' });
    expect(sum).toBe(execFileSync('sha256sum', [path.join(upper, 'big')], { encoding: 'utf8' }).replace(path.join(upper, 'big'), '-'));
  } finally {
    clearInterval(sampler);
    lease.release();
  }
  expect(peak - before).toBeLessThan(64 << 20);
});

test('a failure while writing leaves no blob and no ingest: a file shrinking under the writer; a store that cannot write', async () => {
  const root = fresh('root');
  const content = new ContentStore(root);
  const upper = fresh('upper');
  fs.writeFileSync(path.join(upper, 'a'), 'a');
  fs.writeFileSync(path.join(upper, 'shrinks'), Buffer.alloc(4 << 20, 7));
  const lease = content.lease();
  const writing = writeLayer(upper, [], content, lease, { compression: 'gzip' });
  // The entries are listed (their sizes taken) before writeLayer first waits.
  fs.truncateSync(path.join(upper, 'shrinks'), 10);
  await expect(writing).rejects.toThrow('tar: body of "shrinks" is 10 bytes, its size says 4194304');
  expect(content.list()).toEqual([]);
  expect(fs.readdirSync(path.join(root, 'content/ingest'))).toEqual([]);
  // The store failing first: the tar writer, stopped mid-file by back-pressure, fails too.
  fs.writeFileSync(path.join(upper, 'shrinks'), Buffer.alloc(4 << 20, 7));
  fs.rmSync(path.join(root, 'content/ingest'), { recursive: true });
  fs.writeFileSync(path.join(root, 'content/ingest'), 'not a directory');
  await expect(writeLayer(upper, [], content, lease, { compression: 'zstd' })).rejects.toThrow(/ENOTDIR/);
  lease.release();
  expect(content.list()).toEqual([]);
});

test('mount targets the runtime made (empty, not in the layers beneath) are not changes, nor the directories copied up to hold them', async () => {
  const content = new ContentStore(fresh('root'));
  const lease = content.lease();
  const lower = makeLower();
  const upper = fresh('upper');
  fs.mkdirSync(path.join(upper, 'etc'));
  fs.writeFileSync(path.join(upper, 'etc/hosts'), '');
  fs.mkdirSync(path.join(upper, 'var/cache/mnt'), { recursive: true });
  const mountTargets = ['etc/hosts', 'etc/hostname', 'var/cache/mnt'];
  const names = async () => (await entries(content, (await writeLayer(upper, [lower], content, lease, { compression: 'none', mountTargets })).descriptor.digest)).map((e) => e.path);
  expect(await names()).toEqual([]);
  // What the container wrote is a change: a target with content, a file beside a target.
  fs.writeFileSync(path.join(upper, 'etc/hostname'), 'written');
  fs.writeFileSync(path.join(upper, 'var/cache/kept'), '');
  expect(await names()).toEqual(['etc', 'etc/hostname', 'var', 'var/cache', 'var/cache/kept']);
  lease.release();
});

test('writeImage stores the config and an OCI manifest over the layers, held by the lease', async () => {
  const content = new ContentStore(fresh('root'));
  const lease = content.lease();
  const layer = await writeLayer(makeUpper(), [], content, lease, { compression: 'gzip', mtime: 0 });
  const config: OciImageConfigFile = {
    created: '2026-01-01T00:00:00Z',
    architecture: 'amd64',
    os: 'linux',
    config: { Cmd: ['sh'] },
    rootfs: { type: 'layers', diff_ids: [layer.diffId] },
    history: [{ created: '2026-01-01T00:00:00Z', created_by: 'test' }],
  };
  const d = await writeImage(content, lease, { config, layers: [layer.descriptor], annotations: { a: 'b' } });
  expect(d.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
  const manifest = content.readJson<{ config: { digest: string; mediaType: string }; layers: unknown[]; annotations: unknown }>(d.digest);
  expect(manifest).toMatchObject({ schemaVersion: 2, layers: [layer.descriptor], annotations: { a: 'b' } });
  expect(manifest.config.mediaType).toBe('application/vnd.oci.image.config.v1+json');
  expect(content.readJson(manifest.config.digest)).toEqual(config);
  // Held by the lease: a collection with no roots keeps them until it is released.
  expect(content.gc([])).toEqual([]);
  lease.release();
  expect(content.gc([]).sort()).toEqual([d.digest, manifest.config.digest, layer.descriptor.digest].sort());
});

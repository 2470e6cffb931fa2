/**
 * The overlay snapshotter and layer application on real files: exact metadata compared with
 * lstat, whiteouts and opaque directories seen through a real overlay mount (inside `unshare -m`
 * with private propagation), every escape refused with nothing left, layers shared between
 * images, compression, diff id checks and garbage collection.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { lgetxattr, llistxattr } from '../../runtime/native';
import { chainIds, OverlaySnapshotter } from '../../supervisor/snapshots/overlay';
import { readLayeredFile } from '../../supervisor/snapshots/view';
import { dir, file, hardlink, layer, layerOf, sha256, symlink, tarOf, type TestEntry } from './snapshots-helpers';

jest.setTimeout(60_000);

let root: string;
let snaps: OverlaySnapshotter;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-snap-'));
  snaps = new OverlaySnapshotter(root);
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

const layerDirs = () => fs.readdirSync(path.join(root, 'snapshots', 'layers'));
/** What tmp/ holds once the background removals ended. */
const tmpDirs = async () => {
  await snaps.removalsSettled();
  return fs.readdirSync(path.join(root, 'snapshots', 'tmp'));
};

async function unpackOne(entries: TestEntry[]): Promise<string> {
  const [id] = await snaps.unpack([await layer(entries)]);
  return snaps.layerPath(id);
}

test('files, directories, links, devices and fifos come out exact: owners, modes, setuid, mtimes, xattrs', async () => {
  const d = await unpackOne([
    dir('.', { mode: 0o751, mtime: 1_000_001 }),
    dir('etc', { mode: 0o750, uid: 7, gid: 8, mtime: 1_500_000_000 }),
    file('etc/passwd', 'root:x:0:0:root:/root:/bin/sh\n', { mode: 0o640, uid: 12, gid: 34, mtime: 1_234_567_890 }),
    file('bin/su', '#!/bin/true\n', { mode: 0o4755, uid: 0, gid: 0, mtime: 42 }),
    file('bin/sgid', 'x', { mode: 0o2711, uid: 5, gid: 6, mtime: 43 }),
    dir('tmp', { mode: 0o1777, mtime: 44 }),
    hardlink('bin/su-again', 'bin/su'),
    symlink('bin/sh', 'busybox'),
    { h: { path: 'bin/dangling', type: 'symlink', linkname: '/nowhere/at/all', uid: 3, gid: 4, mtime: 777 } },
    { h: { path: 'dev/null', type: 'char', mode: 0o666, devmajor: 1, devminor: 3, uid: 0, gid: 0, mtime: 45 } },
    { h: { path: 'dev/sda', type: 'block', mode: 0o660, devmajor: 8, devminor: 0, uid: 0, gid: 6, mtime: 46 } },
    { h: { path: 'run/fifo', type: 'fifo', mode: 0o620, uid: 9, gid: 10, mtime: 47 } },
    file('xattr-file', 'x', { xattrs: { 'user.greeting': Buffer.from('hello'), 'trusted.bin': Buffer.from([0, 1, 2, 255]) } }),
    { h: { path: 'xattr-link', type: 'symlink', linkname: 'xattr-file', xattrs: { 'trusted.on-link': Buffer.from('yes') } } },
  ]);
  const st = (p: string) => fs.lstatSync(path.join(d, p));
  const mode = (p: string) => st(p).mode & 0o7777;

  expect(mode('.')).toBe(0o751);
  expect(st('.').mtimeMs).toBe(1_000_001_000);
  expect(st('etc')).toMatchObject({ uid: 7, gid: 8, mtimeMs: 1_500_000_000_000 });
  expect(mode('etc')).toBe(0o750);
  expect(st('etc/passwd')).toMatchObject({ uid: 12, gid: 34, mtimeMs: 1_234_567_890_000 });
  expect(mode('etc/passwd')).toBe(0o640);
  expect(fs.readFileSync(path.join(d, 'etc/passwd'), 'utf8')).toBe('root:x:0:0:root:/root:/bin/sh\n');
  expect(mode('bin/su')).toBe(0o4755);
  expect(st('bin/sgid')).toMatchObject({ uid: 5, gid: 6 });
  expect(mode('bin/sgid')).toBe(0o2711);
  expect(mode('tmp')).toBe(0o1777);
  expect(st('bin/su-again').ino).toBe(st('bin/su').ino);
  expect(st('bin/su').nlink).toBe(2);
  expect(fs.readlinkSync(path.join(d, 'bin/sh'))).toBe('busybox');
  expect(fs.readlinkSync(path.join(d, 'bin/dangling'))).toBe('/nowhere/at/all');
  expect(st('bin/dangling')).toMatchObject({ uid: 3, gid: 4, mtimeMs: 777_000 });
  expect(st('dev/null').isCharacterDevice()).toBe(true);
  expect(st('dev/null').rdev).toBe(fs.statSync('/dev/null').rdev);
  expect(mode('dev/null')).toBe(0o666);
  expect(st('dev/sda').isBlockDevice()).toBe(true);
  expect(st('dev/sda')).toMatchObject({ gid: 6, mtimeMs: 46_000 });
  expect(st('dev/sda').rdev).toBe(8 * 256);
  expect(st('run/fifo').isFIFO()).toBe(true);
  expect(st('run/fifo')).toMatchObject({ uid: 9, gid: 10, mtimeMs: 47_000 });
  expect(mode('run/fifo')).toBe(0o620);
  expect(llistxattr(path.join(d, 'xattr-file')).sort()).toEqual(['trusted.bin', 'user.greeting']);
  expect(lgetxattr(path.join(d, 'xattr-file'), 'user.greeting').toString()).toBe('hello');
  expect([...lgetxattr(path.join(d, 'xattr-file'), 'trusted.bin')]).toEqual([0, 1, 2, 255]);
  expect(lgetxattr(path.join(d, 'xattr-link'), 'trusted.on-link').toString()).toBe('yes');
  expect(llistxattr(path.join(d, 'xattr-file'))).not.toContain('trusted.on-link');
});

test('a layer written by GNU tar (pax, --xattrs, numeric owners) unpacks to the same metadata as its source', async () => {
  const src = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-snap-src-'));
  try {
    fs.mkdirSync(path.join(src, 'a/b'), { recursive: true });
    fs.writeFileSync(path.join(src, 'a/b/f'), 'data');
    fs.chownSync(path.join(src, 'a/b/f'), 1234, 5678);
    fs.chmodSync(path.join(src, 'a/b/f'), 0o4750);
    fs.symlinkSync('b/f', path.join(src, 'a/link'));
    fs.linkSync(path.join(src, 'a/b/f'), path.join(src, 'a/hard'));
    execFileSync('setcap', ['cap_net_raw+ep', path.join(src, 'a/b/f')], { stdio: 'ignore' });
    fs.chmodSync(path.join(src, 'a/b/f'), 0o4750);
    fs.utimesSync(path.join(src, 'a/b'), 1000, 2000);
    const tar = execFileSync('tar', ['-C', src, '--format=pax', '--xattrs', '--xattrs-include=*', '--numeric-owner', '-cf', '-', '.']);
    const [id] = await snaps.unpack([layerOf(tar, 'gzip')]);
    const d = snaps.layerPath(id);
    for (const p of ['a', 'a/b', 'a/b/f', 'a/link', 'a/hard']) {
      const want = fs.lstatSync(path.join(src, p));
      const got = fs.lstatSync(path.join(d, p));
      expect({ p, mode: got.mode, uid: got.uid, gid: got.gid, mtime: Math.floor(got.mtimeMs / 1000), size: got.size }).toEqual({
        p,
        mode: want.mode,
        uid: want.uid,
        gid: want.gid,
        mtime: Math.floor(want.mtimeMs / 1000),
        size: want.size,
      });
    }
    expect(fs.lstatSync(path.join(d, 'a/hard')).ino).toBe(fs.lstatSync(path.join(d, 'a/b/f')).ino);
    expect(lgetxattr(path.join(d, 'a/b/f'), 'security.capability')).toEqual(lgetxattr(path.join(src, 'a/b/f'), 'security.capability'));
  } finally {
    fs.rmSync(src, { recursive: true, force: true });
  }
});

test("directory times: a directory's last entry sets them; a directory a later entry replaced gets none, not even through a symlink", async () => {
  const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-snap-outside-'));
  try {
    fs.mkdirSync(path.join(outside, 'z'));
    fs.utimesSync(path.join(outside, 'z'), 5, 5);
    const d = await unpackOne([
      dir('x', { mtime: 1000 }),
      dir('x/y', { mtime: 2000 }),
      dir('x/y/z', { mtime: 12345 }),
      dir('x', { mtime: 3000 }),
      // x/y/z goes with x/y; setting its times now would follow the symlink out of the layer.
      symlink('x/y', outside),
    ]);
    expect(fs.lstatSync(path.join(d, 'x')).mtimeMs).toBe(3_000_000);
    expect(fs.readlinkSync(path.join(d, 'x/y'))).toBe(outside);
    expect(fs.statSync(path.join(outside, 'z')).mtimeMs).toBe(5000);
  } finally {
    fs.rmSync(outside, { recursive: true, force: true });
  }
});

test('whiteouts become 0:0 character devices and opaque markers the overlay xattr', async () => {
  const d = await unpackOne([
    file('keep', 'k'),
    { h: { path: 'gone/.wh.old', type: 'file', mode: 0o600, uid: 3, gid: 4 } },
    { h: { path: 'fresh/.wh..wh..opq', type: 'file', mode: 0o600 } },
    file('fresh/new', 'n'),
  ]);
  const wh = fs.lstatSync(path.join(d, 'gone/old'));
  expect(wh.isCharacterDevice()).toBe(true);
  expect(wh.rdev).toBe(0);
  expect(wh).toMatchObject({ uid: 3, gid: 4 });
  expect(fs.existsSync(path.join(d, 'gone/.wh.old'))).toBe(false);
  expect(lgetxattr(path.join(d, 'fresh'), 'trusted.overlay.opaque').toString()).toBe('y');
  expect(fs.readdirSync(path.join(d, 'fresh'))).toEqual(['new']);
});

describe('entries that would escape the snapshot are refused, and nothing is left', () => {
  const outside = () => path.join(root, 'outside');
  const cases: [string, TestEntry[], RegExp][] = [
    ['a ".." path', [file('ok', 'x'), file('../outside', 'x')], /entry "\.\.\/outside": ".." components are refused/],
    ['a ".." in the middle', [file('a/../../outside', 'x')], /entry "a\/\.\.\/\.\.\/outside": ".." components/],
    ['an absolute path', [file('/etc/tsrun-escape', 'x')], /entry "\/etc\/tsrun-escape": absolute paths are refused/],
    ['a write through a symlink to a directory outside', [symlink('up', '..'), file('up/outside', 'x')], /entry "up\/outside": its parent "up" is a symlink/],
    ['a write through an absolute symlink', [symlink('etc', '/etc'), file('etc/tsrun-escape', 'x')], /entry "etc\/tsrun-escape": its parent "etc" is a symlink/],
    ['a directory entry through a symlink', [symlink('d', '/tmp'), dir('d/sub')], /entry "d\/sub": its parent "d" is a symlink/],
    ['a whiteout through a symlink', [symlink('d', '/tmp'), file('d/.wh.x', '')], /entry "d\/\.wh\.x": its parent "d" is a symlink/],
    ['a hardlink to a file outside', [hardlink('h', '../outside')], /entry "h": hardlink target "\.\.\/outside": ".." components/],
    ['a hardlink to an absolute path', [hardlink('h', '/etc/passwd')], /entry "h": hardlink target "\/etc\/passwd": absolute paths/],
    ['a hardlink through a symlink', [symlink('s', '/etc'), hardlink('h', 's/passwd')], /entry "h": hardlink target "s\/passwd" passes through a symlink/],
    ['a hardlink to a file no layer has', [hardlink('h', 'bin/busybox')], /entry "h": hardlink target "bin\/busybox" is not in this layer or the layers beneath it/],
    ['a whiteout of ".."', [file('a/.wh...', '')], /entry "a\/\.wh\.\.\.": "\.wh\.\.\." is not a whiteout of a name/],
    ['an overlay xattr of its own', [file('f', 'x', { xattrs: { 'trusted.overlay.redirect': Buffer.from('/etc') } })], /trusted\.overlay\.redirect is overlayfs's own/],
  ];
  test.each(cases)('%s', async (_what, entries, message) => {
    const l = await layer(entries);
    await expect(snaps.unpack([l])).rejects.toThrow(message);
    await expect(snaps.unpack([l])).rejects.toThrow(new RegExp(`^layer ${l.digest}: `));
    expect(layerDirs()).toEqual([]);
    expect(await tmpDirs()).toEqual([]);
    expect(fs.existsSync(outside())).toBe(false);
    expect(fs.existsSync('/etc/tsrun-escape')).toBe(false);
  });
});

test('a hardlink to a file of a lower layer: the file is copied up with its metadata and linked, the lower layer untouched', async () => {
  const base = await layer([
    dir('usr', { mode: 0o751, uid: 3, gid: 4, mtime: 77 }),
    file('usr/bin/tool', 'the tool', { mode: 0o4750, uid: 0, gid: 9, mtime: 1234, xattrs: { 'user.kind': Buffer.from('tool') } }),
    symlink('usr/bin/sym', 'tool'),
    file('gone', 'deleted above'),
  ]);
  const top = await layer([hardlink('usr/bin/tool-again', 'usr/bin/tool'), hardlink('sym-again', 'usr/bin/sym'), file('.wh.gone', '')]);
  const [lowerId, topId] = await snaps.unpack([base, top]);
  const lower = snaps.layerPath(lowerId);
  const upper = snaps.layerPath(topId);
  const copy = fs.lstatSync(path.join(upper, 'usr/bin/tool'));
  const link = fs.lstatSync(path.join(upper, 'usr/bin/tool-again'));
  expect(link.ino).toBe(copy.ino);
  expect(copy.ino).not.toBe(fs.lstatSync(path.join(lower, 'usr/bin/tool')).ino);
  expect(fs.readFileSync(path.join(upper, 'usr/bin/tool-again'), 'utf8')).toBe('the tool');
  expect({ mode: copy.mode & 0o7777, uid: copy.uid, gid: copy.gid, mtime: copy.mtimeMs / 1000 }).toEqual({ mode: 0o4750, uid: 0, gid: 9, mtime: 1234 });
  expect(lgetxattr(path.join(upper, 'usr/bin/tool'), 'user.kind').toString()).toBe('tool');
  const usr = fs.lstatSync(path.join(upper, 'usr'));
  expect({ mode: usr.mode & 0o7777, uid: usr.uid, gid: usr.gid }).toEqual({ mode: 0o751, uid: 3, gid: 4 });
  expect(fs.readlinkSync(path.join(upper, 'sym-again'))).toBe('tool');
  expect(fs.lstatSync(path.join(lower, 'usr/bin/tool')).nlink).toBe(1);

  // A target this layer deleted, or one reached through a lower layer's symlink, is not linked to.
  const deleted = await layer([file('.wh.gone', ''), hardlink('h', 'gone')]);
  await expect(snaps.unpack([base, deleted])).rejects.toThrow(/entry "h": hardlink target "gone" is not in this layer or the layers beneath it/);
  const through = await layer([hardlink('h', 'usr/bin/sym/x')]);
  await expect(snaps.unpack([base, through])).rejects.toThrow(/entry "h": hardlink target "usr\/bin\/sym\/x" passes through a symlink/);
  expect(await tmpDirs()).toEqual([]);
});

test('a layer whose content does not match its diff id, or a truncated one, is refused with nothing left', async () => {
  const tar = await tarOf([file('f', 'content')]);
  const lying = { ...layerOf(tar), diffId: sha256(Buffer.from('something else')) };
  await expect(snaps.unpack([lying])).rejects.toThrow(/its uncompressed content is sha256:[0-9a-f]{64}, the image's diff id says/);
  const gz = layerOf(tar, 'gzip');
  const blob = Buffer.concat(await (async () => { const c: Buffer[] = []; for await (const x of gz.open()) c.push(x as Buffer); return c; })());
  const truncated = { ...gz, open: () => require('stream').Readable.from([blob.subarray(0, blob.length - 20)]) };
  await expect(snaps.unpack([truncated])).rejects.toThrow(new RegExp(`^layer ${gz.digest}: `));
  expect(layerDirs()).toEqual([]);
  expect(await tmpDirs()).toEqual([]);
});

test('gzip and zstd layers unpack like plain ones', async () => {
  for (const c of ['gzip', 'zstd'] as const) {
    const [id] = await snaps.unpack([await layer([file(`in-${c}`, c)], c)]);
    expect(fs.readFileSync(path.join(snaps.layerPath(id), `in-${c}`), 'utf8')).toBe(c);
  }
});

test('chain ids follow the image spec, and a base layer shared by two images is unpacked once', async () => {
  const base = await layer([file('base', 'b')]);
  const a = await layer([file('a', 'a')]);
  const b = await layer([file('b', 'b')]);
  const ids = chainIds([base.diffId, a.diffId]);
  expect(ids[0]).toBe(base.diffId);
  expect(ids[1]).toBe(sha256(Buffer.from(`${base.diffId} ${a.diffId}`)));

  let opened = 0;
  const counted = { ...base, open: () => (opened++, base.open()) };
  const first = await snaps.unpack([counted, a]);
  const inode = fs.statSync(snaps.layerPath(first[0])).ino;
  const second = await snaps.unpack([counted, b]);
  expect(first).toEqual(ids);
  expect(second[0]).toBe(first[0]);
  expect(opened).toBe(1);
  expect(fs.statSync(snaps.layerPath(second[0])).ino).toBe(inode);
  expect(layerDirs().sort()).toEqual([...new Set([...first, ...second])].map((id) => id.slice(7)).sort());
  // Two concurrent unpacks of the same new stack still unpack each layer once.
  opened = 0;
  const c = await layer([file('c', 'c')]);
  const fresh = { ...c, open: () => (opened++, c.open()) };
  await Promise.all([snaps.unpack([base, fresh]), snaps.unpack([base, fresh])]);
  expect(opened).toBe(1);
});

test('gcSnapshots keeps what images and active containers use, and removes the rest', async () => {
  const base = await layer([file('base', 'b')]);
  const a = await layer([file('a', 'a')]);
  const b = await layer([file('b', 'b')]);
  const imageA = await snaps.unpack([base, a]);
  const imageB = await snaps.unpack([base, b]);
  snaps.prepare('ctr-b', imageB);
  expect(snaps.gcSnapshots(imageA).sort()).toEqual([]);
  snaps.remove('ctr-b');
  expect(snaps.gcSnapshots(imageA)).toEqual([imageB[1]]);
  expect(snaps.list().sort()).toEqual([...imageA].sort());
  expect(snaps.gcSnapshots([]).sort()).toEqual([...imageA].sort());
  expect(layerDirs()).toEqual([]);
  expect(await tmpDirs()).toEqual([]);
});

test('the merged view of a real overlay mount: later layers win, whiteouts hide, opaque directories hide what lies beneath', async () => {
  const ids = await snaps.unpack([
    await layer([file('etc/passwd', 'old'), file('etc/group', 'g'), file('data/lower-only', 'l'), file('data/shared', 'lower'), file('doomed', 'd')]),
    await layer([
      file('etc/passwd', 'new'),
      { h: { path: '.wh.doomed', type: 'file', mode: 0o600 } },
      { h: { path: 'data/.wh..wh..opq', type: 'file', mode: 0o600 } },
      file('data/upper-only', 'u'),
    ]),
  ]);
  const overlay = snaps.prepare('merged', ids);
  expect(overlay.lower).toEqual(ids.map((id) => id.slice(7)).reverse());
  const mnt = path.join(root, 'mnt');
  fs.mkdirSync(mnt);
  const data = `lowerdir=${overlay.lower.join(':')},upperdir=${overlay.upper},workdir=${overlay.work},index=off`;
  const script = `cd "$1" && mount -t overlay overlay -o "$2" "$3" && cd "$3" && find . | sort && cat etc/passwd && echo && touch created && rm etc/group`;
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', overlay.layersDir, data, mnt], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.stdout.split('\n')).toEqual(['.', './data', './data/upper-only', './etc', './etc/group', './etc/passwd', 'new', '']);
  // Writes went to the container's upper layer only; the host's namespace saw no mount.
  expect(fs.readdirSync(mnt)).toEqual([]);
  expect(fs.readdirSync(overlay.upper).sort()).toEqual(['created', 'etc']);
  expect(fs.lstatSync(path.join(overlay.upper, 'etc/group')).rdev).toBe(0);
  expect(fs.readFileSync(path.join(snaps.layerPath(ids[0]), 'etc/group'), 'utf8')).toBe('g');
  // The same view without mounting, as user resolution reads /etc/passwd.
  const top = ids.map((id) => snaps.layerPath(id)).reverse();
  expect(readLayeredFile(top, '/etc/passwd')?.toString()).toBe('new');
  expect(readLayeredFile(top, 'doomed')).toBeNull();
  expect(readLayeredFile(top, 'data/lower-only')).toBeNull();
  expect(readLayeredFile(top, 'data/upper-only')?.toString()).toBe('u');
  expect(readLayeredFile(top, 'etc/group')?.toString()).toBe('g');
});

test('prepare refuses layers that are not unpacked; remove takes the writable layer away', async () => {
  expect(() => snaps.prepare('x', [sha256(Buffer.from('nothing'))])).toThrow(/is not unpacked/);
  const ids = await snaps.unpack([await layer([file('f', 'x')])]);
  const o = snaps.prepare('ctr', ids);
  expect(snaps.mountOf('ctr')).toEqual(o);
  snaps.remove('ctr');
  expect(snaps.mountOf('ctr')).toBeNull();
  expect(fs.existsSync(o.upper)).toBe(false);
});

/**
 * The tar module against GNU tar (both ways), and the content store: resumable, verified
 * ingests, and garbage collection from roots with leases.
 */
import { execFileSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PassThrough, Readable } from 'stream';
import { readTar, TarError, TarWriter, type TarHeader } from '../../supervisor/archive/tar';
import { decompress } from '../../supervisor/archive/compression';
import { ContentError, ContentStore } from '../../supervisor/content/store';
import { digestOf } from '../../supervisor/content/digest';

const dirs: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-store-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

async function entries(input: Readable): Promise<{ header: TarHeader; body: Buffer }[]> {
  const out = [];
  for await (const e of readTar(input)) {
    const chunks: Buffer[] = [];
    for await (const c of e.body) chunks.push(c as Buffer);
    out.push({ header: e.header, body: Buffer.concat(chunks) });
  }
  return out;
}

describe('tar reader', () => {
  const longDir = 'd'.repeat(120);
  let src: string;

  beforeAll(() => {
    src = tmp();
    fs.mkdirSync(path.join(src, longDir));
    fs.writeFileSync(path.join(src, longDir, 'file.txt'), 'long name body\n');
    fs.writeFileSync(path.join(src, 'exec'), Buffer.alloc(1000, 7), { mode: 0o4755 });
    fs.chownSync(path.join(src, 'exec'), 1234, 5678);
    fs.chmodSync(path.join(src, 'exec'), 0o4755);
    fs.utimesSync(path.join(src, 'exec'), 1_000_000, 1_000_000);
    fs.symlinkSync(`../${'t'.repeat(150)}`, path.join(src, 'longlink'));
    fs.linkSync(path.join(src, 'exec'), path.join(src, 'hard'));
    execFileSync('mkfifo', [path.join(src, 'fifo')]);
    execFileSync('python3', ['-c', 'import os,sys; os.setxattr(sys.argv[1], "user.tsrun", bytes([0, 255, 1]))', path.join(src, 'exec')]);
  });

  for (const format of ['gnu', 'posix'] as const) {
    test(`reads GNU tar's ${format} format: long names and links, modes, owners, mtimes, hardlinks, fifos`, async () => {
      const tar = execFileSync('tar', ['-C', src, `--format=${format}`, '--xattrs', '--xattrs-include=user.*', '--sort=name', '-cf', '-', '.'], { maxBuffer: 1 << 24 });
      const got = await entries(Readable.from([tar]));
      const by = new Map(got.map((e) => [e.header.path, e]));
      expect(by.get(`./${longDir}`)?.header.type).toBe('directory');
      expect(by.get(`./${longDir}/file.txt`)?.body.toString()).toBe('long name body\n');
      const exec = by.get('./exec')!;
      const hard = by.get('./hard')!;
      // GNU tar archives the first name of a hardlinked pair as the file, the other as the link.
      const [file, link] = exec.header.type === 'file' ? [exec, hard] : [hard, exec];
      expect(file.header).toMatchObject({ type: 'file', mode: 0o4755, uid: 1234, gid: 5678, size: 1000 });
      expect(Math.floor(file.header.mtime)).toBe(1_000_000);
      expect(file.body.equals(Buffer.alloc(1000, 7))).toBe(true);
      expect(link.header).toMatchObject({ type: 'hardlink', linkname: file.header.path, size: 0 });
      expect(by.get('./longlink')?.header).toMatchObject({ type: 'symlink', linkname: `../${'t'.repeat(150)}` });
      expect(by.get('./fifo')?.header.type).toBe('fifo');
      if (format === 'posix') expect(file.header.xattrs['user.tsrun']).toEqual(Buffer.from([0, 0xff, 1]));
    });
  }

  test('bodies can be skipped; a gzip-compressed archive reads through decompress()', async () => {
    const tar = execFileSync('tar', ['-C', src, '-czf', '-', '.'], { maxBuffer: 1 << 24 });
    const names: string[] = [];
    for await (const e of readTar(await decompress(Readable.from([tar]), 'test'))) names.push(e.header.path);
    expect(names).toContain('./exec');
    expect(names.length).toBeGreaterThan(5);
  });

  test('a truncated archive and a damaged header are errors naming the entry or offset', async () => {
    const tar = execFileSync('tar', ['-C', src, '-cf', '-', 'exec'], { maxBuffer: 1 << 24 });
    await expect(entries(Readable.from([tar.subarray(0, 700)]))).rejects.toThrow(/input ends inside the body of "exec"/);
    const bad = Buffer.from(tar);
    bad[10] ^= 0xff;
    await expect(entries(Readable.from([bad]))).rejects.toThrow(new TarError('tar: bad header checksum at byte 0'));
  });
});

describe('tar writer', () => {
  test('GNU tar extracts what it writes: long names, links, xattrs in pax; the reader reads it back', async () => {
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    const w = new TarWriter(out);
    const long = `${'x'.repeat(90)}/${'y'.repeat(90)}.txt`;
    await w.add({ path: 'x'.repeat(90), type: 'directory', mode: 0o750 });
    await w.add({ path: long, type: 'file', mode: 0o640, uid: 7, gid: 8, mtime: 12345 }, Buffer.from('hello'));
    await w.add({ path: 'stream', type: 'file', size: 3 }, Readable.from([Buffer.from('a'), Buffer.from('bc')]));
    await w.add({ path: 'ln', type: 'symlink', linkname: 'z'.repeat(200) });
    await w.add({ path: 'attr', type: 'file', xattrs: { 'user.k': Buffer.from('v') } }, Buffer.alloc(0));
    await w.finish();
    const tar = Buffer.concat(chunks);
    const dest = tmp();
    execFileSync('tar', ['-C', dest, '--no-same-owner', '-xf', '-'], { input: tar });
    expect(fs.readFileSync(path.join(dest, long), 'utf8')).toBe('hello');
    expect(fs.statSync(path.join(dest, long)).mode & 0o777).toBe(0o640);
    expect(fs.statSync(path.join(dest, long)).mtimeMs).toBe(12345_000);
    expect(fs.readlinkSync(path.join(dest, 'ln'))).toBe('z'.repeat(200));
    expect(fs.readFileSync(path.join(dest, 'stream'), 'utf8')).toBe('abc');
    const back = await entries(Readable.from([tar]));
    expect(back.map((e) => e.header.path)).toEqual(['x'.repeat(90), long, 'stream', 'ln', 'attr']);
    expect(back[1].header).toMatchObject({ uid: 7, gid: 8, mode: 0o640 });
    expect(back[4].header.xattrs['user.k']).toEqual(Buffer.from('v'));
  });

  test('mtimes an octal field cannot hold (before 1970, past 2242) go in pax: GNU tar and the reader get them back', async () => {
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    const w = new TarWriter(out);
    const mtimes = [-5, -86400 * 365 * 10, 0, 0o77777777777, 0o77777777777 + 1];
    for (const [i, mtime] of mtimes.entries()) await w.add({ path: `f${i}`, type: 'file', mtime }, Buffer.from('x'));
    await w.finish();
    const tar = Buffer.concat(chunks);
    expect((await entries(Readable.from([tar]))).map((e) => e.header.mtime)).toEqual(mtimes);
    const dest = tmp();
    execFileSync('tar', ['-C', dest, '--no-same-owner', '-xf', '-'], { input: tar });
    expect(mtimes.map((_, i) => fs.statSync(path.join(dest, `f${i}`)).mtimeMs / 1000)).toEqual(mtimes);
  });

  test('a body of the wrong length is refused', async () => {
    const w = new TarWriter(new PassThrough().resume());
    await expect(w.add({ path: 'f', type: 'file', size: 10 }, Buffer.from('short'))).rejects.toThrow(/is 5 bytes, its size says 10/);
  });
});

describe('content store', () => {
  const data = crypto.randomBytes(300_000);
  const digest = digestOf(data);

  test('an interrupted ingest resumes from its offset; the blob appears only when complete and verified', async () => {
    const store = new ContentStore(tmp());
    const broken = new Readable({ read() {} });
    broken.push(data.subarray(0, 100_000));
    setTimeout(() => broken.destroy(Object.assign(new Error('connection reset'), { code: 'ECONNRESET' })), 200);
    await expect(store.ingest('ref-1', { digest, size: data.length }, async () => ({ stream: broken, offset: 0 }))).rejects.toThrow(/connection reset/);
    expect(store.has(digest)).toBe(false);
    expect(store.ingests()).toEqual([{ ref: 'ref-1', offset: 100_000, expected: { digest, size: data.length } }]);
    const offsets: number[] = [];
    const info = await store.ingest('ref-1', { digest, size: data.length }, async (offset) => {
      offsets.push(offset);
      return { stream: Readable.from([data.subarray(offset)]), offset };
    });
    expect(offsets).toEqual([100_000]);
    expect(info).toEqual({ digest, size: data.length });
    expect(fs.readFileSync(store.path(digest)).equals(data)).toBe(true);
    expect(store.ingests()).toEqual([]);
  });

  test('wrong content: a digest mismatch or too many bytes; the ingest is removed', async () => {
    const store = new ContentStore(tmp());
    const wrong = Buffer.from(data);
    wrong[5] ^= 1;
    await expect(store.ingest('r', { digest, size: data.length }, async () => ({ stream: Readable.from([wrong]), offset: 0 }))).rejects.toThrow(
      new ContentError(`r: digest mismatch: content is ${digestOf(wrong)}, expected ${digest}`),
    );
    await expect(store.ingest('r', { digest, size: 10 }, async () => ({ stream: Readable.from([data]), offset: 0 }))).rejects.toThrow(/more than the expected 10 bytes/);
    expect(store.has(digest)).toBe(false);
    expect(store.ingests()).toEqual([]);
    expect(store.list()).toEqual([]);
  });

  test('gc keeps what roots reach and leases hold', async () => {
    const store = new ContentStore(tmp());
    const layer = await store.put('l', Buffer.from('layer'));
    const config = await store.put('c', Buffer.from('{}'));
    const manifest = Buffer.from(
      JSON.stringify({ schemaVersion: 2, config: { ...config, mediaType: 'application/vnd.oci.image.config.v1+json' }, layers: [{ ...layer, mediaType: 'application/vnd.oci.image.layer.v1.tar' }] }),
    );
    const m = await store.put('m', manifest);
    const orphan = await store.put('o', Buffer.from('orphan'));
    const held = await store.put('h', Buffer.from('held'));
    const lease = store.lease();
    lease.add(held.digest);
    expect(store.gc([{ ...m, mediaType: 'application/vnd.oci.image.manifest.v1+json' }])).toEqual([orphan.digest]);
    lease.release();
    expect(store.gc([])).toHaveLength(4);
    expect(store.list()).toEqual([]);
  });
});

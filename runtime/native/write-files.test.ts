/**
 * writeFiles (native/src/addon/write_files.cc): a batch of files made on a worker thread, each
 * exactly as asked (bytes, owner, mode with setuid after the chown, times to the nanosecond
 * Node's utimes would give), never through a symlink; what exists is reported, not touched; a
 * failure names its file; malformed input is a TypeError before anything is written.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { writeFiles, type FileToWrite } from './index';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-write-files-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const fileAt = (name: string, extra: Partial<FileToWrite> = {}): FileToWrite => ({
  path: path.join(dir, name),
  data: Buffer.from(name),
  mode: 0o644,
  uid: 0,
  gid: 0,
  atime: 1_000,
  mtime: 2_000,
  ...extra,
});

test('files come out with their bytes, owners, modes (setuid and setgid kept) and times', async () => {
  const big = crypto.randomBytes(3 << 20);
  const files = [
    fileAt('plain'),
    fileAt('big', { data: big, mode: 0o600, uid: 1234, gid: 5678 }),
    fileAt('empty', { data: Buffer.alloc(0), mode: 0o4755, uid: 65534, gid: 100 }),
    fileAt('sgid', { mode: 0o2711, uid: 7, gid: 8, atime: 1.5, mtime: 1_700_000_000.123456789 }),
    fileAt('sticky', { mode: 0o1777, mtime: 0.0000015 }),
  ];
  expect(await writeFiles(files)).toEqual([]);
  for (const f of files) {
    // Times first: reading the file would move its atime.
    const st = fs.lstatSync(f.path, { bigint: true });
    // The same times fs.utimes gives for the same numbers.
    const ref = `${f.path}.ref`;
    fs.writeFileSync(ref, '');
    fs.utimesSync(ref, f.atime, f.mtime);
    const want = fs.statSync(ref, { bigint: true });
    expect([st.atimeNs, st.mtimeNs]).toEqual([want.atimeNs, want.mtimeNs]);
    expect({ mode: Number(st.mode) & 0o7777, uid: Number(st.uid), gid: Number(st.gid) }).toEqual({ mode: f.mode, uid: f.uid, gid: f.gid });
    expect(fs.readFileSync(f.path).equals(f.data)).toBe(true);
  }
});

test('what exists (a file, a directory, a symlink) is reported by index and left as it was', async () => {
  fs.writeFileSync(path.join(dir, 'was-file'), 'old');
  fs.mkdirSync(path.join(dir, 'was-dir'));
  fs.writeFileSync(path.join(dir, 'target'), 'target');
  fs.symlinkSync('target', path.join(dir, 'was-link'));
  const files = [fileAt('new-1'), fileAt('was-file'), fileAt('was-dir'), fileAt('was-link'), fileAt('new-2'), fileAt('new-1')];
  expect(await writeFiles(files)).toEqual([1, 2, 3, 5]);
  expect(fs.readFileSync(path.join(dir, 'was-file'), 'utf8')).toBe('old');
  expect(fs.readFileSync(path.join(dir, 'target'), 'utf8')).toBe('target');
  expect(fs.lstatSync(path.join(dir, 'was-link')).isSymbolicLink()).toBe(true);
  expect(fs.readFileSync(path.join(dir, 'new-1'), 'utf8')).toBe('new-1');
  expect(fs.readFileSync(path.join(dir, 'new-2'), 'utf8')).toBe('new-2');
});

test('a failure names its file and its system call; the files after it are not written', async () => {
  const files = [fileAt('first'), fileAt('missing/child'), fileAt('after')];
  const err = await writeFiles(files).catch((e: NodeJS.ErrnoException & { index: number }) => e);
  expect(err).toMatchObject({ code: 'ENOENT', syscall: 'open', path: path.join(dir, 'missing/child'), index: 1 });
  expect(fs.existsSync(path.join(dir, 'first'))).toBe(true);
  expect(fs.existsSync(path.join(dir, 'after'))).toBe(false);
});

test('a batch of many files, in order', async () => {
  const files = Array.from({ length: 2000 }, (_, i) => fileAt(`f${i}`, { data: crypto.randomBytes(i % 4096) }));
  expect(await writeFiles(files)).toEqual([]);
  for (const f of files) expect(fs.readFileSync(f.path).equals(f.data)).toBe(true);
});

test.each([
  ['not an array', () => 'x', /argument 1 must be an array/],
  ['an item not an object', () => [1], /every file must be an object/],
  ['data not a Buffer', () => [{ ...fileAt('a'), data: 'text' }], /data a Buffer/],
  ['a mode with a file type', () => [fileAt('a', { mode: 0o100644 })], /mode must be a number from 0 to 4095, whole/],
  ['a fractional mode', () => [fileAt('a', { mode: 1.5 })], /mode must be/],
  ['uid -1 (fchown: unchanged)', () => [fileAt('a', { uid: -1 })], /uid must be/],
  ['gid 2^32-1 (fchown: unchanged)', () => [fileAt('a', { gid: 2 ** 32 - 1 })], /gid must be/],
  ['a time that is not a number', () => [fileAt('a', { mtime: NaN })], /mtime must be/],
  ['a time before 1970 (fs.utimes would set the present)', () => [fileAt('a', { atime: -1 })], /atime must be a number from 0/],
])('%s is a TypeError and writes nothing', (_, files, message) => {
  const input = files();
  expect(() => writeFiles(Array.isArray(input) ? [fileAt('before'), ...(input as FileToWrite[])] : (input as unknown as FileToWrite[]))).toThrow(message);
  expect(fs.readdirSync(dir)).toEqual([]);
});

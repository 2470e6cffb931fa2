/**
 * Docker's copy-up (supervisor/volumes/copy-up.ts): what an image has at a volume's destination,
 * copied from the unpacked layers' merged view: owners, modes, mtimes, xattrs, symlinks (as
 * links: one pointing out of the image is copied, never followed), hardlinks, whiteouts and
 * opaque directories as the container sees them; nothing made where the image has no directory.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Readable } from 'stream';
import { lgetxattr } from '../../runtime/native';
import { applyLayer } from '../../supervisor/snapshots/apply';
import { copyImageDirectory } from '../../supervisor/volumes/copy-up';
import { dir, file, hardlink, symlink, tarOf, type TestEntry } from './snapshots-helpers';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-copy-up-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const lowerEntries: TestEntry[] = [
  dir('data', { uid: 1234, gid: 2345, mode: 0o750, mtime: 1000 }),
  file('data/file', 'lower', { uid: 7, gid: 8, mode: 0o4640, mtime: 2000, xattrs: { 'user.tag': Buffer.from('kept') } }),
  hardlink('data/again', 'data/file'),
  file('data/gone', 'whited out above'),
  dir('data/sub', { mode: 0o700 }),
  file('data/sub/hidden', 'under an opaque directory'),
  symlink('data/abs', '/etc/shadow'),
  symlink('data/rel', '../../../../../etc'),
  { h: { path: 'data/fifo', type: 'fifo', mode: 0o600 } },
  symlink('link', 'data'),
  file('plain', 'not a directory'),
];
const upperEntries: TestEntry[] = [
  file('data/.wh.gone', ''),
  file('data/new', 'upper', { mode: 0o600 }),
  file('data/sub/.wh..wh..opq', ''),
  file('data/sub/only', 'the upper one'),
];

let layers: string[];
beforeAll(async () => {
  const lower = path.join(work, 'lower');
  const upper = path.join(work, 'upper');
  for (const d of [lower, upper]) fs.mkdirSync(d);
  await applyLayer(Readable.from([await tarOf(lowerEntries)]), lower, 'lower');
  await applyLayer(Readable.from([await tarOf(upperEntries)]), upper, 'upper', [lower]);
  layers = [upper, lower];
});

test('the merged directory is copied with owners, modes, times, xattrs, links and fifos; whiteouts and opaque directories hide as in the container', () => {
  const target = path.join(work, 'copy');
  expect(copyImageDirectory(layers, '/data', target)).toBe(true);
  expect(fs.readdirSync(target).sort()).toEqual(['abs', 'again', 'fifo', 'file', 'new', 'rel', 'sub']);
  const root = fs.lstatSync(target);
  // The top-most layer's directory is the one the container sees (its mtime, from the writes in
  // it); times are kept to a few microseconds (Node's utimes takes seconds as a double).
  const sameTime = (a: string, b: string) => expect(Math.abs(fs.lstatSync(a).mtimeMs - fs.lstatSync(b).mtimeMs)).toBeLessThan(0.01);
  expect([root.uid, root.gid, root.mode & 0o7777]).toEqual([1234, 2345, 0o750]);
  sameTime(target, path.join(layers[0], 'data'));
  sameTime(path.join(target, 'sub'), path.join(layers[0], 'data', 'sub'));
  const f = fs.lstatSync(path.join(target, 'file'));
  expect([f.uid, f.gid, f.mode & 0o7777, f.mtimeMs, f.nlink]).toEqual([7, 8, 0o4640, 2000_000, 2]);
  expect(fs.lstatSync(path.join(target, 'again')).ino).toBe(f.ino);
  expect(fs.readFileSync(path.join(target, 'file'), 'utf8')).toBe('lower');
  expect(lgetxattr(path.join(target, 'file'), 'user.tag').toString()).toBe('kept');
  expect(fs.readFileSync(path.join(target, 'new'), 'utf8')).toBe('upper');
  expect(fs.readdirSync(path.join(target, 'sub'))).toEqual(['only']);
  expect(fs.lstatSync(path.join(target, 'sub')).mode & 0o7777).toBe(0o700);
  expect(fs.readlinkSync(path.join(target, 'abs'))).toBe('/etc/shadow');
  expect(fs.readlinkSync(path.join(target, 'rel'))).toBe('../../../../../etc');
  expect(fs.lstatSync(path.join(target, 'fifo')).isFIFO()).toBe(true);
});

test('nothing is made where the image has no directory: absent, a file, or reached through a symlink', () => {
  for (const destination of ['/nowhere', '/plain', '/link', '/link/sub', '/data/gone']) {
    const target = path.join(work, `none-${path.basename(destination)}`);
    expect(copyImageDirectory(layers, destination, target)).toBe(false);
    expect(fs.existsSync(target)).toBe(false);
  }
});

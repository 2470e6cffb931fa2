/**
 * markTopDirectory (native/src/addon/fsops.cc): FS_TOPDIR_FL as `lsattr` shows it, on the file
 * system the snapshots live on here; false where the file system has no such flag; errors name
 * the call and the path. The snapshotter's tmp/ carries the flag.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { markTopDirectory } from './index';
import { OverlaySnapshotter } from '../../supervisor/snapshots/overlay';

let scratch: string;
beforeEach(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-topdir-'));
});
afterEach(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** The file system of os.tmpdir() has the flag (ext4 here); elsewhere the cases below say why they are skipped. */
const lsattrFlags = (p: string): string | null => {
  try {
    return execFileSync('lsattr', ['-d', p], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split(' ')[0];
  } catch {
    return null;
  }
};
const hasFlags = lsattrFlags(os.tmpdir()) !== null;
const onFlagged = hasFlags ? test : test.skip;
if (!hasFlags) console.warn(`skipped: ${os.tmpdir()} has no inode flags (lsattr fails), FS_TOPDIR_FL cannot be seen`);

onFlagged('sets the flag as chattr +T would, once, leaving the other flags', () => {
  const d = path.join(scratch, 'd');
  fs.mkdirSync(d);
  const before = lsattrFlags(d)!;
  expect(before).not.toContain('T');
  expect(markTopDirectory(d)).toBe(true);
  const after = lsattrFlags(d)!;
  expect(after).toContain('T');
  expect(after.replace('T', '-')).toBe(before);
  expect(markTopDirectory(d)).toBe(true);
  expect(lsattrFlags(d)).toBe(after);
});

onFlagged("the snapshotter's tmp/, where layers are unpacked, has it", () => {
  const snaps = new OverlaySnapshotter(scratch);
  expect(lsattrFlags(path.join(snaps.dir, 'tmp'))).toContain('T');
  expect(lsattrFlags(snaps.layersDir)).not.toContain('T');
});

test('false on a file system without inode flags (procfs)', () => {
  expect(markTopDirectory('/proc')).toBe(false);
});

test('a file, a symlink or a missing path is an error naming the call and the path', () => {
  fs.writeFileSync(path.join(scratch, 'f'), '');
  fs.mkdirSync(path.join(scratch, 'real'));
  fs.symlinkSync('real', path.join(scratch, 'link'));
  expect(() => markTopDirectory(path.join(scratch, 'f'))).toThrow(expect.objectContaining({ code: 'ENOTDIR', syscall: 'open', path: path.join(scratch, 'f') }));
  expect(() => markTopDirectory(path.join(scratch, 'link'))).toThrow(expect.objectContaining({ code: 'ENOTDIR', syscall: 'open' }));
  // Not followed: what the symlink points to keeps its flags.
  expect(lsattrFlags(path.join(scratch, 'real')) ?? '').not.toContain('T');
  expect(() => markTopDirectory(path.join(scratch, 'missing'))).toThrow(expect.objectContaining({ code: 'ENOENT' }));
});

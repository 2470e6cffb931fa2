/**
 * Docker's copy-up: what an image has at a volume's destination, copied from the unpacked layers'
 * merged view (snapshots/merged-view.ts, nothing mounted) into a fresh directory, with owners,
 * modes, mtimes, extended attributes, symlinks (as links, never followed), hardlinks, device
 * nodes and fifos kept. The view never passes through a symlink, so nothing outside the image's
 * layers is read; the target is a new directory only tsrund writes in.
 */
import * as fs from 'fs';
import * as path from 'path';
import { mknod } from '../../runtime/native';
import { copyMetadata } from '../snapshots/apply';
import { layeredDirectoryNames, layeredEntry } from '../snapshots/merged-view';

/**
 * Copy the directory `destination` (absolute, normalized) of the image whose layers are `layers`
 * (top-most first) to `target`, which must not exist. False when the image has no directory
 * there (a file, a symlink, nothing): then nothing is made.
 */
export function copyImageDirectory(layers: readonly string[], destination: string, target: string): boolean {
  const root = destination.split('/').filter((c) => c !== '');
  const top = layeredEntry(layers, root);
  if (top === null || !top.st.isDirectory()) return false;
  fs.mkdirSync(target, 0o700);
  const dirs: { from: string; to: string }[] = [{ from: top.path, to: target }];
  const links = new Map<string, string>();
  const stack: { parts: string[]; to: string }[] = [{ parts: root, to: target }];
  while (stack.length > 0) {
    const { parts, to } = stack.pop()!;
    for (const name of layeredDirectoryNames(layers, parts).sort()) {
      const entry = layeredEntry(layers, [...parts, name]);
      if (entry === null) continue;
      const dst = path.join(to, name);
      const { st } = entry;
      if (st.isDirectory()) {
        fs.mkdirSync(dst, 0o700);
        dirs.push({ from: entry.path, to: dst });
        stack.push({ parts: [...parts, name], to: dst });
        continue;
      }
      const inode = `${st.dev}:${st.ino}`;
      const first = st.nlink > 1 ? links.get(inode) : undefined;
      if (first !== undefined) {
        fs.linkSync(first, dst);
        continue;
      }
      if (st.isFile()) fs.copyFileSync(entry.path, dst, fs.constants.COPYFILE_EXCL);
      else if (st.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(entry.path), dst);
      else if (st.isCharacterDevice() || st.isBlockDevice() || st.isFIFO()) mknod(dst, st.mode, Math.floor(st.rdev / 256) & 0xfff, (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00));
      else continue; // a socket: nothing a copy can hold
      copyMetadata(entry.path, dst, !st.isSymbolicLink());
      if (st.nlink > 1) links.set(inode, dst);
    }
  }
  // Deepest first: setting a directory's times comes after everything written in it.
  for (const { from, to } of dirs.reverse()) copyMetadata(from, to, true);
  return true;
}

/**
 * docker cp's two directions as tar streams over a container's root (./root-view.ts): a path
 * inside the container as a tar whose top entry is its last component (a symlink there is an
 * entry of its own, not followed), and a tar unpacked into a directory inside the container
 * (each entry's name checked: relative, no "..", no NUL, never through a symlink, never over
 * something that exists but a directory it adds to).
 */
import * as fs from 'fs';
import type { Writable } from 'stream';
import { TarWriter, shownName, type TarEntry } from '../archive/tar';
import { deviceNumbers, fileChunks, tarEntryType } from '../archive/fs-entry';
import { entryParts } from '../archive/entry-name';
import { invalidArgument, TsrunError } from '../shared/errors';
import { shownPath, type RootView, type WritableRoot } from './root-view';

/** Write `parts` (resolved, its last component not followed) of `view` to `out` as a tar, then its end. */
export async function tarOfPath(view: RootView, parts: readonly string[], out: Writable): Promise<void> {
  const top = view.lstat(parts);
  if (!top) throw new TsrunError(`${shownPath(parts)}: no such file or directory in the container`, { code: 'not-found' });
  const tar = new TarWriter(out);
  const add = async (from: readonly string[], name: string, st: fs.Stats) => {
    const type = tarEntryType(st);
    if (!type) return;
    const h = {
      path: name,
      type,
      mode: st.mode & 0o7777,
      uid: st.uid,
      gid: st.gid,
      mtime: st.mtimeMs / 1000,
      ...deviceNumbers(st.rdev),
    };
    if (type === 'symlink') await tar.add({ ...h, linkname: view.readlink(from) });
    else if (type === 'file') await tar.add({ ...h, size: st.size }, fileChunks(view.openFile(from), st.size));
    else await tar.add(h);
    if (type !== 'directory') return;
    for (const child of view.readdir(from).sort()) {
      const st2 = view.lstat([...from, child]);
      if (st2) await add([...from, child], `${name}/${child}`, st2);
    }
  };
  await add(parts, parts.length === 0 ? '.' : parts[parts.length - 1], top);
  await tar.finish();
}

/** What unpacking into a container writes, at most: a bigger entry is refused before a byte of it is written. */
export interface UnpackLimits {
  maxEntryBytes: number;
}

/**
 * Unpack `entries` into the directory `dest` (resolved) of `root`; the number of entries.
 * Regular files, directories and symlinks only (what docker cp carries from a build context);
 * a hardlink, a device or a fifo is refused, as is an entry whose parent is not a directory it
 * made or found (a symlink there is never gone through).
 */
export async function unpackInto(
  root: WritableRoot,
  dest: readonly string[],
  entries: AsyncIterable<TarEntry>,
  limits: UnpackLimits,
): Promise<number> {
  const st = root.lstat(dest);
  if (!st?.isDirectory()) throw new TsrunError(`${shownPath(dest)}: not a directory in the container`, { code: 'failed-precondition' });
  let count = 0;
  for await (const { header: h, body } of entries) {
    const rel = entryParts(h.path);
    if (rel.length === 0) {
      body.resume();
      continue;
    }
    const target = [...dest, ...rel];
    const what = `entry ${shownName(h.path)}`;
    try {
      await unpackEntry(root, target, what, { header: h, body }, limits);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // ELOOP, ENOTDIR: a component on the way is a symlink or a file, which is not gone through.
      if (typeof code === 'string' && /^E[A-Z]+$/.test(code))
        throw invalidArgument('tar', `${what}: ${shownPath(target)}: ${code === 'ELOOP' || code === 'ENOTDIR' ? 'a symlink or a file on the way (not gone through)' : code}`);
      throw err;
    }
    body.resume();
    count++;
  }
  return count;
}

async function unpackEntry(
  root: WritableRoot,
  target: string[],
  what: string,
  { header: h, body }: TarEntry,
  limits: UnpackLimits,
): Promise<void> {
  const existing = root.lstat(target);
  if (h.type === 'directory') {
    if (existing && !existing.isDirectory()) throw invalidArgument('tar', `${what}: ${shownPath(target)} exists and is not a directory`);
    if (!existing) root.mkdir(target, h.mode & 0o7777);
    root.lchown(target, h.uid, h.gid);
  } else if (existing) {
    throw invalidArgument('tar', `${what}: ${shownPath(target)} exists (only directories are added to)`);
  } else if (h.type === 'symlink') {
    root.symlink(h.linkname, target);
    root.lchown(target, h.uid, h.gid);
  } else if (h.type === 'file') {
    if (h.size > limits.maxEntryBytes) throw invalidArgument('tar', `${what}: ${h.size} bytes; the limit is ${limits.maxEntryBytes}`);
    const fd = root.createFile(target, h.mode & 0o7777);
    try {
      for await (const chunk of body) fs.writeSync(fd, chunk as Buffer);
      fs.fchownSync(fd, h.uid, h.gid);
      fs.fchmodSync(fd, h.mode & 0o7777);
      fs.futimesSync(fd, h.mtime, h.mtime);
    } finally {
      fs.closeSync(fd);
    }
  } else {
    throw invalidArgument('tar', `${what}: a ${h.type} (only files, directories and symlinks are copied in)`);
  }
}

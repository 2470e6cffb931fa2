/**
 * Apply one image layer (a tar stream, already decompressed) to an empty directory, exactly and
 * safely:
 *
 * - exact: ownership, permission bits (setuid/setgid/sticky included, set after the chown that
 *   clears them), mtimes (of symlinks too; of directories once nothing more is written in them),
 *   extended attributes (pax SCHILY.xattr.*), hardlinks, symlinks, device nodes and fifos;
 * - overlay form: a whiteout `.wh.<name>` becomes a 0:0 character device `<name>`, an opaque
 *   marker `.wh..wh..opq` becomes `trusted.overlay.opaque=y` on its directory;
 * - safe: every path is resolved beneath the directory one component at a time with lstat, so a
 *   `..` component, an absolute path, a path through a symlink (a symlink followed by a write) or
 *   a hardlink to anything outside the layer and the layers beneath it (a target there is copied
 *   up into this layer) is refused with a LayerError naming the entry; so is a layer that would
 *   write more than its file system has free (a bomb), or a path longer than PATH_MAX. Only
 *   this process writes in the directory (a fresh 0700 temporary directory of the snapshotter),
 *   so nothing can swap a checked component for a symlink between the check and the use. The
 *   final component is never followed: files are created O_EXCL, owners and times set with
 *   lchown/lutimes, xattrs with lsetxattr.
 *
 * The caller unpacks into a temporary directory and removes it on failure (./overlay.ts).
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Readable } from 'stream';
import { pipeline } from 'stream/promises';
import { readTar, shownName, TarError, type TarHeader } from '../archive/tar';
import { lgetxattr, llistxattr, lsetxattr, mknod } from '../../runtime/native';
import { removeTree } from '../shared/remove-tree';
import { BatchedFileError, FileBatch, type BatchedFile } from './file-batch';
import { layeredEntry, OPAQUE_XATTR } from './merged-view';
import { TsrunError } from '../../common/errors';

export class LayerError extends TsrunError {
  constructor(message: string) {
    super(message, { code: 'failed-precondition' });
    this.name = 'LayerError';
  }
}

/** A layer's whiteout of `<name>` is an entry `.wh.<name>`; its opaque directory holds `.wh..wh..opq`. */
export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';
/** Only the whiteout conversion may set these: a layer's own would steer overlayfs. */
export const OVERLAY_XATTR_PREFIX = 'trusted.overlay.';
/** What an entry costs besides its body: an inode, a directory entry (a block, to be safe). */
const ENTRY_COST = 4096;
/** Linux's limit on a path handed to a system call, terminating NUL included. */
const PATH_MAX = 4096;
const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const S_IFIFO = 0o010000;
/**
 * Files up to this size are gathered from the tar stream and written with one synchronous
 * open-write-close: a write stream costs several thread-pool round trips per file, which made
 * unpacking a layer of many small files take about a millisecond a file.
 */
const SMALL_FILE = 1 << 20;

/**
 * The directories under the layer's root an entry already made or checked (real directories,
 * no symlink), so the next entry beneath them need not lstat every component again. Whatever
 * replaces a path goes through removeExisting, which forgets it and everything below it.
 */
type KnownDirectories = Set<string>;

/**
 * Unpack the tar `input` into `dir` (an existing empty directory). `what` names the layer in
 * errors; `lowers` are the unpacked layers beneath it (top-most first), where a hardlink may
 * point to.
 */
export async function applyLayer(input: AsyncIterable<Buffer | string>, dir: string, what: string, lowers: readonly string[] = []): Promise<void> {
  // By path, in the order of each directory's last entry: the last entry's times are the ones set.
  const dirTimes = new Map<string, { mtime: number; atime: number }>();
  const budget = { left: spaceBudget(dir) };
  const known: KnownDirectories = new Set();
  const batch = new FileBatch((file) => replaceFile(file, known));
  try {
    for await (const { header, body } of readTar(input)) {
      try {
        charge(budget, header);
        const target = await applyEntry(dir, lowers, known, batch, header, body);
        if (target !== null && header.type === 'directory') {
          dirTimes.delete(target);
          dirTimes.set(target, times(header));
        }
      } catch (err) {
        throw entryError(what, header.path, err, dir);
      }
    }
    await batch.drain();
  } catch (err) {
    await batch.settle();
    if (err instanceof TarError) throw new LayerError(`${what}: ${err.message}`);
    if (err instanceof BatchedFileError) throw entryError(what, err.entryPath, err.cause, dir);
    throw err;
  }
  // Deepest last-listed first, so that setting a directory's times does not touch its parent's;
  // only directories still there (a later entry may have replaced one, even by a symlink).
  for (const [p, { mtime, atime }] of [...dirTimes].reverse()) if (p === dir || known.has(p)) fs.lutimesSync(p, atime, mtime);
}

function entryError(what: string, entryPath: string, err: unknown, dir: string): unknown {
  if (err instanceof BatchedFileError) return entryError(what, err.entryPath, err.cause, dir);
  return new LayerError(`${what}: entry ${shownName(entryPath)}: ${reason(err, dir)}`);
}

/**
 * Bytes a layer may write: what its file system has free, less a reserve (5%, at most 256 MiB).
 * A layer that declares more (a gzip bomb, a huge pax size) is refused before it fills the disk.
 */
function spaceBudget(dir: string): number {
  const s = fs.statfsSync(dir);
  return Math.max(0, s.bavail * s.bsize - Math.min(Math.floor(s.blocks * s.bsize * 0.05), 256 << 20));
}

/** Take an entry's size (and a block for its inode and directory entry) from the budget, or refuse it. */
function charge(budget: { left: number }, h: TarHeader): void {
  const need = h.size + ENTRY_COST;
  if (need > budget.left) {
    throw refusal(
      `it needs ${need} bytes, more than the ${budget.left} the layer may still write (the free space of the snapshot file system, less a reserve); free space or use a smaller image`,
    );
  }
  budget.left -= need;
}

/** Apply one entry; returns the path it made (null for an opaque marker). */
async function applyEntry(
  dir: string,
  lowers: readonly string[],
  known: KnownDirectories,
  batch: FileBatch,
  h: TarHeader,
  body: Readable,
): Promise<string | null> {
  const parts = entryComponents(h.path);
  const parent = parts.length > 1 ? path.join(dir, ...parts.slice(0, -1)) : dir;
  const target = path.join(parent, parts[parts.length - 1] ?? '');
  if (batchable(h, parts, parent === dir || known.has(parent), known.has(target))) {
    checkPathLength(target);
    await batch.add({ header: h, path: target, data: await gather(body), mode: h.mode, uid: h.uid, gid: h.gid, ...times(h) });
    return target;
  }
  await batch.drain();
  if (parts.length === 0) {
    if (h.type !== 'directory') throw refusal(`the layer's root can only be a directory, not a ${h.type}`);
    setMetadata(dir, h);
    return dir;
  }
  checkPathLength(target);
  const base = parts[parts.length - 1];
  resolveDirectory(dir, lowers, parts.slice(0, -1), known);
  if (base === OPAQUE_MARKER) {
    lsetxattr(parent, OPAQUE_XATTR, Buffer.from('y'));
    return null;
  }
  if (base.startsWith(WHITEOUT_PREFIX)) {
    const name = base.slice(WHITEOUT_PREFIX.length);
    if (name === '' || name === '.' || name === '..' || name.startsWith(WHITEOUT_PREFIX)) {
      throw refusal(`${JSON.stringify(base)} is not a whiteout of a name`);
    }
    const whiteout = path.join(parent, name);
    await removeExisting(whiteout, false, known);
    mknod(whiteout, S_IFCHR, 0, 0);
    fs.lchownSync(whiteout, h.uid, h.gid);
    return whiteout;
  }
  await removeExisting(target, h.type === 'directory', known);
  switch (h.type) {
    case 'directory':
      if (lstatOrNull(target) === null) fs.mkdirSync(target, 0o700);
      known.add(target);
      break;
    case 'file':
      if (h.size <= SMALL_FILE) writeSmallFile(target, await gather(body));
      else await pipeline(body, fs.createWriteStream(target, { flags: 'wx', mode: 0o600 }));
      break;
    case 'symlink':
      fs.symlinkSync(h.linkname, target);
      break;
    case 'hardlink':
      // link(2) does not follow a symlink it links to, and the metadata is the target's.
      fs.linkSync(resolveLinkTarget(dir, lowers, known, h.linkname), target);
      return target;
    case 'char':
      mknod(target, S_IFCHR | h.mode, h.devmajor, h.devminor);
      break;
    case 'block':
      mknod(target, S_IFBLK | h.mode, h.devmajor, h.devminor);
      break;
    case 'fifo':
      mknod(target, S_IFIFO | h.mode, 0, 0);
      break;
  }
  setMetadata(target, h);
  return target;
}

/**
 * A small plain file (no xattrs, not a whiteout or opaque marker, times not before 1970, which
 * fs.lutimes would make the present) in a directory this layer made or checked already, where
 * none of its directories is: written in a batch. Anything else is applied once every file
 * before it is written.
 */
function batchable(h: TarHeader, parts: string[], parentKnown: boolean, targetIsKnownDirectory: boolean): boolean {
  const t = times(h);
  return (
    h.type === 'file' &&
    t.mtime >= 0 &&
    t.atime >= 0 &&
    h.size <= SMALL_FILE &&
    parts.length > 0 &&
    !parts[parts.length - 1].startsWith(WHITEOUT_PREFIX) &&
    Object.keys(h.xattrs).length === 0 &&
    parentKnown &&
    !targetIsKnownDirectory
  );
}

function checkPathLength(target: string): void {
  const full = Buffer.byteLength(target);
  if (full >= PATH_MAX) throw refusal(`its path is ${full} bytes long beneath the snapshot directory; the limit is ${PATH_MAX - 1}`);
}

/** A batched file whose path exists when its batch runs: replaced as its entry says, on this thread. */
async function replaceFile(file: BatchedFile, known: KnownDirectories): Promise<void> {
  await removeExisting(file.path, false, known);
  writeSmallFile(file.path, file.data);
  setMetadata(file.path, file.header);
}

/** An entry the layer may not hold (escapes, overlay internals): the message says why. */
const refusal = (why: string): TsrunError => new TsrunError(why, { code: 'invalid-argument' });

/**
 * The path's components beneath the layer root. "./" prefixes and empty or "." components are
 * dropped; an absolute path or a ".." component is refused.
 */
export function entryComponents(p: string): string[] {
  if (p.startsWith('/')) throw refusal('absolute paths are refused (the entry would be written outside the snapshot)');
  const parts = p.split('/').filter((c) => c !== '' && c !== '.');
  if (parts.includes('..')) throw refusal('".." components are refused (the entry would be written outside the snapshot)');
  return parts;
}

/**
 * The directory `parts` names beneath `dir`, creating missing components: with the metadata of
 * the lower layers' directory there (an overlay shows the upper one's owner and mode), else 0755
 * (the layer's own entry for them may come later). A component that is a symlink or not a
 * directory is refused.
 */
function resolveDirectory(dir: string, lowers: readonly string[], parts: string[], known: KnownDirectories): string {
  let at = dir;
  for (const [i, part] of parts.entries()) {
    at = path.join(at, part);
    if (known.has(at)) continue;
    const st = lstatOrNull(at);
    const shown = parts.slice(0, i + 1).join('/');
    if (st === null) {
      fs.mkdirSync(at, 0o755);
      const below = layeredEntry(lowers, parts.slice(0, i + 1));
      if (below?.st.isDirectory()) copyMetadata(below.path, at, true);
    } else if (st.isSymbolicLink()) throw refusal(`its parent ${shownName(shown)} is a symlink: writing through it is refused`);
    else if (!st.isDirectory()) throw refusal(`its parent ${shownName(shown)} is not a directory`);
    known.add(at);
  }
  return at;
}

/**
 * The file a hardlink names, in this layer: the merged view of this layer over `lowers` (what
 * containerd links to, applying a layer on a mounted overlay). A target in a lower layer is
 * copied up to its own path in this layer first (as overlayfs would on link(2)), with its owner,
 * mode, xattrs and times; so are the parent directories this layer lacks. Never a path through a
 * symlink, a whiteout, a directory or anything outside the layers.
 */
function resolveLinkTarget(dir: string, lowers: readonly string[], known: KnownDirectories, linkname: string): string {
  let parts: string[];
  try {
    parts = entryComponents(linkname);
  } catch (err) {
    throw refusal(`hardlink target ${shownName(linkname)}: ${(err as Error).message}`);
  }
  const shown = shownName(linkname);
  if (parts.length === 0) throw refusal(`hardlink target ${shown} is the layer's root`);
  const layers = [dir, ...lowers];
  const found = layeredEntry(layers, parts);
  if (found === null) {
    for (let i = 1; i < parts.length; i++) {
      if (layeredEntry(layers, parts.slice(0, i))?.st.isSymbolicLink()) throw refusal(`hardlink target ${shown} passes through a symlink`);
    }
    throw refusal(`hardlink target ${shown} is not in this layer or the layers beneath it`);
  }
  if (found.st.isDirectory()) throw refusal(`hardlink target ${shown} is a directory`);
  if (found.path.startsWith(`${dir}/`)) return found.path;
  if (!found.st.isFile() && !found.st.isSymbolicLink()) throw refusal(`hardlink target ${shown} in a lower layer is a ${found.st.isFIFO() ? 'fifo' : 'device'}: only files and symlinks are copied up`);
  return copyUp(dir, lowers, known, parts, found.path, found.st);
}

function copyUp(dir: string, lowers: readonly string[], known: KnownDirectories, parts: string[], source: string, st: fs.Stats): string {
  const copy = path.join(resolveDirectory(dir, lowers, parts.slice(0, -1), known), parts[parts.length - 1]);
  if (st.isFile()) fs.copyFileSync(source, copy, fs.constants.COPYFILE_EXCL);
  else fs.symlinkSync(fs.readlinkSync(source), copy);
  copyMetadata(source, copy, !st.isSymbolicLink());
  return copy;
}

/** Owner, mode (after the chown that clears setuid), extended attributes and times of `from`, onto `to`. */
export function copyMetadata(from: string, to: string, hasMode: boolean): void {
  const st = fs.lstatSync(from);
  fs.lchownSync(to, st.uid, st.gid);
  if (hasMode) fs.chmodSync(to, st.mode & 0o7777);
  for (const name of llistxattr(from)) if (!name.startsWith(OVERLAY_XATTR_PREFIX)) lsetxattr(to, name, lgetxattr(from, name));
  // Seconds as numbers keep the sub-millisecond part a Date would drop.
  fs.lutimesSync(to, st.atimeMs / 1000, st.mtimeMs / 1000);
}

/** Make room for the entry: what is there goes, unless both are directories (the entry then updates it). */
async function removeExisting(target: string, entryIsDirectory: boolean, known: KnownDirectories): Promise<void> {
  const st = lstatOrNull(target);
  if (st === null || (entryIsDirectory && st.isDirectory())) return;
  if (st.isDirectory()) forgetTree(known, target);
  // An earlier entry of the layer may have made an arbitrarily deep tree there.
  await removeTree(target);
}

function forgetTree(known: KnownDirectories, top: string): void {
  known.delete(top);
  const below = `${top}/`;
  for (const p of known) if (p.startsWith(below)) known.delete(p);
}

/** A new file (never through a symlink), private until setMetadata gives it its owner and mode. */
function writeSmallFile(target: string, data: Buffer): void {
  fs.writeFileSync(target, data, { flag: 'wx', mode: 0o600 });
}

/** A small file's body, whole. */
async function gather(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function setMetadata(target: string, h: TarHeader): void {
  fs.lchownSync(target, h.uid, h.gid);
  // After the chown, which clears setuid/setgid; symlinks have no mode of their own.
  if (h.type !== 'symlink') fs.chmodSync(target, h.mode);
  for (const [name, value] of Object.entries(h.xattrs)) {
    if (name.startsWith(OVERLAY_XATTR_PREFIX)) throw refusal(`the extended attribute ${name} is overlayfs's own and is refused`);
    lsetxattr(target, name, value);
  }
  if (h.type !== 'directory') {
    const t = times(h);
    fs.lutimesSync(target, t.atime, t.mtime);
  }
}

/** pax atime when the archive has one, else the mtime. */
function times(h: TarHeader): { atime: number; mtime: number } {
  const atime = Number(h.pax.atime);
  return { mtime: h.mtime, atime: Number.isFinite(atime) && atime >= 0 ? atime : h.mtime };
}

function lstatOrNull(p: string): fs.Stats | null {
  try {
    return fs.lstatSync(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** The refusal's own words, or a system error as "ENOSPC (write)": never the temporary path. */
function reason(err: unknown, dir: string): string {
  if (err instanceof TsrunError) return err.message;
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOSPC' || e.code === 'EDQUOT') return `the disk is full (${e.code}); free space on the file system of tsrund's --root and retry`;
  if (e.code && e.syscall) return `${e.code} (${e.syscall}${e.path ? ` ${path.relative(dir, e.path) || '.'}` : ''})`;
  return e.message ?? String(err);
}

/**
 * A container's files as tsrund reaches them from the host without ever leaving the container's
 * root: a path is looked up a component at a time, a symlink on the way resolved inside the root
 * (an absolute target from the root, ".." stopping at it, as the kernel's RESOLVE_IN_ROOT), never
 * by the host's path walk.
 *
 * - a running task's root (/proc/<pid>/root, its mounts included): every component is opened
 *   with O_NOFOLLOW from the directory before it (through /proc/self/fd/N/<name>, which starts the
 *   lookup at that open directory), so a process in the container swapping a directory for a
 *   symlink meanwhile makes the lookup fail, never lead out;
 * - a stopped container's layers (its writable layer over the image's, or a bundle's rootfs):
 *   their merged view (../snapshots/merged-view.ts), which nothing in the container changes;
 *   written (UpperLayerRoot) as overlayfs writes through that view, the overlay not mounted.
 */
import * as fs from 'fs';
import * as path from 'path';
import { copyMetadata } from '../snapshots/apply';
import { layeredDirectoryNames, layeredEntry, OPAQUE_XATTR } from '../snapshots/merged-view';
import { lsetxattr } from '../../runtime/native';
import { invalidArgument, TsrunError } from '../shared/errors';

/** As Linux's MAXSYMLINKS. */
const MAX_SYMLINKS = 40;
const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW, O_WRONLY, O_CREAT, O_EXCL } = fs.constants;

/** What a copy needs of a container's files; `parts`: a path's components from the root. */
export interface RootView {
  lstat(parts: readonly string[]): fs.Stats | null;
  readdir(parts: readonly string[]): string[];
  readlink(parts: readonly string[]): string;
  /** A file opened for reading (never through a symlink). */
  openFile(parts: readonly string[]): number;
  close(): void;
}

/** What unpacking into a container does to its files (`parts`: resolved, none a symlink but perhaps the last). */
export interface WritableRoot extends Pick<RootView, 'lstat' | 'readlink' | 'close'> {
  mkdir(parts: readonly string[], mode: number): void;
  lchown(parts: readonly string[], uid: number, gid: number): void;
  symlink(target: string, parts: readonly string[]): void;
  /** Create the file `parts` (it must not exist: nothing is written through what is there). */
  createFile(parts: readonly string[], mode: number): number;
}

/** A directory's components, checked: no NUL, absolute; "." and ".." kept for resolve(). */
export function pathParts(field: string, p: string): string[] {
  if (p.includes('\0')) throw invalidArgument(field, 'contains a NUL character');
  if (!p.startsWith('/')) throw invalidArgument(field, `${JSON.stringify(p.slice(0, 200))} is not an absolute path`);
  if (Buffer.byteLength(p) > 4096) throw invalidArgument(field, `is ${Buffer.byteLength(p)} bytes long; the limit is 4096`);
  return p.split('/').filter((c) => c !== '' && c !== '.');
}

/**
 * `parts` with every symlink resolved inside the root (the last component's too when
 * `followLast`), ".." taken lexically and never above the root. Too many links: ELOOP's message.
 */
export function resolveInRoot(
  view: Pick<RootView, 'lstat' | 'readlink'>,
  parts: readonly string[],
  followLast: boolean,
  shown: string,
): string[] {
  const done: string[] = [];
  const todo = [...parts];
  let links = 0;
  while (todo.length > 0) {
    const c = todo.shift()!;
    if (c === '..') {
      done.pop();
      continue;
    }
    const here = [...done, c];
    const st = view.lstat(here);
    if (st?.isSymbolicLink() && (todo.length > 0 || followLast)) {
      if (++links > MAX_SYMLINKS)
        throw new TsrunError(`${shown}: too many levels of symbolic links`, {
          code: 'invalid-argument',
        });
      const target = view.readlink(here);
      if (target.startsWith('/')) done.length = 0;
      todo.unshift(...target.split('/').filter((x) => x !== '' && x !== '.'));
      continue;
    }
    done.push(c);
  }
  return done;
}

/** A stopped container's layers, top-most first (one for a bundle's rootfs). */
export function layersView(layers: readonly string[]): RootView {
  const at = (parts: readonly string[]) =>
    parts.length === 0 ? { path: layers[0], st: fs.lstatSync(layers[0]) } : layeredEntry(layers, parts);
  const found = (parts: readonly string[]) => {
    const e = at(parts);
    if (!e)
      throw new TsrunError(`/${parts.join('/')}: no such file or directory`, {
        code: 'not-found',
      });
    return e.path;
  };
  return {
    lstat: (parts) => at(parts)?.st ?? null,
    readdir: (parts) => layeredDirectoryNames(layers, parts).filter((name) => layeredEntry(layers, [...parts, name]) !== null),
    readlink: (parts) => fs.readlinkSync(found(parts)),
    openFile: (parts) => fs.openSync(found(parts), O_RDONLY | O_NOFOLLOW),
    close: () => undefined,
  };
}

/** A directory tree reached a component at a time from an open directory (see the head comment). */
export class DirectoryRoot implements RootView, WritableRoot {
  private readonly rootFd: number;

  constructor(root: string) {
    this.rootFd = fs.openSync(root, O_RDONLY | O_DIRECTORY);
  }

  /** The directory `parts` opened (each component with O_NOFOLLOW); close it. */
  openDir(parts: readonly string[]): number {
    let fd = fs.openSync(`/proc/self/fd/${this.rootFd}`, O_RDONLY | O_DIRECTORY);
    for (const name of parts) {
      try {
        const next = fs.openSync(`/proc/self/fd/${fd}/${name}`, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
        fs.closeSync(fd);
        fd = next;
      } catch (err) {
        fs.closeSync(fd);
        throw err;
      }
    }
    return fd;
  }

  /** `fn` on the path of `parts`'s last component in its open parent directory. */
  inParent<T>(parts: readonly string[], fn: (p: string) => T): T {
    const dir = this.openDir(parts.slice(0, -1));
    try {
      return fn(parts.length === 0 ? `/proc/self/fd/${dir}` : `/proc/self/fd/${dir}/${parts[parts.length - 1]}`);
    } finally {
      fs.closeSync(dir);
    }
  }

  lstat(parts: readonly string[]): fs.Stats | null {
    try {
      return this.inParent(parts, (p) => (parts.length === 0 ? fs.statSync(p) : fs.lstatSync(p)));
    } catch (err) {
      if (['ENOENT', 'ENOTDIR', 'ELOOP'].includes((err as NodeJS.ErrnoException).code ?? '')) return null;
      throw err;
    }
  }

  readdir(parts: readonly string[]): string[] {
    const fd = this.openDir(parts);
    try {
      return fs.readdirSync(`/proc/self/fd/${fd}`);
    } finally {
      fs.closeSync(fd);
    }
  }

  readlink(parts: readonly string[]): string {
    return this.inParent(parts, (p) => fs.readlinkSync(p));
  }

  openFile(parts: readonly string[]): number {
    return this.inParent(parts, (p) => fs.openSync(p, O_RDONLY | O_NOFOLLOW));
  }

  createFile(parts: readonly string[], mode: number): number {
    return this.inParent(parts, (p) => fs.openSync(p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode));
  }

  mkdir(parts: readonly string[], mode: number): void {
    this.inParent(parts, (p) => fs.mkdirSync(p, { mode }));
  }

  lchown(parts: readonly string[], uid: number, gid: number): void {
    this.inParent(parts, (p) => fs.lchownSync(p, uid, gid));
  }

  symlink(target: string, parts: readonly string[]): void {
    this.inParent(parts, (p) => fs.symlinkSync(target, p));
  }

  close(): void {
    fs.closeSync(this.rootFd);
  }
}

/** An errno-shaped error, as the kernel's walk of a live root would give (unpackInto words them). */
const errnoError = (code: string, parts: readonly string[]) => Object.assign(new Error(`${code}: ${shownPath(parts)}`), { code });

/**
 * A stopped image container's writable layer (`upper`, over `lowers`, top-most first), written as
 * overlayfs writes through its merged view while it is not mounted (overlayfs allows changes to
 * its upper directory then): a lower layer's directory is copied up (owner, mode, attributes,
 * times) before anything is made in it, a whiteout gives way to what takes its name, and a
 * directory made where one was deleted is opaque. Read through the merged view; written through a
 * DirectoryRoot of the upper directory, so no symlink there is ever followed.
 */
export class UpperLayerRoot implements WritableRoot {
  private readonly upper: DirectoryRoot;
  private readonly layers: readonly string[];
  private readonly merged: RootView;

  constructor(upper: string, lowers: readonly string[]) {
    this.layers = [upper, ...lowers];
    this.merged = layersView(this.layers);
    this.upper = new DirectoryRoot(upper);
  }

  lstat(parts: readonly string[]): fs.Stats | null {
    return this.merged.lstat(parts);
  }

  readlink(parts: readonly string[]): string {
    return this.merged.readlink(parts);
  }

  /** Each of `parts` a directory of the upper layer: copied up from the layer that has it. */
  private copyUp(parts: readonly string[]): void {
    for (let i = 1; i <= parts.length; i++) {
      const at = parts.slice(0, i);
      if (this.upper.lstat(at)?.isDirectory()) continue;
      const found = layeredEntry(this.layers, at);
      if (!found) throw errnoError('ENOENT', at);
      // A symlink or a file on the way (in the upper layer or beneath it) is not gone through.
      if (!found.st.isDirectory()) throw errnoError('ENOTDIR', at);
      const parent = at.slice(0, -1);
      const before = this.upper.lstat(parent)!;
      this.upper.inParent(at, (p) => {
        fs.mkdirSync(p, { mode: 0o700 });
        copyMetadata(found.path, p, true);
      });
      // As overlayfs restores them: a copy-up leaves its parent's times as they were.
      this.upper.inParent(parent, (p) => fs.utimesSync(p, before.atimeMs / 1000, before.mtimeMs / 1000));
    }
  }

  /** Remove a whiteout at `parts` (what is made there takes its name); whether there was one. */
  private clearWhiteout(parts: readonly string[]): boolean {
    const st = this.upper.lstat(parts);
    if (!st?.isCharacterDevice() || st.rdev !== 0) return false;
    this.upper.inParent(parts, (p) => fs.unlinkSync(p));
    return true;
  }

  /** Ready to make `parts`: its parent copied up, a whiteout at it removed; whether there was one. */
  private makeRoom(parts: readonly string[]): boolean {
    this.copyUp(parts.slice(0, -1));
    return this.clearWhiteout(parts);
  }

  mkdir(parts: readonly string[], mode: number): void {
    const deleted = this.makeRoom(parts);
    this.upper.mkdir(parts, mode);
    // What the lower layers had at this name stays deleted.
    if (deleted) this.upper.inParent(parts, (p) => lsetxattr(p, OPAQUE_XATTR, Buffer.from('y')));
  }

  lchown(parts: readonly string[], uid: number, gid: number): void {
    if (!this.upper.lstat(parts)) this.copyUp(parts);
    this.upper.lchown(parts, uid, gid);
  }

  symlink(target: string, parts: readonly string[]): void {
    this.makeRoom(parts);
    this.upper.symlink(target, parts);
  }

  createFile(parts: readonly string[], mode: number): number {
    this.makeRoom(parts);
    return this.upper.createFile(parts, mode);
  }

  close(): void {
    this.upper.close();
  }
}

/** For messages: the container path of `parts`. */
export const shownPath = (parts: readonly string[]): string => path.posix.join('/', ...parts);

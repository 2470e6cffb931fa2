/**
 * A directory's changes as an image layer (what `commit` makes of a container's writable layer):
 * an overlay upper directory read over the layers beneath it (../snapshots/changes.ts walks it)
 * and written as a tar the way image layers carry changes:
 *
 * - a whiteout (0:0 character device `<name>`) becomes an empty file `.wh.<name>`; an opaque
 *   directory (trusted.overlay.opaque=y) its entry, then `<dir>/.wh..wh..opq` right after it;
 *   overlayfs's own attributes (trusted.overlay.*) are never written;
 * - owners, permission bits (setuid/setgid/sticky), mtimes (seconds), xattrs (security.capability,
 *   user.*, ...), symlinks, device nodes and fifos as they are; a file met twice (same inode) is a
 *   hardlink to where it was first written; sockets are left out (tar has no type for them);
 * - entries sorted bytewise by path (a directory before what it holds), no user or group names,
 *   gzip at a fixed level without a name or time: the same tree gives the same bytes (and with
 *   `mtime` set, the same tree at another time too).
 *
 * Streamed: files are read in chunks into the tar, compressed and hashed on the way into the
 * content store; only the list of entries (their lstat) is held. On failure nothing is left in the
 * store (the ingest is removed; the caller releases its lease).
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Transform } from 'stream';
import { TarWriter, type TarWriteHeader } from '../archive/tar';
import { compress } from '../archive/compression';
import { deviceNumbers, fileChunks, tarEntryType } from '../archive/fs-entry';
import type { ContentStore, Lease } from '../content/store';
import type { Descriptor } from '../content/descriptor';
import { walkUpper } from '../snapshots/changes';
import { OPAQUE_MARKER, OVERLAY_XATTR_PREFIX, WHITEOUT_PREFIX } from '../snapshots/apply';
import { llistxattr, lgetxattr } from '../../runtime/native';

export interface LayerWriteOptions {
  compression: 'gzip' | 'zstd' | 'none';
  /** Every entry's mtime set to this (seconds since the epoch) for reproducible layers; undefined keeps each file's own. */
  mtime?: number;
  /**
   * Where the container had mounts (relative: "etc/hosts"): an empty file or directory there that
   * the layers beneath lack is the target the runtime made for the mount, not a change (docker's
   * init layer keeps these out of its commits too).
   */
  mountTargets?: readonly string[];
}

export interface WrittenLayer {
  /** OCI layer media type (+gzip/+zstd), digest and size of the blob. */
  descriptor: Descriptor;
  /** sha256 of the uncompressed tar (the config's rootfs.diff_ids entry). */
  diffId: string;
}

const MEDIA_TYPE = { none: 'application/vnd.oci.image.layer.v1.tar', gzip: 'application/vnd.oci.image.layer.v1.tar+gzip', zstd: 'application/vnd.oci.image.layer.v1.tar+zstd' };

/** One tar entry to write: `from` is the upper directory's entry it comes from. */
interface Item {
  name: string;
  key: Buffer;
  from: string;
  st: fs.Stats;
  whiteout: boolean;
  opaque: boolean;
}

/** The changes of `upper` over `lowers` (top-most first) as a layer blob in the content store, kept by `lease`. */
export async function writeLayer(upper: string, lowers: readonly string[], content: ContentStore, lease: Lease, o: LayerWriteOptions): Promise<WrittenLayer> {
  const items = layerItems(upper, lowers, new Set(o.mountTargets ?? []));
  const tarHash = crypto.createHash('sha256');
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      tarHash.update(chunk);
      done(null, chunk);
    },
  });
  const writing = content.writeStream(`layer ${crypto.randomUUID()} of ${upper}`, compress(tap, o.compression, `the layer of ${upper}`), lease);
  // A store that fails stops reading: the tar writer waiting for it must fail too, and the
  // store's error is the one to report.
  let storeError: Error | null = null;
  writing.catch((err: Error) => {
    storeError = err;
    tap.destroy(err);
  });
  try {
    const tar = new TarWriter(tap);
    const written = new Map<string, string>();
    for (const item of items) await addItem(tar, item, written, o.mtime);
    await tar.finish();
    tap.end();
  } catch (err) {
    tap.destroy(err as Error);
    await writing.catch(() => undefined);
    throw storeError ?? err;
  }
  const blob = await writing;
  return { descriptor: { mediaType: MEDIA_TYPE[o.compression], digest: blob.digest, size: blob.size }, diffId: `sha256:${tarHash.digest('hex')}` };
}

/** The entries of the layer, sorted bytewise by name (an opaque marker goes right after its directory). */
function layerItems(upper: string, lowers: readonly string[], mountTargets: ReadonlySet<string>): Item[] {
  const items: Item[] = [];
  const item = (parts: readonly string[], name: string, whiteout: boolean): Item => {
    const from = path.join(upper, ...parts);
    return { name, key: Buffer.from(name), from, st: fs.lstatSync(from), whiteout, opaque: false };
  };
  const byName = new Map<string, Item>();
  /** Directories the layers beneath have too (overlayfs copied them up). */
  const belowDirs = new Set<string>();
  /** The directories skipped mount targets were in. */
  const targetParents = new Set<string>();
  walkUpper(upper, lowers, {
    entry: (parts, st, below) => {
      const name = parts.join('/');
      if (!below && mountTargets.has(name) && isEmpty(path.join(upper, ...parts), st)) {
        if (parts.length > 1) targetParents.add(parts.slice(0, -1).join('/'));
        return;
      }
      const it = item(parts, name, false);
      items.push(it);
      byName.set(name, it);
      if (below && st.isDirectory()) belowDirs.add(name);
    },
    whiteout: (parts) => items.push(item(parts, [...parts.slice(0, -1), WHITEOUT_PREFIX + parts[parts.length - 1]].join('/'), true)),
    opaque: (parts) => {
      byName.get(parts.join('/'))!.opaque = true;
    },
  });
  return withoutMountParents(items, byName, belowDirs, targetParents).sort((a, b) => Buffer.compare(a.key, b.key));
}

/**
 * Without the directories in the upper directory only because a mount target was made in them
 * (overlayfs copied them up to hold it): one the layers beneath have, not opaque, that held a
 * skipped target and holds nothing of the layer; then its parent the same way.
 */
function withoutMountParents(items: Item[], byName: Map<string, Item>, belowDirs: Set<string>, targetParents: Set<string>): Item[] {
  const dropped = new Set<string>();
  const pending = [...targetParents];
  while (pending.length > 0) {
    const dir = pending.pop()!;
    if (dropped.has(dir) || !belowDirs.has(dir) || byName.get(dir)?.opaque) continue;
    if (items.some((i) => !dropped.has(i.name) && i.name.startsWith(`${dir}/`))) continue;
    dropped.add(dir);
    if (dir.includes('/')) pending.push(dir.slice(0, dir.lastIndexOf('/')));
  }
  return dropped.size === 0 ? items : items.filter((i) => !dropped.has(i.name));
}

async function addItem(tar: TarWriter, item: Item, written: Map<string, string>, mtime: number | undefined): Promise<void> {
  const { st } = item;
  const time = mtime ?? st.mtimeMs / 1000;
  if (item.whiteout) {
    await tar.add({ path: item.name, type: 'file', mode: 0, size: 0, mtime: time });
    return;
  }
  const type = tarEntryType(st);
  if (!type) return;
  const h: TarWriteHeader = { path: item.name, type, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: time, xattrs: xattrsOf(item.from) };
  const inode = `${st.dev}:${st.ino}`;
  const first = type !== 'directory' && st.nlink > 1 ? written.get(inode) : undefined;
  if (first !== undefined) await tar.add({ ...h, type: 'hardlink', linkname: first });
  else if (type === 'file') await tar.add({ ...h, size: st.size }, fileChunks(fs.openSync(item.from, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW), st.size));
  else if (type === 'symlink') await tar.add({ ...h, linkname: fs.readlinkSync(item.from) });
  else if (type === 'char' || type === 'block') await tar.add({ ...h, ...deviceNumbers(st.rdev) });
  else await tar.add(h);
  if (type !== 'directory' && st.nlink > 1 && first === undefined) written.set(inode, item.name);
  if (item.opaque) await tar.add({ path: `${item.name}/${OPAQUE_MARKER}`, type: 'file', mode: 0, size: 0, mtime: time });
}

const isEmpty = (p: string, st: fs.Stats) => (st.isFile() && st.size === 0) || (st.isDirectory() && fs.readdirSync(p).length === 0);

/** The entry's extended attributes but overlayfs's own, sorted by name. */
function xattrsOf(p: string): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const name of llistxattr(p).sort()) if (!name.startsWith(OVERLAY_XATTR_PREFIX)) out[name] = lgetxattr(p, name);
  return out;
}

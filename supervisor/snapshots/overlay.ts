/**
 * The overlayfs snapshotter, under <root>/snapshots:
 *
 *   layers/<chain id hex>   one unpacked layer, read-only from then on, shared by every image
 *                           whose layer stack leads to that chain id (OCI image-spec: the chain
 *                           id of layer n is sha256 of "<chain id of n-1> <diff id of n>")
 *   active/<key>/{upper,work,snapshot.json}
 *                           a container's writable layer and the chain ids beneath it
 *   tmp/                    layers being unpacked: renamed into layers/ when complete (atomic;
 *                           a layer directory is never seen half written), removed on failure
 *
 * Layers are kept while an image or a container needs them: gcSnapshots(keep) removes every
 * other one. The overlay itself is mounted by the container's init inside its own mount
 * namespace (runtime/plan/rootfs.ts, from prepare()'s RootfsOverlay), never here.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { performance } from 'perf_hooks';
import type { Readable } from 'stream';
import { decompress } from '../archive/compression';
import { digestHex } from '../content/digest';
import { makePrivateDir, readJsonFile, writeFileAtomic } from '../shared/atomic-file';
import { KeyedLock } from '../shared/keyed-lock';
import type { RootfsOverlay } from '../../runtime/plan/types';
import { removeTree } from '../shared/remove-tree';
import { applyLayer, LayerError } from './apply';
import { laps, traceSpan } from '../shared/trace';
import { markTopDirectory } from '../../runtime/native';

/** One layer of an image: its blob (compressed or not) and the digest of its uncompressed tar. */
export interface LayerSource {
  /** The blob's digest, for messages. */
  digest: string;
  diffId: string;
  open(): Readable;
}

interface ActiveRecord {
  /** Bottom-most first. */
  chainIds: string[];
}

/** Chain ids of a layer stack (bottom-most first), as the OCI image spec defines them. */
export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  for (const diffId of diffIds) {
    digestHex(diffId);
    const prev = out[out.length - 1];
    out.push(prev === undefined ? diffId : `sha256:${crypto.createHash('sha256').update(`${prev} ${diffId}`).digest('hex')}`);
  }
  return out;
}

export class OverlaySnapshotter {
  readonly dir: string;
  readonly layersDir: string;
  private readonly activeDir: string;
  private readonly tmpDir: string;
  private readonly unpacking = new KeyedLock();
  /** Chain ids an unpack in progress has made or relies on: a collection keeps them. */
  private readonly inUse = new Map<string, number>();
  /** Trees under tmp/ being removed in the background. */
  private readonly removals = new Set<Promise<void>>();
  /** Told when a background removal fails (the tree stays in tmp/ for the next start-up). */
  onRemoveError: (tree: string, err: Error) => void = () => undefined;

  constructor(root: string) {
    this.dir = path.join(root, 'snapshots');
    this.layersDir = path.join(this.dir, 'layers');
    this.activeDir = path.join(this.dir, 'active');
    this.tmpDir = path.join(this.dir, 'tmp');
    for (const d of [this.dir, this.layersDir, this.activeDir, this.tmpDir]) makePrivateDir(d);
    // FS_TOPDIR_FL: ext4 spreads the unpack directories made here over its block groups, as it
    // does top-level ones, instead of putting each beside the last. Without a journal ext4 does
    // not reuse an inode freed in the last minutes and checks each such one it passes: an unpack
    // of 4000 files right after a removal of as many spent 1.1 s of system time in that walk.
    markTopDirectory(this.tmpDir);
  }

  /**
   * Remove in the background what a stopped tsrund left in tmp/ (unfinished unpacks, removals it
   * did not finish); called at start-up, before any unpack. Returns the names.
   */
  removeLeftovers(): string[] {
    const names = fs.readdirSync(this.tmpDir);
    for (const name of names) this.removeInBackground(path.join(this.tmpDir, name));
    return names;
  }

  /** Resolves once every background removal started so far has ended (succeeded or failed). */
  async removalsSettled(): Promise<void> {
    while (this.removals.size > 0) await Promise.all(this.removals);
  }

  /**
   * Remove a tree under tmp/ without blocking the caller: its trees can be arbitrarily deep (a
   * container or a layer made them). A failure is reported and the tree stays for the next start.
   */
  private removeInBackground(tree: string): void {
    const done: Promise<void> = removeTree(tree)
      .catch((err: Error) => this.onRemoveError(tree, err))
      .finally(() => this.removals.delete(done));
    this.removals.add(done);
  }

  /** Move `p` into tmp/ (one rename: it is gone from where it was at once) and remove it from there. */
  private discard(p: string, name: string): void {
    const doomed = path.join(this.tmpDir, `${name}-${crypto.randomBytes(6).toString('hex')}`);
    try {
      fs.renameSync(p, doomed);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    this.removeInBackground(doomed);
  }

  layerPath(chainId: string): string {
    return path.join(this.layersDir, digestHex(chainId));
  }

  has(chainId: string): boolean {
    return fs.existsSync(this.layerPath(chainId));
  }

  /** Every unpacked layer's chain id. */
  list(): string[] {
    return fs.readdirSync(this.layersDir).map((hex) => `sha256:${hex}`);
  }

  /**
   * Unpack the layers (bottom-most first) that are not unpacked yet; returns the stack's chain
   * ids. A layer whose uncompressed content does not hash to its diff id is refused.
   */
  async unpack(layers: readonly LayerSource[]): Promise<string[]> {
    const ids = chainIds(layers.map((l) => l.diffId));
    ids.forEach((id) => this.inUse.set(id, (this.inUse.get(id) ?? 0) + 1));
    try {
      for (const [i, layer] of layers.entries()) {
        await this.unpacking.run(ids[i], () => (this.has(ids[i]) ? undefined : this.unpackOne(layer, ids[i], ids.slice(0, i))));
      }
    } finally {
      ids.forEach((id) => {
        const n = this.inUse.get(id)! - 1;
        if (n === 0) this.inUse.delete(id);
        else this.inUse.set(id, n);
      });
    }
    return ids;
  }

  /** Unpack one layer over the unpacked `beneath` (chain ids, bottom-most first). */
  private async unpackOne(layer: LayerSource, chainId: string, beneath: string[]): Promise<void> {
    const what = `layer ${layer.digest}`;
    const trace = laps(layer.digest);
    const tmp = fs.mkdtempSync(path.join(this.tmpDir, 'unpack-'));
    try {
      const fsDir = path.join(tmp, 'fs');
      fs.mkdirSync(fsDir, 0o755);
      const hash = crypto.createHash('sha256');
      const tar = (await decompress(layer.open(), what))[Symbol.asyncIterator]();
      // The tar reader stops at the end-of-archive blocks; what follows still counts for the diff id.
      let readingMs = 0;
      const next = async () => {
        const t0 = performance.now();
        const r = await tar.next();
        if (!r.done) hash.update(r.value as Buffer);
        readingMs += performance.now() - t0;
        return r;
      };
      const feed = async function* () {
        for (let r = await next(); !r.done; r = await next()) yield r.value as Buffer;
      };
      await applyLayer(feed(), fsDir, what, beneath.map((id) => this.layerPath(id)).reverse());
      for (let r = await next(); !r.done; r = await next());
      const got = `sha256:${hash.digest('hex')}`;
      if (got !== layer.diffId) throw new LayerError(`${what}: its uncompressed content is ${got}, the image's diff id says ${layer.diffId}`);
      trace.lap('unpack: read, decompress, hash (wait for the tar stream) + untar (files, metadata)');
      traceSpan('unpack: of which waiting for read + decompress + diff-id hash', layer.digest, readingMs);
      fs.renameSync(fsDir, this.layerPath(chainId));
      trace.lap('unpack: commit (rename into layers/)');
    } catch (err) {
      if (err instanceof LayerError) throw err;
      throw new LayerError(`${what}: ${(err as Error).message}`);
    } finally {
      this.removeInBackground(tmp);
    }
  }

  /**
   * A container's writable layer over the stack ending at `chainIds` (bottom-most first, all
   * unpacked): what the plan mounts as its root.
   */
  prepare(key: string, ids: readonly string[]): RootfsOverlay {
    for (const id of ids) if (!this.has(id)) throw new Error(`snapshot ${id} is not unpacked`);
    const dir = path.join(this.activeDir, key);
    fs.mkdirSync(dir, { mode: 0o700 });
    try {
      fs.mkdirSync(path.join(dir, 'upper'), { mode: 0o755 });
      fs.mkdirSync(path.join(dir, 'work'), { mode: 0o700 });
      writeFileAtomic(path.join(dir, 'snapshot.json'), JSON.stringify({ chainIds: [...ids] } satisfies ActiveRecord));
    } catch (err) {
      fs.rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    return this.mountOf(key)!;
  }

  /** The overlay of an active snapshot; null when `key` has none. */
  mountOf(key: string): RootfsOverlay | null {
    const dir = path.join(this.activeDir, key);
    const record = readJsonFile<ActiveRecord>(path.join(dir, 'snapshot.json'));
    if (!record) return null;
    return {
      layersDir: this.layersDir,
      lower: record.chainIds.map(digestHex).reverse(),
      upper: path.join(dir, 'upper'),
      work: path.join(dir, 'work'),
    };
  }

  /** The keys of every active snapshot. */
  activeKeys(): string[] {
    return fs.readdirSync(this.activeDir);
  }

  /** Move a writable layer to another key (one rename: it is under one key or the other). */
  rename(from: string, to: string): void {
    const target = path.join(this.activeDir, to);
    // rename(2) would replace an empty directory: a leftover under `to` must not be taken over silently.
    if (fs.existsSync(target)) throw new Error(`snapshot ${to} exists already`);
    fs.renameSync(path.join(this.activeDir, from), target);
  }

  /** Remove a container's writable layer (its lower layers stay for gcSnapshots to judge). */
  remove(key: string): void {
    this.discard(path.join(this.activeDir, key), 'removed');
  }

  /**
   * Remove every unpacked layer that is neither in `keep` (the chain ids of the images still
   * stored) nor under an active snapshot nor used by an unpack in progress. Returns the removed
   * chain ids. Image removal calls this with the chain ids of the images that remain.
   */
  gcSnapshots(keep: Iterable<string>): string[] {
    const kept = new Set<string>([...keep, ...this.inUse.keys()]);
    for (const key of fs.readdirSync(this.activeDir)) {
      const record = readJsonFile<ActiveRecord>(path.join(this.activeDir, key, 'snapshot.json'));
      record?.chainIds.forEach((id) => kept.add(id));
    }
    const removed = this.list().filter((id) => !kept.has(id));
    // Renamed away first, so that a layer is either whole in layers/ or gone.
    for (const id of removed) this.discard(this.layerPath(id), 'gc');
    return removed;
  }
}

/**
 * Content-addressable blob store under <root>/content, laid out as an OCI image layout
 * (`oci-layout`, `blobs/sha256/<hex>`), so the blobs can be read by any OCI tool.
 *
 * Writes go through ingests: `<content>/ingest/<sha256 of the ref>/{data,ref,expected}`. An
 * ingest is written in order, can be resumed from its current size after an interruption, and
 * becomes a blob only when its size and sha256 match what was expected: then it is fsynced and
 * renamed into blobs/ (same file system, atomic). A blob path therefore only ever holds complete,
 * verified content; a mismatch removes the ingest. A full disk (ENOSPC, EDQUOT) removes it too,
 * and every other ingest no write is using: resuming is worth nothing while the disk is full, and
 * a kept partial blob would make every later write fail as well.
 *
 * Garbage collection keeps what the given roots reach (index → manifests → config and layers)
 * plus what a live lease holds (blobs a pull or an import is still assembling).
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Readable } from 'stream';
import { pipeline } from 'stream/promises';
import { children, type Descriptor } from './descriptor';
import { digestHex, parseDigest } from './digest';
import { KeyedLock } from '../shared/keyed-lock';
import { notFound } from '../shared/errors';
import { makePrivateDir } from '../shared/atomic-file';
import { hasErrno, TsrunError } from '../../common/errors';
import { traced } from '../shared/trace';

export interface BlobInfo {
  digest: string;
  size: number;
}

export class ContentError extends TsrunError {
  constructor(message: string) {
    super(message, { code: 'failed-precondition' });
    this.name = 'ContentError';
  }
}

/** The store's file system is full: what could not be written, and where. */
export class DiskFullError extends TsrunError {
  constructor(
    readonly digest: string,
    readonly dir: string,
    errno: string,
  ) {
    super(`the disk is full (${errno}): cannot store blob ${digest} in ${dir}; free space on that file system and retry`, { code: 'resource-exhausted', subject: digest });
    this.name = 'DiskFullError';
  }
}

const isDiskFull = (err: unknown) => ['ENOSPC', 'EDQUOT'].includes((err as NodeJS.ErrnoException).code ?? '');

/** A set of digests a running operation needs kept through a garbage collection. */
export interface Lease {
  add(digest: string): void;
  release(): void;
}

/** Manifests and indexes are read whole to walk them; this bounds what that may allocate. */
const MAX_JSON_BLOB = 4 << 20;
/** A blob's reads: big enough that a layer's inflate and hash are not paced by 64 KiB thread-pool reads. */
const READ_CHUNK = 256 << 10;

export class ContentStore {
  readonly dir: string;
  private readonly blobsDir: string;
  private readonly ingestDir: string;
  private readonly ingestLock = new KeyedLock();
  private readonly leases = new Set<Set<string>>();
  /** Ingest directories a write is using now. */
  private readonly writing = new Set<string>();

  constructor(root: string) {
    this.dir = path.join(root, 'content');
    this.blobsDir = path.join(this.dir, 'blobs', 'sha256');
    this.ingestDir = path.join(this.dir, 'ingest');
    for (const d of [this.dir, path.dirname(this.blobsDir), this.blobsDir, this.ingestDir]) makePrivateDir(d);
    const layout = path.join(this.dir, 'oci-layout');
    if (!fs.existsSync(layout)) fs.writeFileSync(layout, JSON.stringify({ imageLayoutVersion: '1.0.0' }), { mode: 0o600 });
  }

  path(digest: string): string {
    return path.join(this.blobsDir, digestHex(digest));
  }

  has(digest: string): boolean {
    return fs.existsSync(this.path(digest));
  }

  info(digest: string): BlobInfo {
    try {
      return { digest, size: fs.statSync(this.path(digest)).size };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(`blob ${digest}`);
      throw err;
    }
  }

  readStream(digest: string): Readable {
    this.info(digest);
    return fs.createReadStream(this.path(digest), { highWaterMark: READ_CHUNK });
  }

  /** A JSON blob (manifest, index, config) parsed; refused above 4 MiB. */
  readJson<T>(digest: string): T {
    const { size } = this.info(digest);
    if (size > MAX_JSON_BLOB) throw new ContentError(`blob ${digest} is ${size} bytes, too large for a manifest or config`);
    return JSON.parse(fs.readFileSync(this.path(digest), 'utf8')) as T;
  }

  list(): BlobInfo[] {
    return fs
      .readdirSync(this.blobsDir)
      .filter((hex) => /^[a-f0-9]{64}$/.test(hex))
      .map((hex) => ({ digest: `sha256:${hex}`, size: fs.statSync(path.join(this.blobsDir, hex)).size }));
  }

  delete(digest: string): void {
    this.info(digest);
    fs.rmSync(this.path(digest), { force: true });
  }

  /** Refs of ingests left in the store (interrupted writes that can be resumed). */
  ingests(): { ref: string; offset: number; expected: BlobInfo }[] {
    const out = [];
    for (const key of fs.readdirSync(this.ingestDir)) {
      const dir = path.join(this.ingestDir, key);
      try {
        const ref = fs.readFileSync(path.join(dir, 'ref'), 'utf8');
        const expected = JSON.parse(fs.readFileSync(path.join(dir, 'expected'), 'utf8')) as BlobInfo;
        out.push({ ref, expected, offset: fs.statSync(path.join(dir, 'data')).size });
      } catch (err) {
        // An ingest interrupted while its files were written: nothing of it to resume.
        if (hasErrno(err, 'ENOENT') || err instanceof SyntaxError) continue;
        throw err;
      }
    }
    return out;
  }

  /**
   * Write a blob whose digest and size are known in advance. `open(offset)` returns the bytes from
   * `offset` on (a resumed ingest starts where the last one stopped) or, when it cannot resume,
   * `{ stream, offset: 0 }` to start over. Verified, then renamed into place. Concurrent writes
   * of the same ref run one after the other (the second finds the blob there).
   */
  ingest(
    ref: string,
    expected: BlobInfo,
    open: (offset: number) => Promise<{ stream: Readable; offset: number }>,
    onBytes: (offset: number) => void = () => undefined,
  ): Promise<BlobInfo> {
    parseDigest(expected.digest);
    return this.ingestLock.run(ref, async () => {
      if (this.has(expected.digest)) return this.info(expected.digest);
      const dir = this.ingestPath(ref);
      this.writing.add(dir);
      try {
        return await this.write(ref, dir, expected, open, onBytes);
      } catch (err) {
        if (!isDiskFull(err)) throw err;
        fs.rmSync(dir, { recursive: true, force: true });
        this.dropIdleIngests();
        throw new DiskFullError(expected.digest, this.dir, (err as NodeJS.ErrnoException).code!);
      } finally {
        this.writing.delete(dir);
      }
    });
  }

  private async write(
    ref: string,
    dir: string,
    expected: BlobInfo,
    open: (offset: number) => Promise<{ stream: Readable; offset: number }>,
    onBytes: (offset: number) => void,
  ): Promise<BlobInfo> {
    const data = path.join(dir, 'data');
    let offset = this.resumableOffset(dir, expected);
    if (offset === 0) {
      fs.rmSync(dir, { recursive: true, force: true });
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      fs.writeFileSync(path.join(dir, 'ref'), ref, { mode: 0o600 });
      fs.writeFileSync(path.join(dir, 'expected'), JSON.stringify(expected), { mode: 0o600 });
      fs.writeFileSync(data, '', { mode: 0o600 });
    }
    const source = await open(offset);
    if (source.offset !== offset) {
      fs.truncateSync(data, 0);
      offset = 0;
    }
    const hash = crypto.createHash('sha256');
    if (offset > 0) for await (const chunk of fs.createReadStream(data)) hash.update(chunk as Buffer);
    let written = offset;
    const counter = async function* (chunks: AsyncIterable<Buffer>) {
      for await (const chunk of chunks) {
        written += chunk.length;
        if (written > expected.size) throw new ContentError(`${ref}: more than the expected ${expected.size} bytes`);
        hash.update(chunk);
        onBytes(written);
        yield chunk;
      }
    };
    try {
      await pipeline(source.stream, counter, fs.createWriteStream(data, { flags: 'a' }));
    } catch (err) {
      // Too many bytes is wrong content, not an interruption: nothing of it is worth resuming.
      if (err instanceof ContentError) this.abort(ref);
      throw err;
    }
    return traced('blob commit: verify, fsync, rename, fsync dir', ref, () => this.commit(ref, dir, expected, written, `sha256:${hash.digest('hex')}`));
  }

  /**
   * Write a blob whose digest is known only once it is written (a layer being made): hashed as it
   * streams into an ingest, then fsynced and renamed into place, held by `lease` from before it is
   * visible to a collection. On failure the ingest is removed (a stream cannot be resumed) and the
   * source destroyed, read or not.
   */
  writeStream(ref: string, source: Readable, lease: Lease): Promise<BlobInfo> {
    return this.ingestLock.run(ref, async () => {
      const dir = this.ingestPath(ref);
      const data = path.join(dir, 'data');
      this.writing.add(dir);
      try {
        fs.rmSync(dir, { recursive: true, force: true });
        fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
        fs.writeFileSync(path.join(dir, 'ref'), ref, { mode: 0o600 });
        const hash = crypto.createHash('sha256');
        let size = 0;
        const counter = async function* (chunks: AsyncIterable<Buffer>) {
          for await (const chunk of chunks) {
            size += chunk.length;
            hash.update(chunk);
            yield chunk;
          }
        };
        // Opened now: a write stream's own later open could make the file again after a failure removed the ingest.
        await pipeline(source, counter, fs.createWriteStream(data, { fd: fs.openSync(data, 'w', 0o600) }));
        const info = { digest: `sha256:${hash.digest('hex')}`, size };
        lease.add(info.digest);
        return traced('blob commit: fsync, rename, fsync dir', ref, () => this.commit(ref, dir, info, size, info.digest));
      } catch (err) {
        source.destroy();
        fs.rmSync(dir, { recursive: true, force: true });
        if (!isDiskFull(err)) throw err;
        this.dropIdleIngests();
        throw new DiskFullError(ref, this.dir, (err as NodeJS.ErrnoException).code!);
      } finally {
        this.writing.delete(dir);
      }
    });
  }

  /** Write a blob held in memory (manifests, configs, index.json of an import). */
  async put(ref: string, content: Buffer, digest = `sha256:${crypto.createHash('sha256').update(content).digest('hex')}`): Promise<BlobInfo> {
    return this.ingest(ref, { digest, size: content.length }, async () => ({ stream: Readable.from([content]), offset: 0 }));
  }

  abort(ref: string): void {
    fs.rmSync(this.ingestPath(ref), { recursive: true, force: true });
  }

  /** Remove the ingests no write is using (interrupted ones kept to resume). */
  private dropIdleIngests(): void {
    for (const key of fs.readdirSync(this.ingestDir)) {
      const dir = path.join(this.ingestDir, key);
      if (!this.writing.has(dir)) fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  lease(): Lease {
    const held = new Set<string>();
    this.leases.add(held);
    return { add: (d) => held.add(d), release: () => this.leases.delete(held) };
  }

  /**
   * Remove every blob that no root reaches and no lease holds; returns the removed digests. A
   * root or child that is missing is skipped (an image whose blobs went missing stays listed); one
   * that is there but cannot be read fails the collection before anything is removed, as what it
   * refers to is unknown.
   */
  gc(roots: Descriptor[]): string[] {
    const keep = new Set<string>();
    for (const held of this.leases) for (const d of held) keep.add(d);
    const seen = new Set<string>();
    const stack = [...roots];
    while (stack.length > 0) {
      const d = stack.pop()!;
      if (seen.has(d.digest)) continue;
      seen.add(d.digest);
      keep.add(d.digest);
      if (!this.has(d.digest)) continue;
      try {
        stack.push(...children(d, (digest) => this.readJson(digest)));
      } catch (err) {
        throw new TsrunError(`garbage collection: cannot read ${d.digest}, which an image refers to (${(err as Error).message}); no blob was removed`, {
          code: 'internal',
          subject: d.digest,
          cause: err,
        });
      }
    }
    const removed: string[] = [];
    for (const blob of this.list()) {
      if (keep.has(blob.digest)) continue;
      fs.rmSync(this.path(blob.digest), { force: true });
      removed.push(blob.digest);
    }
    return removed;
  }

  private ingestPath(ref: string): string {
    return path.join(this.ingestDir, crypto.createHash('sha256').update(ref).digest('hex'));
  }

  /** Bytes already in an ingest for the same content (0: start afresh). */
  private resumableOffset(dir: string, expected: BlobInfo): number {
    try {
      const prev = JSON.parse(fs.readFileSync(path.join(dir, 'expected'), 'utf8')) as BlobInfo;
      if (prev.digest !== expected.digest || prev.size !== expected.size) return 0;
      const size = fs.statSync(path.join(dir, 'data')).size;
      return size <= expected.size ? size : 0;
    } catch (err) {
      // No ingest yet, or one interrupted while its files were written: start afresh.
      if (hasErrno(err, 'ENOENT') || err instanceof SyntaxError) return 0;
      throw err;
    }
  }

  private commit(ref: string, dir: string, expected: BlobInfo, size: number, digest: string): BlobInfo {
    const data = path.join(dir, 'data');
    if (size !== expected.size || digest !== expected.digest) {
      fs.rmSync(dir, { recursive: true, force: true });
      if (size !== expected.size) throw new ContentError(`${ref}: got ${size} bytes, expected ${expected.size} (truncated or wrong content)`);
      throw new ContentError(`${ref}: digest mismatch: content is ${digest}, expected ${expected.digest}`);
    }
    const fd = fs.openSync(data, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(data, this.path(digest));
    syncDir(this.blobsDir);
    fs.rmSync(dir, { recursive: true, force: true });
    return { digest, size };
  }
}

function syncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

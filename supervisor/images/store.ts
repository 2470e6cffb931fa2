/**
 * Image records: a name ("docker.io/library/busybox:latest") → the descriptor it resolved to
 * (an index or a manifest in the content store), with labels and times. One file a record,
 * `<root>/images/<sha256 of the name>.json`, written temp file + fsync + rename + fsync of the
 * directory; kept in memory too.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type { Descriptor } from '../content/descriptor';
import { makePrivateDir, readJsonFile, writeFileAtomic } from '../shared/atomic-file';
import { notFound } from '../shared/errors';

export interface ImageRecord {
  name: string;
  target: Descriptor;
  labels: Record<string, string>;
  /** RFC 3339. */
  createdAt: string;
  updatedAt: string;
}

export class ImageStore {
  private readonly records = new Map<string, ImageRecord>();
  private readonly dir: string;

  constructor(root: string) {
    this.dir = path.join(root, 'images');
    makePrivateDir(this.dir);
    for (const file of fs.readdirSync(this.dir)) {
      if (!/^[a-f0-9]{64}\.json$/.test(file)) continue;
      const record = readJsonFile<ImageRecord>(path.join(this.dir, file));
      if (record && this.fileOf(record.name) === path.join(this.dir, file)) this.records.set(record.name, record);
    }
  }

  get(name: string): ImageRecord {
    const r = this.records.get(name);
    if (!r) throw notFound(`image ${name}`);
    return r;
  }

  has(name: string): boolean {
    return this.records.has(name);
  }

  list(): ImageRecord[] {
    return [...this.records.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Create or repoint `name`; a repointed record keeps its creation time. */
  put(name: string, target: Descriptor, labels: Record<string, string> = {}): ImageRecord {
    const now = new Date().toISOString();
    const prev = this.records.get(name);
    const record: ImageRecord = { name, target, labels: { ...(prev?.labels ?? {}), ...labels }, createdAt: prev?.createdAt ?? now, updatedAt: now };
    writeFileAtomic(this.fileOf(name), JSON.stringify(record));
    this.records.set(name, record);
    return record;
  }

  delete(name: string): ImageRecord {
    const r = this.get(name);
    fs.rmSync(this.fileOf(name), { force: true });
    this.records.delete(name);
    return r;
  }

  private fileOf(name: string): string {
    return path.join(this.dir, `${crypto.createHash('sha256').update(name).digest('hex')}.json`);
  }
}

/**
 * The build cache, under <root>/build-cache: one file per step key (written atomically) holding
 * what the step made: its layer (none for a metadata step) and the image config after it. A
 * step's key is a digest over everything its result depends on (./step-key.ts says what); a
 * rebuild whose step has the same key takes the entry instead of running the step. The blobs
 * the entries name are kept through the content store's garbage collection (keptContent); prune()
 * drops the entries (the blobs go at the next collection).
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Descriptor } from '../content/descriptor';
import { digestHex } from '../content/digest';
import { makePrivateDir, readJsonFile, writeFileAtomic } from '../shared/atomic-file';

export interface CachedLayer {
  descriptor: Descriptor;
  diffId: string;
}

export interface CacheEntry {
  /** The layer the step added; null for a step that changed the config only. */
  layer: CachedLayer | null;
  /** The image config (the whole config file) after the step. */
  config: object;
}

export class BuildCache {
  readonly dir: string;

  constructor(root: string) {
    this.dir = path.join(root, 'build-cache');
    makePrivateDir(this.dir);
  }

  private file(key: string): string {
    return path.join(this.dir, `${digestHex(key)}.json`);
  }

  /** The entry of `key`, or null (also for an entry that does not read back: it is ignored). */
  get(key: string): CacheEntry | null {
    return readEntry(this.file(key));
  }

  put(key: string, entry: CacheEntry): void {
    writeFileAtomic(this.file(key), JSON.stringify(entry));
  }

  /** The layers every entry names: what the content store's collection must keep. */
  keptContent(): Descriptor[] {
    const out: Descriptor[] = [];
    for (const name of fs.readdirSync(this.dir)) {
      if (!name.endsWith('.json')) continue;
      const layer = readEntry(path.join(this.dir, name))?.layer;
      if (layer) out.push(layer.descriptor);
    }
    return out;
  }

  /** Drop every entry; returns how many there were. */
  prune(): number {
    const names = fs.readdirSync(this.dir);
    for (const name of names) fs.rmSync(path.join(this.dir, name), { force: true });
    return names.length;
  }
}

function readEntry(file: string): CacheEntry | null {
  try {
    const e = readJsonFile<CacheEntry>(file);
    return e && typeof e.config === 'object' && e.config !== null && (e.layer === null || typeof e.layer?.descriptor?.digest === 'string') ? e : null;
  } catch {
    return null;
  }
}

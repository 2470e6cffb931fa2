/**
 * Volumes under <root>/volumes/<name>/: volume.json (name, labels, created_at, anonymous; written
 * atomically) and _data, the directory containers mount. Kept in memory too; the files are what a
 * restarted tsrund reads back. A volume's directory is renamed away before its tree is removed,
 * so it vanishes at once (a create that comes after finds the name free) and a removal that did
 * not finish is picked up at the next start. Which containers use a volume is not kept here: the
 * container records say it (./usage.ts).
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as fsp from 'fs/promises';
import * as path from 'path';
import { makePrivateDir, readJsonFile, writeFileAtomic } from '../shared/atomic-file';
import { notFound, TsrunError } from '../shared/errors';
import { removeTree } from '../shared/remove-tree';
import { checkVolumeName } from './names';

export interface VolumeRecord {
  name: string;
  labels: Record<string, string>;
  /** RFC 3339. */
  createdAt: string;
  /** Made without a name: `rm -v` of its container and a prune remove it. */
  anonymous: boolean;
}

const RECORD = 'volume.json';
const DATA = '_data';
/** Prefix of the trees being removed (no volume name starts with '.'). */
const REMOVING = '.removing-';
/** Prefix of a copy being made beside _data (./container-volumes.ts fills volumes so). */
const FILLING = '_fill-';

export class VolumeStore {
  readonly dir: string;
  private readonly records = new Map<string, VolumeRecord>();

  /** Told when removing a tree fails (it stays, and the next start tries again). */
  onRemoveError: (tree: string, err: Error) => void = () => undefined;

  constructor(root: string) {
    this.dir = path.join(root, 'volumes');
  }

  /**
   * Read the volumes back; remove (in the background) what removals, creates and fills that did
   * not finish left: a directory without its record, a copy beside _data. Returns the names of the
   * volumes whose create did not finish, for the log.
   */
  load(): string[] {
    makePrivateDir(this.dir);
    const dropped: string[] = [];
    for (const name of fs.readdirSync(this.dir)) {
      const record = name.startsWith('.') ? null : readJsonFile<VolumeRecord>(path.join(this.dir, name, RECORD));
      if (record && record.name === name) {
        this.records.set(name, record);
        for (const entry of fs.readdirSync(path.join(this.dir, name)).filter((e) => e.startsWith(FILLING))) {
          void this.removeInBackground(path.join(this.dir, name, entry));
        }
        continue;
      }
      if (!name.startsWith(REMOVING)) dropped.push(name);
      void this.removeInBackground(path.join(this.dir, name));
    }
    return dropped;
  }

  /** A new volume with an empty _data (root's, 0755, as docker makes it). */
  create(record: VolumeRecord): VolumeRecord {
    checkVolumeName('name', record.name);
    const dir = path.join(this.dir, record.name);
    if (this.records.has(record.name)) throw exists(record.name);
    try {
      fs.mkdirSync(dir, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw exists(record.name);
      throw err;
    }
    try {
      fs.mkdirSync(path.join(dir, DATA), { mode: 0o755 });
      fs.chmodSync(path.join(dir, DATA), 0o755);
      writeFileAtomic(path.join(dir, RECORD), JSON.stringify(record));
    } catch (err) {
      fs.rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    this.records.set(record.name, record);
    return record;
  }

  has(name: string): boolean {
    return this.records.has(name);
  }

  get(name: string): VolumeRecord {
    const record = this.records.get(name);
    if (!record) throw notFound(`volume ${name}`);
    return record;
  }

  /** Sorted by name. */
  list(): VolumeRecord[] {
    return [...this.records.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** The directory containers mount. */
  mountpoint(name: string): string {
    return path.join(this.dir, name, DATA);
  }

  /** Whether the volume's _data holds nothing. */
  isEmpty(name: string): boolean {
    return fs.readdirSync(this.mountpoint(name)).length === 0;
  }

  /**
   * Fill the empty _data at once with a tree `fill` writes into a fresh directory (its root
   * included: made by `fill`, which returns false when it had nothing to write). rename(2) puts
   * it in place only while _data is still empty, so no half-written copy is ever seen and a
   * volume something wrote to meanwhile is left as it is.
   */
  fillOnce(name: string, fill: (dir: string) => boolean): void {
    const staging = path.join(this.dir, name, `${FILLING}${crypto.randomBytes(8).toString('hex')}`);
    try {
      if (!fill(staging)) return;
      fs.renameSync(staging, this.mountpoint(name));
    } catch (err) {
      if (!['ENOTEMPTY', 'EEXIST'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
    } finally {
      if (fs.existsSync(staging)) void this.removeInBackground(staging);
    }
  }

  /**
   * Remove the volume: gone from the store at once; its tree (renamed away first) removed before
   * this resolves. Returns the bytes its files held.
   */
  async remove(name: string): Promise<number> {
    this.get(name);
    const away = path.join(this.dir, `${REMOVING}${crypto.randomBytes(8).toString('hex')}`);
    fs.renameSync(path.join(this.dir, name), away);
    this.records.delete(name);
    const bytes = await contentBytes(path.join(away, DATA));
    await this.removeInBackground(away);
    return bytes;
  }

  private removeInBackground(tree: string): Promise<void> {
    return removeTree(tree).catch((err: Error) => this.onRemoveError(tree, err));
  }
}

/** The sizes of the regular files beneath `dir` (each inode once), never following a symlink. */
async function contentBytes(dir: string): Promise<number> {
  const seen = new Set<string>();
  let bytes = 0;
  const stack = [dir];
  while (stack.length > 0) {
    const at = stack.pop()!;
    const entries = await fsp.readdir(at, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const p = path.join(at, e.name);
      if (e.isDirectory()) stack.push(p);
      else if (e.isFile()) {
        const st = await fsp.lstat(p).catch(() => null);
        if (st && !seen.has(`${st.dev}:${st.ino}`)) {
          seen.add(`${st.dev}:${st.ino}`);
          bytes += st.size;
        }
      }
    }
  }
  return bytes;
}

const exists = (name: string) => new TsrunError(`volume ${name} already exists`, { code: 'already-exists', subject: name });

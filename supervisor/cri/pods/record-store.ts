/**
 * The CRI's records under <root>/cri/<kind>/<id>/record.json: what RunPodSandbox or
 * CreateContainer was asked, written atomically before anything else of the object is made, so
 * that a tsrund that dies half-way still knows it (kubelet then sees it NOTREADY or EXITED and
 * removes it). The directory may hold more (a sandbox's root, ./sandboxes.ts). Each record's name
 * is unique among its kind, as containerd reserves names. Kept in memory too; the files are what
 * a restarted tsrund reads back.
 */
import * as fs from 'fs';
import * as path from 'path';
import { loadRecordDirs, makePrivateDir, writeFileAtomic } from '../../shared/atomic-file';
import { invalidArgument, notFound, TsrunError } from '../../shared/errors';

const RECORD = 'record.json';

export class CriRecords<T extends { id: string; name: string; createdAt: number }> {
  private readonly records = new Map<string, T>();

  /** `what`: "pod sandbox", "container"; `idField`: the request field ids come in ("pod_sandbox_id"). */
  constructor(
    readonly dir: string,
    private readonly what: string,
    private readonly idField: string,
  ) {}

  /** Read the records back; a directory without one (a create cut short before its record) is removed and named. */
  load(): string[] {
    makePrivateDir(path.dirname(this.dir));
    return loadRecordDirs(this.dir, RECORD, this.records);
  }

  dirOf(id: string): string {
    return path.join(this.dir, id);
  }

  /** Record a new object, after `prepare` filled its directory; its name is taken from now on. */
  create(record: T, prepare: (dir: string) => void = () => undefined): void {
    const owner = [...this.records.values()].find((r) => r.name === record.name);
    if (owner) throw new TsrunError(`${this.what} name ${record.name} is taken by ${owner.id}: remove that one first`, { code: 'already-exists' });
    const dir = this.dirOf(record.id);
    fs.mkdirSync(dir, { mode: 0o700 });
    try {
      prepare(dir);
      writeFileAtomic(path.join(dir, RECORD), JSON.stringify(record));
    } catch (err) {
      fs.rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    this.records.set(record.id, record);
  }

  /** Write a changed record (the same id and name). */
  update(record: T): void {
    writeFileAtomic(path.join(this.dirOf(record.id), RECORD), JSON.stringify(record));
    this.records.set(record.id, record);
  }

  /** The record an id or a unique prefix of one names (crictl shows 13 characters); null when none does. */
  find(idOrPrefix: string): T | null {
    if (idOrPrefix === '') throw invalidArgument(this.idField, 'must not be empty');
    const exact = this.records.get(idOrPrefix);
    if (exact) return exact;
    const matches = [...this.records.values()].filter((r) => r.id.startsWith(idOrPrefix));
    if (matches.length > 1) throw invalidArgument(this.idField, `${idOrPrefix} is the prefix of ${matches.length} ids: give more of it`);
    return matches[0] ?? null;
  }

  /** The record of exactly this id (no prefix), or null. */
  exact(id: string): T | null {
    return this.records.get(id) ?? null;
  }

  get(idOrPrefix: string): T {
    const record = this.find(idOrPrefix);
    if (!record) throw notFound(`${this.what} ${idOrPrefix}`);
    return record;
  }

  /** A filter's id: one that names several records or none selects nothing. */
  findForFilter(idOrPrefix: string): T | null {
    try {
      return this.find(idOrPrefix);
    } catch {
      return null;
    }
  }

  list(): T[] {
    return [...this.records.values()].sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  }

  remove(id: string): void {
    this.records.delete(id);
    fs.rmSync(this.dirOf(id), { recursive: true, force: true });
  }
}

/**
 * Container records under <root>/containers/<id>/: container.json (the record, written
 * atomically) and container.log (the task's output, written by its monitor). Kept in memory too;
 * the files are what a restarted tsrund reads back.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Spec } from '../../spec/types';
import type { ProcessOverrides } from '../api/types';
import { makePrivateDir, readJsonFile, writeFileAtomic } from '../shared/atomic-file';
import { notFound, TsrunError } from '../shared/errors';
import { checkId } from './id';

export interface ContainerRecord {
  id: string;
  bundle: string;
  image: string;
  labels: Record<string, string>;
  overrides: ProcessOverrides | null;
  /** RFC 3339. */
  createdAt: string;
  /** The config the task runs: the bundle's with the overrides applied. */
  spec: Spec;
}

const RECORD = 'container.json';
const LOG = 'container.log';

export class ContainerStore {
  private readonly records = new Map<string, ContainerRecord>();
  private readonly dir: string;

  constructor(root: string) {
    this.dir = path.join(root, 'containers');
  }

  /**
   * Read every record back. A directory without a record is a create that did not finish (tsrund
   * died in between): it is removed. Returns what it removed, for the log.
   */
  load(): string[] {
    makePrivateDir(this.dir);
    const dropped: string[] = [];
    for (const id of fs.readdirSync(this.dir)) {
      const record = readJsonFile<ContainerRecord>(path.join(this.dir, id, RECORD));
      if (record && record.id === id) {
        this.records.set(id, record);
      } else {
        fs.rmSync(path.join(this.dir, id), { recursive: true, force: true });
        dropped.push(id);
      }
    }
    return dropped;
  }

  create(record: ContainerRecord): void {
    checkId(record.id);
    const dir = path.join(this.dir, record.id);
    if (this.records.has(record.id)) throw exists(record.id);
    try {
      fs.mkdirSync(dir, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw exists(record.id);
      throw err;
    }
    try {
      writeFileAtomic(path.join(dir, RECORD), JSON.stringify(record));
    } catch (err) {
      fs.rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    this.records.set(record.id, record);
  }

  get(id: string): ContainerRecord {
    checkId(id);
    const record = this.records.get(id);
    if (!record) throw notFound(`container ${id}`);
    return record;
  }

  list(): ContainerRecord[] {
    return [...this.records.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  delete(id: string): void {
    this.get(id);
    this.records.delete(id);
    fs.rmSync(path.join(this.dir, id), { recursive: true, force: true });
  }

  logPath(id: string): string {
    return path.join(this.dir, id, LOG);
  }
}

const exists = (id: string) => new TsrunError(`container ${id} already exists`, { code: 'already-exists' });

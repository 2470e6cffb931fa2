/**
 * Container records under <root>/containers/<id>/: container.json (the record, written
 * atomically), container.log (the task's output, written by its monitor) and restart.json (its
 * restart policy's count and whether the user stopped it). Kept in memory too;
 * the files are what a restarted tsrund reads back.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Spec } from '../../spec/types';
import type { ProcessOverrides } from '../api/types';
import { loadRecordDirs, writeFileAtomic } from '../shared/atomic-file';
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
const RESTART_STATE = 'restart.json';

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
    return loadRecordDirs(this.dir, RECORD, this.records);
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

  /**
   * Replace the record of container `from` by `renamed` (the same container under a new id), its
   * log moved along. The new directory is complete before the old one goes, so a tsrund that dies
   * in between finds both records (the old one without its log), never none.
   */
  rename(from: string, renamed: ContainerRecord): void {
    this.get(from);
    this.create(renamed);
    // The log and what the restart policy did go with the record (each may be absent).
    for (const file of [(id: string) => this.logPath(id), (id: string) => this.restartStatePath(id)]) {
      try {
        fs.renameSync(file(from), file(renamed.id));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
          this.delete(renamed.id);
          throw err;
        }
      }
    }
    this.delete(from);
  }

  logPath(id: string): string {
    return path.join(this.dir, id, LOG);
  }

  /** What the container's restart policy did so far (services/restart-runner.ts), removed with the record. */
  restartStatePath(id: string): string {
    return path.join(this.dir, id, RESTART_STATE);
  }
}

const exists = (id: string) => new TsrunError(`container ${id} already exists`, { code: 'already-exists' });

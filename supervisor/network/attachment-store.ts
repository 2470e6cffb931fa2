/**
 * The attachments of tasks, one JSON file each under <state>/networks/<id>.json, written before
 * every step of a set-up makes something (so that a tsrund that dies half-way finds what to undo)
 * and removed once the task's network is torn down.
 */
import * as fs from 'fs';
import * as path from 'path';
import { makePrivateDir, readJsonFile, writeFileAtomic } from '../shared/atomic-file';
import type { Attachment } from './types';

export class AttachmentStore {
  constructor(private readonly dir: string) {}

  save(att: Attachment): void {
    makePrivateDir(this.dir);
    writeFileAtomic(this.file(att.containerId), JSON.stringify(att));
  }

  remove(containerId: string): void {
    fs.rmSync(this.file(containerId), { force: true });
  }

  /** Every attachment recorded; an unreadable file is reported and skipped. */
  load(warn: (message: string) => void): Attachment[] {
    if (!fs.existsSync(this.dir)) return [];
    const out: Attachment[] = [];
    for (const name of fs.readdirSync(this.dir).filter((n) => n.endsWith('.json'))) {
      try {
        const att = readJsonFile<Attachment>(path.join(this.dir, name));
        if (att && `${att.containerId}.json` === name) out.push(att);
        else warn(`networks: ${name} is not an attachment record; ignored`);
      } catch (err) {
        warn(`networks: unreadable attachment record ${name} (${(err as Error).message}); ignored`);
      }
    }
    return out;
  }

  private file(containerId: string): string {
    return path.join(this.dir, `${containerId}.json`);
  }
}

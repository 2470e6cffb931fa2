/**
 * What kubelet sets through UpdateRuntimeConfig (the pod CIDR), kept in <root>/cri/runtime-config.json
 * so that a restarted tsrund still reports it before kubelet sends it again.
 */
import * as path from 'path';
import { makePrivateDir, readJsonFile, writeFileAtomic } from '../shared/atomic-file';

export interface RuntimeConfigRecord {
  /** "" until kubelet gives one. */
  podCidr: string;
}

export class RuntimeConfigStore {
  private readonly file: string;
  private record: RuntimeConfigRecord;

  constructor(root: string) {
    const dir = path.join(root, 'cri');
    makePrivateDir(dir);
    this.file = path.join(dir, 'runtime-config.json');
    const stored = readJsonFile<Partial<RuntimeConfigRecord>>(this.file);
    this.record = { podCidr: typeof stored?.podCidr === 'string' ? stored.podCidr : '' };
  }

  get podCidr(): string {
    return this.record.podCidr;
  }

  setPodCidr(cidr: string): void {
    if (cidr === this.record.podCidr) return;
    const next = { ...this.record, podCidr: cidr };
    writeFileAtomic(this.file, JSON.stringify(next));
    this.record = next;
  }
}

/**
 * The result cache: what ADD answered for one attachment (network, container, interface), with
 * the list and the runtime arguments it ran with, so that DEL and CHECK work after a restart.
 * One JSON file per attachment, replaced atomically (written aside, then renamed).
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { isObject } from './json';

export interface CacheEntry {
  network: string;
  containerId: string;
  ifName: string;
  netns: string;
  args: Array<[string, string]>;
  capabilityArgs: Record<string, unknown>;
  /** The list as ADD ran it. */
  config: Record<string, unknown>;
  /** The last plugin's result, as it wrote it. */
  result: unknown;
}

const KIND = 'tsrun-cni-cache-v1';

export class ResultCache {
  private readonly dir: string;

  constructor(cacheDir: string) {
    this.dir = path.join(cacheDir, 'results');
  }

  /** Network names and container ids hold no "+": the file name is unambiguous (an interface name may). */
  private file(network: string, containerId: string, ifName: string): string {
    return path.join(this.dir, `${network}+${containerId}+${ifName}.json`);
  }

  get(network: string, containerId: string, ifName: string): CacheEntry | null {
    return readEntry(this.file(network, containerId, ifName));
  }

  put(entry: CacheEntry): void {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const file = this.file(entry.network, entry.containerId, entry.ifName);
    const temp = `${file}.${crypto.randomBytes(6).toString('hex')}.tmp`;
    try {
      const fd = fs.openSync(temp, 'wx', 0o600);
      try {
        fs.writeSync(fd, JSON.stringify({ kind: KIND, ...entry }));
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(temp, file);
    } catch (err) {
      fs.rmSync(temp, { force: true });
      throw err;
    }
  }

  drop(network: string, containerId: string, ifName: string): void {
    fs.rmSync(this.file(network, containerId, ifName), { force: true });
  }

  /** Every entry of `network` (for GC). */
  entries(network: string): CacheEntry[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return [];
    }
    return names
      .filter((n) => n.startsWith(`${network}+`) && n.endsWith('.json'))
      .map((n) => readEntry(path.join(this.dir, n)))
      .filter((e): e is CacheEntry => e !== null && e.network === network);
  }
}

/** An entry, or null when there is none or it is unreadable (a DEL then runs without prevResult). */
function readEntry(file: string): CacheEntry | null {
  let value: unknown;
  try {
    value = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
  if (!isObject(value) || value.kind !== KIND || typeof value.containerId !== 'string' || typeof value.ifName !== 'string') return null;
  return value as unknown as CacheEntry;
}

/**
 * What `start` and `delete` need of the config's hooks, kept in the container's state directory
 * at create: the bundle's config.json may have changed or gone by then.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Spec } from '../../spec/types';
import { hookCommands } from '../plan/hooks';
import type { HookCommand } from '../plan/types';

const RECORD_FILE = 'hooks.json';

export interface HooksRecord {
  poststart: HookCommand[];
  poststop: HookCommand[];
}

export function hooksRecord(spec: Spec): HooksRecord {
  return { poststart: hookCommands(spec, 'poststart'), poststop: hookCommands(spec, 'poststop') };
}

/** Written only when there is something to run, so a container without hooks has no file. */
export function writeHooksRecord(stateDir: string, record: HooksRecord): void {
  if (record.poststart.length === 0 && record.poststop.length === 0) return;
  fs.writeFileSync(path.join(stateDir, RECORD_FILE), JSON.stringify(record), { mode: 0o600 });
}

export function readHooksRecord(stateDir: string): HooksRecord {
  try {
    return JSON.parse(fs.readFileSync(path.join(stateDir, RECORD_FILE), 'utf8')) as HooksRecord;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { poststart: [], poststop: [] };
    throw err;
  }
}

/**
 * What `start` and `delete` need of the config's hooks, kept in the container's state directory
 * at create: the bundle's config.json may have changed or gone by then, and tsrund's task record
 * does not hold the container's bundle and annotations.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Spec } from '../../spec/types';
import { hookCommands } from '../plan/hooks';
import type { HookCommand } from '../plan/types';
import type { HookStateFields } from './state';

const RECORD_FILE = 'hooks.json';

export interface HooksRecord {
  /** The state document's fields but the status (the hook point's). */
  state: Omit<HookStateFields, 'status'>;
  poststart: HookCommand[];
  poststop: HookCommand[];
}

export function hooksRecord(spec: Spec, state: HooksRecord['state']): HooksRecord {
  return { state, poststart: hookCommands(spec, 'poststart'), poststop: hookCommands(spec, 'poststop') };
}

/** Written only when there is something to run, so a container without hooks has no file. */
export function writeHooksRecord(stateDir: string, record: HooksRecord): void {
  if (record.poststart.length === 0 && record.poststop.length === 0) return;
  fs.writeFileSync(path.join(stateDir, RECORD_FILE), JSON.stringify(record), { mode: 0o600 });
}

/** Null when the container has no poststart or poststop hooks. */
export function readHooksRecord(stateDir: string): HooksRecord | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(stateDir, RECORD_FILE), 'utf8')) as HooksRecord;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

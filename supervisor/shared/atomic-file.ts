/**
 * File helpers of tsrund: owner-only directories, metadata writes a crash cannot leave half done
 * (temp file, fsync, rename, fsync the directory; under --state, temp file and rename), reads, and
 * a directory test.
 */
import * as fs from 'fs';
import * as path from 'path';
import { hasErrno } from '../../common/errors';
import { traced } from './trace';

export function writeFileAtomic(file: string, data: string, mode = 0o600): void {
  traced(`state write ${path.basename(file)} (2 fsyncs)`, file, () => writeAndRename(file, data, mode, true));
}

/**
 * A file under --state (task records, bundles): written to a temp file and renamed over, so that a
 * reader (a tsrund restarted after a crash of the last) sees the old or the new content, whole;
 * not fsynced. What --state describes (processes, their cgroups and monitors) ends with the
 * machine, so a power loss leaves nothing such a record could speak for; its default is a tmpfs
 * (/run/tsrund), where an fsync does nothing, and recovery removes a record it cannot read.
 */
export function writeStateFile(file: string, data: string, mode = 0o600): void {
  traced(`state write ${path.basename(file)} (--state: no fsync)`, file, () => writeAndRename(file, data, mode, false));
}

function writeAndRename(file: string, data: string, mode: number, durable: boolean): void {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
  const fd = fs.openSync(tmp, 'w', mode);
  try {
    fs.writeSync(fd, data);
    if (durable) fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  if (durable) syncDirectory(dir);
}

/**
 * Make `dir` (and its missing parents) owner-only, and an existing one too: tsrund's metadata,
 * configs (their env holds secrets) and logs are for root alone, whatever the umask or the mode a
 * directory was given before.
 */
export function makePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
}

/** JSON of `file`, or null when it does not exist. */
export function readJsonFile<T>(file: string): T | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  return JSON.parse(text) as T;
}

/**
 * Read back the records of `dir`, one directory per id holding `recordFile`, into `into`. A
 * directory without its record (a create cut short: tsrund died in between) is removed; the ids
 * removed are returned, for the log.
 */
export function loadRecordDirs<T extends { id: string }>(dir: string, recordFile: string, into: Map<string, T>): string[] {
  makePrivateDir(dir);
  const dropped: string[] = [];
  for (const id of fs.readdirSync(dir)) {
    const record = readJsonFile<T>(path.join(dir, id, recordFile));
    if (record && record.id === id) {
      into.set(id, record);
    } else {
      fs.rmSync(path.join(dir, id), { recursive: true, force: true });
      dropped.push(id);
    }
  }
  return dropped;
}

export function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch (err) {
    if (hasErrno(err, 'ENOENT', 'ENOTDIR')) return false;
    throw err;
  }
}

/** fsync a directory: the entries made or renamed in it survive a power loss. */
export function syncDirectory(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * A container's network namespace pinned on a file: the file a CNI plugin opens (CNI_NETNS) and
 * the plan joins, kept alive by the bind mount until unpinned after CNI DEL. The addon makes the
 * namespace, sets its loopback up and makes the mount (in this process's mount namespace; this
 * process's own network namespace is never changed); this module decides where and words the
 * failures.
 */
import * as fs from 'fs';
import * as path from 'path';
import { errnoText, hasErrno, TsrunError } from '../../common/errors';
import { netnsPin, netnsUnpin } from '../../runtime/native';

/** statfs(2)'s f_type of the namespace file system (linux/magic.h NSFS_MAGIC). */
const NSFS_MAGIC = 0x6e736673;

/** A new network namespace, its loopback up, bind-mounted on `file` (made, with its missing parent directories). */
export function pinNetworkNamespace(file: string): void {
  try {
    makeDirectories(path.dirname(file));
    netnsPin(file);
  } catch (err) {
    throw namespaceError('pin a network namespace on', file, err);
  }
}

/** Unmount the namespace on `file` and remove the file; an absent file: nothing to do. */
export function unpinNetworkNamespace(file: string): void {
  try {
    netnsUnpin(file);
  } catch (err) {
    throw namespaceError('unpin the network namespace on', file, err);
  }
}

/** Whether a namespace is mounted on `file` (nsfs: what pinNetworkNamespace leaves). */
export function isPinnedNetworkNamespace(file: string): boolean {
  try {
    return fs.statfsSync(file).type === NSFS_MAGIC;
  } catch {
    // Absent or unreadable: no pin a plugin could open.
    return false;
  }
}

/**
 * mkdir -p, one level at a time: Node's recursive mkdir words a read-only parent as ENOENT, and
 * the error must say what is wrong.
 */
function makeDirectories(dir: string): void {
  if (fs.existsSync(dir)) return;
  makeDirectories(path.dirname(dir));
  try {
    fs.mkdirSync(dir, 0o755);
  } catch (err) {
    if (!hasErrno(err, 'EEXIST')) throw err;
  }
}

/** "cannot pin a network namespace on /run/x/ns: mkdir /run/x: read-only file system". */
function namespaceError(what: string, file: string, err: unknown): TsrunError {
  const e = err as NodeJS.ErrnoException;
  if (typeof e?.code !== 'string') return new TsrunError(`cannot ${what} ${file}: ${String(e?.message ?? err)}`, { code: 'internal', cause: err });
  const call = e.syscall ? `${e.syscall}${e.path && e.path !== file ? ` ${e.path}` : ''}: ` : '';
  return new TsrunError(`cannot ${what} ${file}: ${call}${errnoText(e.code) ?? e.code}`, { code: 'internal', subject: file, cause: err });
}

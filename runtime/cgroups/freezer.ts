/**
 * Freezing a container's cgroup for `pause` and thawing it for `resume`: v1's freezer controller
 * (freezer.state FROZEN/THAWED) or v2's built-in cgroup.freeze, whose progress cgroup.events shows.
 */
import { readCgroupFile, writeCgroupFile } from './cgroupfs';
import { CgroupError } from './errors';
import type { CgroupDirRecord } from './manager';
import { runPoll, type Poll } from '../poll-wait';

/** The cgroup whose freezer holds the container: v1's freezer hierarchy, else the unified one. */
export interface FreezerCgroup {
  version: 1 | 2;
  dir: string;
}

/** How long freeze() waits for every task to stop before it gives up and thaws again. */
const FREEZE_TIMEOUT_MS = 5000;
/** v1 can stay FREEZING while tasks fork; writing FROZEN again makes the kernel retry them. */
const REWRITE_EVERY_MS = 100;

export function freezerOf(records: CgroupDirRecord[]): FreezerCgroup | null {
  const v1 = records.find((r) => r.version === 1 && r.controllers.includes('freezer'));
  if (v1) return { version: 1, dir: v1.dir };
  const unified = records.find((r) => r.version === 2);
  return unified ? { version: 2, dir: unified.dir } : null;
}

function isFrozenNow(cg: FreezerCgroup): boolean {
  if (cg.version === 1) return readCgroupFile(cg.dir, 'freezer.state').trim() === 'FROZEN';
  return /^frozen 1$/m.test(readCgroupFile(cg.dir, 'cgroup.events'));
}

function requestFreeze(cg: FreezerCgroup, frozen: boolean): void {
  if (cg.version === 1) writeCgroupFile(cg.dir, 'freezer.state', frozen ? 'FROZEN' : 'THAWED', 'cgroup: freezer.state');
  else writeCgroupFile(cg.dir, 'cgroup.freeze', frozen ? '1' : '0', 'cgroup: cgroup.freeze');
}

/** Freeze and look until the kernel reports every task frozen; thaw again and throw on timeout. */
function* freezing(cg: FreezerCgroup): Poll<void> {
  const deadline = Date.now() + FREEZE_TIMEOUT_MS;
  let lastWrite = 0;
  while (true) {
    if (Date.now() - lastWrite >= REWRITE_EVERY_MS) {
      requestFreeze(cg, true);
      lastWrite = Date.now();
    }
    if (isFrozenNow(cg)) return;
    if (Date.now() > deadline) {
      requestFreeze(cg, false);
      throw new CgroupError(`cgroup: ${cg.dir} did not freeze within ${FREEZE_TIMEOUT_MS} ms`);
    }
    yield 1;
  }
}

/** Resolves once every task of the cgroup is frozen; rejects (thawed again) after FREEZE_TIMEOUT_MS. */
export function freeze(cg: FreezerCgroup): Promise<void> {
  return runPoll(freezing(cg));
}

export function thaw(cg: FreezerCgroup): void {
  requestFreeze(cg, false);
}

/** True when the cgroup is frozen, or asked to be (v2's cgroup.freeze, as runc reads it). */
export function isFrozen(cg: FreezerCgroup): boolean {
  try {
    if (cg.version === 1) return readCgroupFile(cg.dir, 'freezer.state').trim() === 'FROZEN';
    return readCgroupFile(cg.dir, 'cgroup.freeze').trim() === '1';
  } catch (err) {
    if (err instanceof CgroupError && err.errno === 'ENOENT') return false; // removed meanwhile
    throw err;
  }
}

/**
 * Watching a container's memory cgroup for OOM kills, decided here once for tsrund's monitor and
 * for `tsrun events`; both run the executor's watch (native/src/exec/oom_watch.c), which only
 * executes what this chooses: v1 an eventfd registered in cgroup.event_control for
 * memory.oom_control ("control"), v2 the "oom" counter of memory.events ("events").
 */
import { hasErrno } from '../../common/errors';
import * as fs from 'fs';
import * as path from 'path';
import { oomWatchOpen, oomWatchWait, type NativeOomWatch } from '../native';
import { CgroupError, errnoName } from './errors';
import type { CgroupManager } from './manager';

export interface OomWatch {
  /** Also the monitor's flag: --oom-control DIR, --oom-events DIR. */
  mechanism: 'control' | 'events';
  /** The container's memory cgroup directory. */
  dir: string;
}

export function oomWatchOf(cgroups: CgroupManager): OomWatch | null {
  const memory = cgroups.controllerDir('memory');
  if (!memory) return null;
  return { mechanism: memory.version === 1 ? 'control' : 'events', dir: memory.dir };
}

/** The number the kernel counts OOM kills with, or null when the container has no memory cgroup (or it is gone). */
export function oomCount(cgroups: CgroupManager): number | null {
  const watch = oomWatchOf(cgroups);
  if (!watch) return null;
  const file = path.posix.join(watch.dir, watch.mechanism === 'control' ? 'memory.oom_control' : 'memory.events');
  try {
    const m = (watch.mechanism === 'control' ? /^oom_kill (\d+)$/m : /^oom (\d+)$/m).exec(fs.readFileSync(file, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch (err) {
    if (hasErrno(err, 'ENOENT', 'ENODEV')) return null; // the cgroup was removed
    throw err;
  }
}

/** One memory cgroup watched for OOMs in this process, through the addon. */
export class OomWatcher {
  private constructor(private readonly watch: NativeOomWatch) {}

  static open(watch: OomWatch): OomWatcher {
    try {
      return new OomWatcher(oomWatchOpen(watch.mechanism === 'control' ? 1 : 2, watch.dir));
    } catch (err) {
      throw new CgroupError(`register for OOM notifications in ${watch.dir}: ${errnoName(err)}`, errnoName(err));
    }
  }

  /** The OOMs within `timeoutMs` (0 when none), or null once the cgroup is gone. */
  async next(timeoutMs: number): Promise<number | null> {
    const n = await oomWatchWait(this.watch, timeoutMs);
    return n < 0 ? null : n;
  }

  /** Only once no next() is pending. */
  close(): void {
    fs.closeSync(this.watch.fd);
  }
}

/**
 * `events`: a live container's resource usage, once or every interval, and its OOM kills, as
 * `runc events` prints them ({"type":"stats"|"oom","id":...,"data":...}, one JSON per line).
 * OOM notifications through the memory cgroup's OOM watch (cgroups/oom.ts), the one tsrund's
 * monitors run too.
 */
import { setTimeout as sleep } from 'timers/promises';
import { hostHugePageSizes, loadCgroupManager, oomCount, oomWatchOf, OomWatcher, readCgroupStats, type CgroupManager, type Stats } from '../cgroups';
import { TsrunError } from '../../common/errors';
import { isSameLiveProcess } from '../state/proc';
import type { StateStore, StoredState } from '../state/store';
import { observeStatus } from './observe';

export interface ContainerEvent {
  type: 'stats' | 'oom';
  id: string;
  data?: Stats;
}

/** How often a watch looks whether the container stopped. */
const LIVENESS_POLL_MS = 100;

const GO_DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration ("5s", "1m30s", "250ms") in milliseconds, as runc's --interval reads it. */
export function parseGoDuration(text: string): number {
  const parts = /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/.test(text) ? text.match(/\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h)/g)! : null;
  if (text === '0') return 0;
  if (!parts) throw new TsrunError(`invalid value "${text}" for flag -interval: parse error`);
  return parts.reduce((ms, p) => {
    const [, n, unit] = /^([\d.]+)(.*)$/.exec(p)!;
    return ms + Number(n) * GO_DURATION_UNITS[unit];
  }, 0);
}

/** The state of a container events may look at, or runc's error. */
function liveContainer(store: StateStore, id: string): { state: StoredState; cgroups: CgroupManager } {
  const state = store.read(id);
  if (!state) throw new TsrunError('container does not exist');
  const status = observeStatus(store, state);
  if (status === 'stopped' || state.cgroups === null) throw new TsrunError(`container with id ${id} is not running`);
  return { state, cgroups: loadCgroupManager(state.cgroups) };
}

export function statsEvent(id: string, cgroups: CgroupManager, hugePageSizes: string[]): ContainerEvent {
  return { type: 'stats', id, data: readCgroupStats(cgroups, hugePageSizes) };
}

/** `events --stats`: one stats event. */
export function containerStats(store: StateStore, id: string): ContainerEvent {
  const { cgroups } = liveContainer(store, id);
  return statsEvent(id, cgroups, hostHugePageSizes());
}

/** The OOM watch of the container's memory cgroup, or null when it has none. */
function openOomWatch(cgroups: CgroupManager): OomWatcher | null {
  const watch = oomWatchOf(cgroups);
  try {
    return watch && OomWatcher.open(watch);
  } catch (err) {
    throw new TsrunError(`events: ${(err as Error).message}`);
  }
}

/**
 * Stream events until the container stops: stats every `intervalMs`, an oom event per OOM kill.
 * Resolves once the container's init is gone.
 */
export async function watchContainer(store: StateStore, id: string, intervalMs: number, emit: (e: ContainerEvent) => void): Promise<void> {
  const { state, cgroups } = liveContainer(store, id);
  const sizes = hostHugePageSizes();
  const before = oomCount(cgroups) ?? 0;
  let emitted = 0;
  const oom = () => {
    emitted++;
    emit({ type: 'oom', id });
  };
  let watcher = openOomWatch(cgroups);
  const stats = setInterval(() => emit(statsEvent(id, cgroups, sizes)), intervalMs);
  try {
    while (isSameLiveProcess(state.pid, state.initStartTime)) {
      const news = watcher ? await watcher.next(LIVENESS_POLL_MS) : (await sleep(LIVENESS_POLL_MS), 0);
      if (news === null) {
        watcher!.close();
        watcher = null;
      }
      for (let i = 0; i < (news ?? 0); i++) oom();
    }
  } finally {
    clearInterval(stats);
    watcher?.close();
  }
  // The counter also catches an OOM the watch had not delivered yet when the container died.
  const now = oomCount(cgroups);
  while (now !== null && before + emitted < now) oom();
}

/**
 * `events`: a live container's resource usage, once or every interval, and its OOM kills, as
 * `runc events` prints them ({"type":"stats"|"oom","id":...,"data":...}, one JSON per line).
 * OOM notifications: v1 through an eventfd registered in cgroup.event_control for
 * memory.oom_control; v2 by watching the oom counter of memory.events.
 */
import * as fs from 'fs';
import * as path from 'path';
import { hostHugePageSizes, loadCgroupManager, readCgroupStats, type CgroupManager, type Stats } from '../cgroups';
import { ContainerError, hasErrno } from '../errors';
import { eventfd } from '../native';
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
  if (!parts) throw new ContainerError(`invalid value "${text}" for flag -interval: parse error`);
  return parts.reduce((ms, p) => {
    const [, n, unit] = /^([\d.]+)(.*)$/.exec(p)!;
    return ms + Number(n) * GO_DURATION_UNITS[unit];
  }, 0);
}

/** The state of a container events may look at, or runc's error. */
function liveContainer(store: StateStore, id: string): { state: StoredState; cgroups: CgroupManager } {
  const state = store.read(id);
  if (!state) throw new ContainerError('container does not exist');
  const status = observeStatus(store, state);
  if (status === 'stopped' || state.cgroups === null) throw new ContainerError(`container with id ${id} is not running`);
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

/** The number the kernel counts OOM events with, or null when the container has no memory cgroup. */
export function oomCount(cgroups: CgroupManager): number | null {
  const memory = cgroups.controllerDir('memory');
  if (!memory) return null;
  const file = path.posix.join(memory.dir, memory.version === 1 ? 'memory.oom_control' : 'memory.events');
  try {
    const m = (memory.version === 1 ? /^oom_kill (\d+)$/m : /^oom (\d+)$/m).exec(fs.readFileSync(file, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch (err) {
    if (hasErrno(err, 'ENOENT', 'ENODEV')) return null; // the cgroup was removed
    throw err;
  }
}

/**
 * v1: an eventfd the kernel signals on each OOM of the memory cgroup (and once more when the
 * cgroup goes away). Calls `onOom` per notification; returns a function that stops listening.
 */
function listenV1Oom(dir: string, onOom: () => void): () => void {
  const efd = eventfd();
  const ocfd = fs.openSync(path.posix.join(dir, 'memory.oom_control'), 'r');
  let stopped = false;
  try {
    fs.writeFileSync(path.posix.join(dir, 'cgroup.event_control'), `${efd} ${ocfd}`);
  } catch (err) {
    fs.closeSync(efd);
    fs.closeSync(ocfd);
    throw new ContainerError(`events: register for OOM notifications in ${dir}: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
  const buf = Buffer.alloc(8);
  const next = () =>
    fs.read(efd, buf, 0, 8, null, (err) => {
      if (stopped || err) {
        fs.closeSync(efd);
        return;
      }
      // The kernel also signals when the cgroup is removed: that is no OOM.
      if (!fs.existsSync(path.posix.join(dir, 'cgroup.event_control'))) return;
      onOom();
      next();
    });
  next();
  return () => {
    stopped = true;
    fs.closeSync(ocfd);
    // The pending read holds a threadpool thread, and Node's exit waits for it: wake it up.
    const one = Buffer.alloc(8);
    one.writeBigUInt64LE(1n);
    fs.writeSync(efd, one);
  };
}

/**
 * Stream events until the container stops: stats every `intervalMs`, an oom event per OOM kill.
 * Resolves once the container's init is gone.
 */
export function watchContainer(store: StateStore, id: string, intervalMs: number, emit: (e: ContainerEvent) => void): Promise<void> {
  const { state, cgroups } = liveContainer(store, id);
  const sizes = hostHugePageSizes();
  const memory = cgroups.controllerDir('memory');
  const before = oomCount(cgroups) ?? 0;
  let emitted = 0;
  const oom = () => {
    emitted++;
    emit({ type: 'oom', id });
  };
  // v1 notifications arrive by eventfd; the counter also catches one the eventfd had not
  // delivered yet when the container died (v2 relies on the counter alone).
  const stopV1 = memory?.version === 1 ? listenV1Oom(memory.dir, oom) : null;
  const catchUpOoms = () => {
    const now = oomCount(cgroups);
    while (now !== null && before + emitted < now) oom();
  };
  return new Promise((resolve) => {
    const stats = setInterval(() => emit(statsEvent(id, cgroups, sizes)), intervalMs);
    const alive = setInterval(() => {
      if (!stopV1) catchUpOoms();
      if (isSameLiveProcess(state.pid, state.initStartTime)) return;
      catchUpOoms();
      clearInterval(stats);
      clearInterval(alive);
      stopV1?.();
      resolve();
    }, LIVENESS_POLL_MS);
  });
}

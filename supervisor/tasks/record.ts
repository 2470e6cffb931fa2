/**
 * What tsrund records about a task in <state>/tasks/<id>/task.json (beside the monitor's own
 * files), written atomically at each change (under --state: not fsynced, shared/atomic-file.ts), so that a restarted tsrund knows every task, its
 * cgroups and whether its exit was already reported.
 */
import * as path from 'path';
import type { CgroupRecord } from '../../runtime/cgroups';
import type { InitNamespaces } from '../../runtime/state/own-processes';
import { isSameLiveProcess } from '../../runtime/state/proc';
import type { TaskStatus } from '../api/types';
import { readJsonFile, writeStateFile } from '../shared/atomic-file';

export const TASK_RECORD = 'task.json';

export interface TaskExit {
  /** Exit code, or 128+N for signal N. */
  exitStatus: number;
  /** RFC 3339 (nanoseconds when the monitor gave them). */
  exitedAt: string;
}

export interface TaskRecord {
  id: string;
  /** 0 until the init exists (a record with 0 is a create that did not finish). */
  pid: number;
  monitorPid: number;
  /** /proc/<pid>/stat start time of the init: a recycled pid is never signalled. */
  initStartTime: string;
  /** The init's namespaces: which processes in its cgroups are the task's (runtime/state/own-processes.ts). */
  initNamespaces?: InitNamespaces;
  cgroups: CgroupRecord | null;
  terminal: boolean;
  stdin: boolean;
  createdAt: string;
  /** Start released the init. */
  started: boolean;
  /** Set once the exit was seen (and its event published). */
  exit: TaskExit | null;
}

export function writeTaskRecord(taskDir: string, record: TaskRecord): void {
  writeStateFile(path.join(taskDir, TASK_RECORD), JSON.stringify(record));
}

export function readTaskRecord(taskDir: string): TaskRecord | null {
  return readJsonFile<TaskRecord>(path.join(taskDir, TASK_RECORD));
}

/** A task's status from its record and whether its cgroup is frozen now. */
export function taskStatus(record: TaskRecord, frozen: boolean): TaskStatus {
  if (record.exit) return 'STOPPED';
  if (frozen) return 'PAUSED';
  return record.started ? 'RUNNING' : 'CREATED';
}

/** Exit status of a process whose monitor vanished first: the real one is unknowable (as containerd's 255). */
export const LOST_EXIT_STATUS = 255;
const LOST_POLL_MS = 500;

/**
 * For a process whose monitor died before its exit (so nobody reaps it for tsrund): call `then`
 * with the lost exit once the process (pid and /proc start time) is gone.
 */
export function whenLostProcessGone(pid: number, startTime: string, then: (exit: TaskExit) => void): void {
  const poll = () => {
    if (isSameLiveProcess(pid, startTime)) setTimeout(poll, LOST_POLL_MS).unref();
    else then({ exitStatus: LOST_EXIT_STATUS, exitedAt: new Date().toISOString() });
  };
  poll();
}

/** A container's status is derived each time from the recorded facts and what the host shows now. */
import type { StoredState } from './store';

export type Status = 'creating' | 'created' | 'running' | 'paused' | 'stopped';

export interface Observed {
  /** The init recorded in the state is alive (same pid and start time, not a zombie). */
  initAlive: boolean;
  /** The exec fifo still exists: `start` has not released the init. */
  fifoExists: boolean;
  /** The container's cgroup is frozen (`pause`). */
  frozen: boolean;
}

export function deriveStatus(state: StoredState, seen: Observed): Status {
  if (state.status === 'creating') return 'creating';
  if (!seen.initAlive) return 'stopped';
  // As runc: a frozen cgroup is paused whether or not start released the init.
  if (seen.frozen) return 'paused';
  return seen.fifoExists ? 'created' : 'running';
}

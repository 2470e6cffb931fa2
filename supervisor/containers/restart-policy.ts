/**
 * Restart policies as docker has them (`--restart no|on-failure[:N]|always|unless-stopped`): the
 * decision after a task's exit and at tsrund's start, and docker's back-off. Pure: the runner
 * (services/restart-runner.ts) does what they say.
 */
import type { RestartPolicy } from '../api/types';
import { invalidArgument } from '../shared/errors';

export const RESTART_POLICY_NAMES = ['no', 'on-failure', 'always', 'unless-stopped'] as const;

/** What the policy did so far, kept with the container across tsrund restarts. */
export interface RestartHistory {
  /** Restarts by the policy since a client last created the task. */
  count: number;
  /** Tasks.Stop or a client's Tasks.Delete ended the policy. */
  stoppedByUser: boolean;
}

export const NO_HISTORY: Readonly<RestartHistory> = { count: 0, stoppedByUser: false };

/** docker's back-off: 100 ms, doubled at each restart, at most a minute; reset by a task that ran 10 s. */
export const FIRST_DELAY_MS = 100;
export const MAX_DELAY_MS = 60_000;
export const RESET_AFTER_RUN_MS = 10_000;

export function checkRestartPolicy(p: RestartPolicy | null | undefined, field: string): void {
  if (!p) return;
  if (p.name !== '' && !(RESTART_POLICY_NAMES as readonly string[]).includes(p.name)) {
    throw invalidArgument(`${field}.name`, `${JSON.stringify(p.name)}: one of ${RESTART_POLICY_NAMES.join(', ')}`);
  }
  if (p.maxRetries !== 0 && p.name !== 'on-failure') throw invalidArgument(`${field}.max_retries`, 'only on-failure takes a maximum');
}

const nameOf = (p: RestartPolicy | null | undefined) => p?.name || 'no';

/** Whether the policy restarts a task that exited with `exitStatus`. */
export function restartsAfterExit(p: RestartPolicy | null | undefined, exitStatus: number, h: RestartHistory): boolean {
  if (h.stoppedByUser) return false;
  switch (nameOf(p)) {
    case 'always':
    case 'unless-stopped':
      return true;
    case 'on-failure':
      return exitStatus !== 0 && (p!.maxRetries === 0 || h.count < p!.maxRetries);
    default:
      return false;
  }
}

/**
 * Whether tsrund, starting, starts a container that has no running task: "always" ones (even
 * stopped by the user, as dockerd does), "unless-stopped" ones the user did not stop, and
 * "on-failure" ones whose last exit (null: unknown) it would have restarted.
 */
export function restartsAtDaemonStart(p: RestartPolicy | null | undefined, lastExit: number | null, h: RestartHistory): boolean {
  switch (nameOf(p)) {
    case 'always':
      return true;
    case 'unless-stopped':
      return !h.stoppedByUser;
    case 'on-failure':
      return lastExit !== null && restartsAfterExit(p, lastExit, h);
    default:
      return false;
  }
}

/** The back-off before the next restart, after `previousMs` (0: none yet) and a task that ran `ranMs`. */
export function nextDelayMs(previousMs: number, ranMs: number): number {
  if (previousMs === 0 || ranMs >= RESET_AFTER_RUN_MS) return FIRST_DELAY_MS;
  return Math.min(previousMs * 2, MAX_DELAY_MS);
}

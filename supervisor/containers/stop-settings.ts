/**
 * How Tasks.Stop stops a container's task (docker's --stop-signal, --stop-timeout and the image's
 * StopSignal), checked when the container is created with its restart policy and auto-remove. Pure.
 */
import type { Spec } from '../../spec/types';
import type { ProcessOverrides } from '../api/types';
import { parseSignal } from '../../runtime/signals';
import { invalidArgument } from '../shared/errors';
import { checkRestartPolicy } from './restart-policy';

export const SIGTERM = 15;
/** docker's default --stop-timeout. */
export const DEFAULT_STOP_TIMEOUT_S = 10;
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Where an image's StopSignal is in the config (images/bundle.ts puts it there). */
export const STOP_SIGNAL_ANNOTATION = 'org.opencontainers.image.stopSignal';

function signalOf(text: string, field: string): number {
  try {
    return parseSignal(text);
  } catch {
    throw invalidArgument(field, `${JSON.stringify(text)} is not a signal name or number (1..64)`);
  }
}

function checkTimeout(seconds: number | undefined, field: string): void {
  if (seconds !== undefined && seconds < -1) throw invalidArgument(field, `${seconds}: seconds, 0 (no wait) or -1 (for ever)`);
}

/** The lifecycle overrides of a Create request: restart policy, stop signal and timeout. */
export function checkLifecycleOverrides(o: ProcessOverrides | null | undefined): void {
  if (!o) return;
  checkRestartPolicy(o.restartPolicy, 'overrides.restart_policy');
  const policy = o.restartPolicy?.name || 'no';
  if (o.autoRemove && policy !== 'no') throw invalidArgument('overrides.auto_remove', `does not go with restart policy ${policy}: a container removed when it exits is not restarted`);
  if (o.stopSignal) signalOf(o.stopSignal, 'overrides.stop_signal');
  checkTimeout(o.stopTimeout, 'overrides.stop_timeout');
}

/** The signal Stop sends first: the request's, the container's, the image's, else SIGTERM. */
export function stopSignal(requested: string, o: ProcessOverrides | null, spec: Spec): number {
  if (requested) return signalOf(requested, 'signal');
  const text = o?.stopSignal || spec.annotations?.[STOP_SIGNAL_ANNOTATION];
  return text ? signalOf(text, 'overrides.stop_signal') : SIGTERM;
}

/** How long Stop waits for the exit before SIGKILL, in ms (null: for ever). */
export function stopTimeoutMs(requested: number | undefined, o: ProcessOverrides | null): number | null {
  checkTimeout(requested, 'timeout_seconds');
  const seconds = requested ?? o?.stopTimeout ?? DEFAULT_STOP_TIMEOUT_S;
  // Past what a timer can hold (24.8 days) is for ever too.
  return seconds === -1 || seconds * 1000 > MAX_TIMER_MS ? null : seconds * 1000;
}

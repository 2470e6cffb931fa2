/**
 * The hook points of the lifecycle, run the same way by both front ends: prestart and
 * createRuntime while init waits in the spawn (create), poststart after the start, poststop after
 * the delete (runtime.md § Lifecycle). What start and delete need is kept in the container's
 * state directory at create (runtime/hooks/record.ts).
 */
import type { Spec } from '../../spec/types';
import { hooksRecord, readHooksRecord, writeHooksRecord } from '../hooks/record';
import { runHooks, runHooksWarning } from '../hooks/run';
import { stateDocument, type HookStateFields } from '../hooks/state';
import { hookCommands } from '../plan/hooks';
import type { InitPlan } from '../plan/types';

/** The fields of the hooks' state document the container fixes at create (the status is the hook point's). */
export type HookSubject = Omit<HookStateFields, 'status'>;

/** At create: keep what the poststart and poststop hooks need in the state directory. */
export function recordLaterHooks(stateDir: string, spec: Spec, subject: HookSubject): void {
  writeHooksRecord(stateDir, hooksRecord(spec, subject));
}

/**
 * The runtime-namespace hooks for a plan that pauses for them (a parentHooks step), else
 * undefined. prestart (deprecated) runs with createRuntime, before it, as runc runs them.
 */
export function runtimeHooks(spec: Spec, plan: InitPlan, subject: HookSubject): ((pid: number) => Promise<void>) | undefined {
  if (!plan.init.some((s) => s.op === 'parentHooks')) return undefined;
  return async (pid) => {
    const doc = stateDocument({ ...subject, status: 'creating' }, pid);
    runHooks('prestart', hookCommands(spec, 'prestart'), doc);
    runHooks('createRuntime', hookCommands(spec, 'createRuntime'), doc);
  };
}

/** After the start; failures are warnings. */
export function runPoststartHooks(stateDir: string, pid: number, warn: (message: string) => void): void {
  const record = readHooksRecord(stateDir);
  if (record?.poststart.length) runHooksWarning('poststart', record.poststart, stateDocument({ ...record.state, status: 'running' }, pid), warn);
}

/** Read before the state directory goes; the function returned runs them once everything is gone (failures are warnings). */
export function poststopHooks(stateDir: string, warn: (message: string) => void): () => void {
  const record = readHooksRecord(stateDir);
  return () => {
    if (record?.poststop.length) runHooksWarning('poststop', record.poststop, stateDocument({ ...record.state, status: 'stopped' }, 0), warn);
  };
}

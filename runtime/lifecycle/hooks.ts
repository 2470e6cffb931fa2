/**
 * The hook points of the lifecycle, run the same way by both front ends: prestart and
 * createRuntime while init waits in the spawn (create), poststart after the start, poststop after
 * the delete (runtime.md § Lifecycle). What start and delete need is kept in the container's
 * state directory at create (runtime/hooks/record.ts).
 */
import type { Spec } from '../../spec/types';
import { hooksRecord, readHooksRecord, writeHooksRecord } from '../hooks/record';
import { runHooks, runHooksAsync, runHooksWarning, runHooksWarningAsync } from '../hooks/run';
import { stateDocument, type HookStateFields } from '../hooks/state';
import { hookCommands, type HookKind } from '../plan/hooks';
import type { HookCommand, InitPlan } from '../plan/types';

/**
 * How the hook programs run: the front end's choice. tsrun's block (its create and start must
 * not yield to the event loop: ./run.ts); a daemon's must not.
 */
export interface HookRunner {
  /** In order; the first failure rejects (a TsrunError naming the hook). */
  run(kind: HookKind, hooks: readonly HookCommand[], state: string): Promise<void>;
  /** All of them, each failure passed to `warn`. */
  runWarning(kind: HookKind, hooks: readonly HookCommand[], state: string, warn: (message: string) => void): Promise<void>;
}

export const blockingHookRunner: HookRunner = {
  run: async (kind, hooks, state) => runHooks(kind, hooks, state),
  runWarning: async (kind, hooks, state, warn) => runHooksWarning(kind, hooks, state, warn),
};

/** A daemon's: the hook programs run as child processes the event loop waits for. */
export const asyncHookRunner: HookRunner = { run: runHooksAsync, runWarning: runHooksWarningAsync };

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
export function runtimeHooks(spec: Spec, plan: InitPlan, subject: HookSubject, runner: HookRunner): ((pid: number) => Promise<void>) | undefined {
  if (!plan.init.some((s) => s.op === 'parentHooks')) return undefined;
  return async (pid) => {
    const doc = stateDocument({ ...subject, status: 'creating' }, pid);
    await runner.run('prestart', hookCommands(spec, 'prestart'), doc);
    await runner.run('createRuntime', hookCommands(spec, 'createRuntime'), doc);
  };
}

/** After the start; failures are warnings. */
export async function runPoststartHooks(stateDir: string, pid: number, runner: HookRunner, warn: (message: string) => void): Promise<void> {
  const record = readHooksRecord(stateDir);
  if (record?.poststart.length) await runner.runWarning('poststart', record.poststart, stateDocument({ ...record.state, status: 'running' }, pid), warn);
}

/** Read before the state directory goes; the function returned runs them once everything is gone (failures are warnings). */
export function poststopHooks(stateDir: string, runner: HookRunner, warn: (message: string) => void): () => Promise<void> {
  const record = readHooksRecord(stateDir);
  return async () => {
    if (record?.poststop.length) await runner.runWarning('poststop', record.poststop, stateDocument({ ...record.state, status: 'stopped' }, 0), warn);
  };
}

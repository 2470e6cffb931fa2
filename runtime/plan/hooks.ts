/**
 * config.json `hooks` as the executor runs them: argv and environment exactly as configured,
 * checked where the spec is strict (absolute path, positive timeout). The runtime-namespace
 * kinds the parent's caller runs (runtime/hooks) use the same commands.
 */
import { constants } from 'os';
import type { Hook, Hooks, Spec } from '../../spec/types';
import { HookStateFields, stateAroundPid } from '../hooks/state';
import { PlanError } from './plan-error';
import { isRootChange } from './rootfs';
import { OCI_VERSION } from '../../spec/default-config';
import type { HookCommand, InitPlan, InitStep, ParentHooksStep, PlanContext, RunHooksStep } from './types';

export type HookKind = keyof Hooks;

/** The signal a hook past its timeout is killed with (runc's). */
export const HOOK_KILL_SIGNAL = constants.signals.SIGKILL;
/** How many bytes of a failed hook's output its failure quotes. */
export const HOOK_OUTPUT_QUOTED = 200;

/** Every kind, in the order of the lifecycle (what `tsrun features` lists). */
export const HOOK_KINDS: readonly HookKind[] = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'];

function hookCommand(hook: Hook, at: string): HookCommand {
  if (typeof hook.path !== 'string' || !hook.path.startsWith('/')) {
    throw new PlanError(`${at}.path`, `must be an absolute path, not ${JSON.stringify(hook.path)}`);
  }
  const timeout = hook.timeout ?? 0;
  if (hook.timeout !== undefined && (!Number.isInteger(timeout) || timeout <= 0 || timeout > 0xffffffff)) {
    throw new PlanError(`${at}.timeout`, `must be a whole number of seconds greater than zero, not ${JSON.stringify(hook.timeout)}`);
  }
  // No args: argv is the path alone (what runc's Go exec does with empty Args).
  const args = hook.args && hook.args.length > 0 ? hook.args : [hook.path];
  return { path: hook.path, args, env: hook.env ?? [], timeout };
}

/** The hooks of one kind, checked, as commands. */
export function hookCommands(spec: Spec, kind: HookKind): HookCommand[] {
  return (spec.hooks?.[kind] ?? []).map((hook, i) => hookCommand(hook, `hooks.${kind}[${i}]`));
}

export function hasHooks(spec: Spec, kind: HookKind): boolean {
  return (spec.hooks?.[kind] ?? []).length > 0;
}

/** What the state of an in-container hook says besides the pid and status. */
export type HookStateBase = Omit<HookStateFields, 'status'>;

/**
 * Steps just before the root change: the pause for prestart and createRuntime (run by the
 * parent's caller in the runtime's namespaces, once init's namespaces exist), then the
 * createContainer hooks, which init runs in the container's namespaces, host paths still visible.
 */
export function hooksBeforeRootChange(spec: Spec, base: HookStateBase): InitStep[] {
  const steps: InitStep[] = [];
  if (hasHooks(spec, 'prestart') || hasHooks(spec, 'createRuntime')) {
    // Checked here too, so a bad entry fails the plan before any clone.
    hookCommands(spec, 'prestart');
    hookCommands(spec, 'createRuntime');
    const pause: ParentHooksStep = { op: 'parentHooks' };
    steps.push(pause);
  }
  const created = runHooksStep(spec, 'createContainer', { ...base, status: 'creating' });
  if (created) steps.push(created);
  return steps;
}

/** startContainer hooks (status `created`, as runc reports it to them), or null. */
export function startContainerHooks(spec: Spec, base: HookStateBase): RunHooksStep | null {
  return runHooksStep(spec, 'startContainer', { ...base, status: 'created' });
}

/** `hookSteps` placed right before the root change of `init`. */
function beforeRootChange(init: InitStep[], hookSteps: InitStep[]): InitStep[] {
  if (hookSteps.length === 0) return init;
  const at = init.findIndex(isRootChange);
  if (at < 0) throw new Error('hooks need a plan with a root change');
  return [...init.slice(0, at), ...hookSteps, ...init.slice(at)];
}

/** `plan` with the hook steps of the config: before the root change, and in exec. */
export function withHooks(plan: InitPlan, spec: Spec, ctx: PlanContext): InitPlan {
  if (!spec.hooks) return plan;
  const base: HookStateBase = { ociVersion: OCI_VERSION, id: ctx.containerId ?? '', bundle: ctx.bundle, annotations: spec.annotations };
  const startHooks = startContainerHooks(spec, base);
  return {
    ...plan,
    init: beforeRootChange(plan.init, hooksBeforeRootChange(spec, base)),
    exec: startHooks ? { ...plan.exec, startContainerHooks: startHooks } : plan.exec,
  };
}

function runHooksStep(spec: Spec, kind: 'createContainer' | 'startContainer', state: HookStateFields): RunHooksStep | null {
  const hooks = hookCommands(spec, kind);
  return hooks.length
    ? { op: 'runHooks', kind, hooks, state: stateAroundPid(state), killSignal: HOOK_KILL_SIGNAL, outputQuoted: HOOK_OUTPUT_QUOTED }
    : null;
}

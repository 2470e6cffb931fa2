/**
 * The compiled filters of the seccomp profiles a long-lived caller (tsrund) has seen. libseccomp
 * takes ~10 ms to compile a Docker-style profile for three architectures, and every container of
 * the same profile would pay it again in its monitor; a plan may carry the program instead
 * (SeccompStep.program), which the C decoder then loads as it is. The program is libseccomp's own
 * output for a description equal to the step's, so a plan with it loads the very filter the
 * description compiles to.
 */
import type { BpfInstruction, InitPlan, SeccompStep } from '../plan/types';
import { native } from './binding';
import { encodePlan } from './encode';

/** Distinct profiles kept; the oldest goes first. */
const KEPT_PROFILES = 32;

export class SeccompPrograms {
  private readonly programs = new Map<string, BpfInstruction[]>();

  constructor(private readonly kept = KEPT_PROFILES) {}

  /**
   * `plan` with its seccomp step's program, compiled now when this description is new; `plan`
   * itself when it has no seccomp step or the description does not compile (the executor reports
   * that failure at its step, as without a program).
   */
  withProgram(plan: InitPlan): InitPlan {
    const step = seccompStepOf(plan);
    if (!step || step.program?.length) return plan;
    // The listener names the container (its state document): the filter does not depend on it.
    const key = JSON.stringify({ ...step, listener: undefined });
    let program = this.programs.get(key);
    if (!program) {
      program = native.seccompProgram(encodePlan(plan)) ?? undefined;
      if (!program) return plan;
      this.remember(key, program);
    }
    return replaceSeccompStep(plan, step, { ...step, program });
  }

  private remember(key: string, program: BpfInstruction[]): void {
    if (this.programs.size >= this.kept) this.programs.delete(this.programs.keys().next().value as string);
    this.programs.set(key, program);
  }
}

/** A plan holds at most one seccomp step: an init step (with an agent) or the exec's. */
function seccompStepOf(plan: InitPlan): SeccompStep | null {
  const init = plan.init.find((s): s is SeccompStep => s.op === 'seccomp');
  return init ?? plan.exec.seccomp ?? null;
}

function replaceSeccompStep(plan: InitPlan, old: SeccompStep, step: SeccompStep): InitPlan {
  if (plan.exec.seccomp === old) return { ...plan, exec: { ...plan.exec, seccomp: step } };
  return { ...plan, init: plan.init.map((s) => (s === old ? step : s)) };
}

/**
 * InitPlan -> the bytes the C executor decodes (format: the comment at the top of
 * native/src/exec/plan.c). The encoder is generated from the contract
 * (runtime/plan/contract/steps.json), so it checks every bound the C decoder checks.
 */
import type { InitPlan } from '../plan/types';
import { PLAN_MAGIC, PLAN_VERSION, writeInitPlan } from './generated/plan-encoder';
import { PlanWriter } from './plan-writer';

export { OP_CODES, PLAN_MAGIC, PLAN_VERSION } from './generated/plan-encoder';

export function encodePlan(plan: InitPlan): Buffer {
  const w = new PlanWriter();
  w.header(PLAN_MAGIC, PLAN_VERSION);
  writeInitPlan(w, plan);
  return w.finish();
}

/** linux.personality as a personality(2) step: the execution domain `uname -m` reports from. */
import type { Spec } from '../../spec/types';
import { abiValue, PERSONALITIES } from './linux';
import { PlanError } from './plan-error';
import type { PersonalityStep } from './types';

export function personalitySteps(spec: Spec): PersonalityStep[] {
  const personality = spec.linux?.personality;
  if (!personality) return [];
  const persona = abiValue(PERSONALITIES, personality.domain);
  if (persona === undefined) {
    throw new PlanError('linux.personality.domain', `unknown execution domain "${personality.domain}" (LINUX or LINUX32)`);
  }
  // runtime-spec v1.3.0 defines no flag; one given is something this runtime cannot honour.
  const flags = personality.flags ?? [];
  if (flags.length > 0) throw new PlanError('linux.personality.flags[0]', `unknown personality flag "${flags[0]}"`);
  return [{ op: 'personality', persona }];
}

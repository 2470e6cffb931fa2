/**
 * A Create request's ulimits (docker's --ulimit NAME=SOFT[:HARD]) as process.rlimits: each
 * replaces the config's limit of the same name; the last of a name wins, as docker keeps them.
 * Pure; a bad one is INVALID_ARGUMENT naming its field.
 */
import type { Spec } from '../../spec/types';
import { invalidArgument } from '../shared/errors';
import type { Ulimit } from '../api/types';
import { ULIMIT_NAMES } from '../shared/docker-grammar';

/** RLIM_INFINITY as a JSON number: 2^64, which the runtime reads as the infinity it rounds to. */
const UNLIMITED = 2 ** 64;

function limitValue(v: number, field: string): number {
  if (!Number.isSafeInteger(v) || v < -1) throw invalidArgument(field, `${v}: give a limit of 0 or more, or -1 for unlimited`);
  return v === -1 ? UNLIMITED : v;
}

export function applyUlimits(spec: Spec, ulimits: readonly Ulimit[]): void {
  if (ulimits.length === 0) return;
  const byType = new Map<string, { soft: number; hard: number }>();
  ulimits.forEach((u, i) => {
    const at = `overrides.ulimits[${i}]`;
    if (!ULIMIT_NAMES.includes(u.name)) throw invalidArgument(`${at}.name`, `invalid ulimit type: ${JSON.stringify(u.name)}; give one of ${ULIMIT_NAMES.join(', ')}`);
    if (u.hard !== -1 && (u.soft === -1 || u.soft > u.hard)) {
      throw invalidArgument(`${at}.soft`, `ulimit soft limit must be less than or equal to hard limit: ${u.soft === -1 ? 'unlimited' : u.soft} > ${u.hard}`);
    }
    byType.set(`RLIMIT_${u.name.toUpperCase()}`, { soft: limitValue(u.soft, `${at}.soft`), hard: limitValue(u.hard, `${at}.hard`) });
  });
  const proc = spec.process;
  if (!proc) throw invalidArgument('overrides.ulimits', 'the config has no process to limit');
  proc.rlimits = [...(proc.rlimits ?? []).filter((r) => !byType.has(r.type)), ...[...byType].map(([type, l]) => ({ type, ...l }))];
}

/**
 * A container's config: the bundle's config.json with the Create request's overrides applied.
 * Pure; a bad override is INVALID_ARGUMENT naming its request field.
 */
import { NO_ID } from '../../spec/rules';
import type { Spec } from '../../spec/types';
import { invalidArgument } from '../shared/errors';
import type { ProcessOverrides } from '../api/types';

const ENV_NAME = /^[^=\0]+$/;
const USER = /^(\d+)(?::(\d+))?$/;
/** 4294967295 would be (uid_t) -1, "no change" to setresuid(2): the process would stay root. */
const MAX_ID = NO_ID - 1;

export function applyOverrides(base: Spec, o: ProcessOverrides | null): Spec {
  const spec: Spec = structuredClone(base);
  if (!o) return spec;
  const proc = (spec.process ??= { cwd: '/', args: [], user: { uid: 0, gid: 0 } } as NonNullable<Spec['process']>);
  if (o.args.length > 0) proc.args = [...o.args];
  if (o.env.length > 0) proc.env = mergeEnv(proc.env ?? [], o.env);
  if (o.cwd !== '') {
    if (!o.cwd.startsWith('/')) throw invalidArgument('overrides.cwd', `${JSON.stringify(o.cwd)} is not an absolute path`);
    proc.cwd = o.cwd;
  }
  if (o.user !== '') {
    const m = USER.exec(o.user);
    if (!m || Number(m[1]) > MAX_ID || Number(m[2] ?? 0) > MAX_ID) {
      throw invalidArgument('overrides.user', `${JSON.stringify(o.user)} is not "uid" or "uid:gid" with ids from 0 to ${MAX_ID} (user names need an image)`);
    }
    proc.user = { ...proc.user, uid: Number(m[1]), gid: Number(m[2] ?? m[1]) };
  }
  if (o.terminal) proc.terminal = true;
  o.mounts.forEach((m, i) => {
    if (!m.destination.startsWith('/')) throw invalidArgument(`overrides.mounts[${i}].destination`, 'must be an absolute path');
    if (m.type === '' && m.source === '') throw invalidArgument(`overrides.mounts[${i}]`, 'needs a type or a source');
    (spec.mounts ??= []).push({
      destination: m.destination,
      ...(m.type ? { type: m.type } : {}),
      ...(m.source ? { source: m.source } : {}),
      ...(m.options.length ? { options: [...m.options] } : {}),
    });
  });
  if (o.resources) applyResources(spec, o.resources);
  return spec;
}

/** Entries of `extra` replace entries of `env` with the same name, in place; new ones go last. */
function mergeEnv(env: string[], extra: string[]): string[] {
  const out = [...env];
  extra.forEach((entry, i) => {
    const eq = entry.indexOf('=');
    if (eq <= 0 || !ENV_NAME.test(entry.slice(0, eq))) {
      throw invalidArgument(`overrides.env[${i}]`, `${JSON.stringify(entry.slice(0, 80))} is not NAME=value`);
    }
    const name = entry.slice(0, eq + 1);
    const at = out.findIndex((e) => e.startsWith(name));
    if (at >= 0) out[at] = entry;
    else out.push(entry);
  });
  return out;
}

function applyResources(spec: Spec, r: NonNullable<ProcessOverrides['resources']>): void {
  const negative = (['memoryLimit', 'cpuQuota', 'pidsLimit'] as const).find((k) => r[k] < 0 && r[k] !== -1);
  if (negative) throw invalidArgument(`overrides.resources.${negative}`, 'must be positive (or -1: unlimited)');
  const linux = (spec.linux ??= {});
  const res = (linux.resources ??= {});
  if (r.memoryLimit !== 0) res.memory = { ...res.memory, limit: r.memoryLimit };
  if (r.cpuShares !== 0) res.cpu = { ...res.cpu, shares: r.cpuShares };
  if (r.cpuQuota !== 0) res.cpu = { ...res.cpu, quota: r.cpuQuota };
  if (r.cpuPeriod !== 0) res.cpu = { ...res.cpu, period: r.cpuPeriod };
  if (r.cpusetCpus !== '') res.cpu = { ...res.cpu, cpus: r.cpusetCpus };
  if (r.pidsLimit !== 0) res.pids = { ...res.pids, limit: r.pidsLimit };
}

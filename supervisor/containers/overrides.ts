/**
 * A container's config: the bundle's config.json with the Create request's overrides applied
 * (args, env, cwd and user as Tasks.Exec applies them: ./process-request.ts). Pure; a bad
 * override is INVALID_ARGUMENT naming its request field.
 */
import type { Process, Spec } from '../../spec/types';
import { invalidArgument } from '../shared/errors';
import type { ProcessOverrides } from '../api/types';
import { applyProcessRequest } from './process-request';

export function applyOverrides(base: Spec, o: ProcessOverrides | null): Spec {
  const spec: Spec = structuredClone(base);
  if (!o) return spec;
  const proc = applyProcessRequest(spec.process ?? ({ cwd: '/', args: [], user: { uid: 0, gid: 0 } } as Process), o, 'overrides.');
  if (o.terminal) proc.terminal = true;
  spec.process = proc;
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

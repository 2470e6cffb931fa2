/**
 * process.execCPUAffinity (config.md § Linux Process) as plan steps. The spec makes it a setting
 * of processes run with `exec` only, never of the container's init (runc ignores it there too):
 * `initial` is the CPU set of the runtime's process until it joins the container's cgroups (a
 * stage1 step, inherited by init), `final` the one of the process after it joined (an init step,
 * before the credentials and the seccomp filter change).
 */
import type { Process } from '../../spec/types';
import { PlanError } from './plan-error';
import type { SetAffinityStep } from './types';

/** CPU_SETSIZE of glibc: the CPUs a cpu_set_t holds, which is what the executor passes the kernel. */
export const MAX_AFFINITY_CPUS = 1024;

/**
 * A Linux CPU list ("0-3,7", blanks allowed around items as the schema's pattern does) as the
 * ascending CPU numbers it names; throws PlanError at `at` when it is not one.
 */
export function parseCpuList(text: string, at: string): number[] {
  const cpus = new Set<number>();
  for (const raw of text.split(',')) {
    const item = raw.trim();
    const match = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(item);
    if (!match) throw new PlanError(at, `"${text}" is not a CPU list such as "0-3,7" (bad item "${item}")`);
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    if (last < first) throw new PlanError(at, `"${text}": the range ${item} runs backwards`);
    if (last >= MAX_AFFINITY_CPUS) throw new PlanError(at, `"${text}": CPU ${last} is beyond the ${MAX_AFFINITY_CPUS} CPUs an affinity mask holds`);
    for (let cpu = first; cpu <= last; cpu++) cpus.add(cpu);
  }
  return [...cpus].sort((a, b) => a - b);
}

/** The step of one field of execCPUAffinity; none when it is absent or empty (the spec's "omitted or empty"). */
function affinityStep(proc: Process, field: 'initial' | 'final'): SetAffinityStep[] {
  const text = proc.execCPUAffinity?.[field];
  if (text === undefined || text.trim() === '') return [];
  const purpose = `process.execCPUAffinity.${field}`;
  return [{ op: 'setAffinity', cpus: parseCpuList(text, purpose), purpose }];
}

/** The stage1 step of execCPUAffinity.initial: first of all, before the process joins anything. */
export function initialAffinitySteps(proc: Process): SetAffinityStep[] {
  return affinityStep(proc, 'initial');
}

/** The init step of execCPUAffinity.final, once the parent has put the process in the container's cgroups. */
export function finalAffinitySteps(proc: Process): SetAffinityStep[] {
  return affinityStep(proc, 'final');
}

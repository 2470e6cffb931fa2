/**
 * process.scheduler and process.ioPriority as sched_setattr(2) and ioprio_set(2) steps, checked
 * as runc checks them so that a config either runs as asked or is refused before anything starts.
 */
import type { LinuxIOPriority, LinuxScheduler } from '../../spec/types';
import { abiValue, IOPRIO_CLASSES, SCHED_FLAGS, SCHED_POLICIES } from './linux';
import { PlanError } from './plan-error';
import type { IoPriorityStep, SchedulerStep } from './types';

const NICE_MIN = -20;
const NICE_MAX = 19;
/** The highest real-time priority of SCHED_FIFO and SCHED_RR (sched_get_priority_max). */
const RT_PRIORITY_MAX = 99;
const IOPRIO_LEVEL_MAX = 7;

function nanoseconds(value: number | undefined, at: string): string {
  if (value === undefined) return '0';
  if (!Number.isSafeInteger(value) || value < 0) throw new PlanError(at, `must be a non-negative integer of nanoseconds, not ${value}`);
  return String(value);
}

export function schedulerSteps(scheduler: LinuxScheduler | undefined): SchedulerStep[] {
  if (!scheduler) return [];
  const at = 'process.scheduler';
  const policy = abiValue(SCHED_POLICIES, scheduler.policy);
  if (policy === undefined) throw new PlanError(`${at}.policy`, `unknown scheduling policy "${scheduler.policy}"`);
  if (scheduler.policy === 'SCHED_ISO') throw new PlanError(`${at}.policy`, 'SCHED_ISO is reserved and not implemented by Linux');
  const nice = scheduler.nice ?? 0;
  if (!Number.isInteger(nice) || nice < NICE_MIN || nice > NICE_MAX) {
    throw new PlanError(`${at}.nice`, `must be an integer from ${NICE_MIN} to ${NICE_MAX}, not ${nice}`);
  }
  const realTime = scheduler.policy === 'SCHED_FIFO' || scheduler.policy === 'SCHED_RR';
  const priority = scheduler.priority ?? 0;
  if (priority !== 0 && !realTime) throw new PlanError(`${at}.priority`, `only SCHED_FIFO and SCHED_RR take a priority, not ${scheduler.policy}`);
  if (!Number.isInteger(priority) || priority < 0 || priority > RT_PRIORITY_MAX) {
    throw new PlanError(`${at}.priority`, `must be an integer from 1 to ${RT_PRIORITY_MAX}, not ${priority}`);
  }
  if (realTime && priority === 0) throw new PlanError(`${at}.priority`, `${scheduler.policy} needs a priority from 1 to ${RT_PRIORITY_MAX}`);
  if (scheduler.policy !== 'SCHED_DEADLINE') {
    for (const field of ['runtime', 'deadline', 'period'] as const) {
      if (scheduler[field]) throw new PlanError(`${at}.${field}`, `only SCHED_DEADLINE takes a ${field}, not ${scheduler.policy}`);
    }
  }
  if (scheduler.policy === 'SCHED_DEADLINE') checkDeadline(scheduler);
  const flags = (scheduler.flags ?? []).reduce((bits, name, i) => {
    const bit = abiValue(SCHED_FLAGS, name);
    if (bit === undefined) throw new PlanError(`${at}.flags[${i}]`, `unknown scheduler flag "${name}"`);
    return bits | bit;
  }, 0);
  return [
    {
      op: 'scheduler',
      policy,
      flags: String(flags),
      nice,
      priority,
      runtime: nanoseconds(scheduler.runtime, `${at}.runtime`),
      deadline: nanoseconds(scheduler.deadline, `${at}.deadline`),
      period: nanoseconds(scheduler.period, `${at}.period`),
    },
  ];
}

/** The kernel's rule for SCHED_DEADLINE: 0 < runtime <= deadline <= period (a period of 0 is the deadline). */
function checkDeadline(s: LinuxScheduler): void {
  const { runtime = 0, deadline = 0, period = 0 } = s;
  if (deadline === 0) throw new PlanError('process.scheduler.deadline', 'SCHED_DEADLINE needs a deadline');
  if (runtime === 0 || runtime > deadline) throw new PlanError('process.scheduler.runtime', `must be from 1 to the deadline (${deadline}), not ${runtime}`);
  if (period !== 0 && period < deadline) throw new PlanError('process.scheduler.period', `must not be shorter than the deadline (${deadline}), not ${period}`);
}

export function ioPrioritySteps(ioPriority: LinuxIOPriority | undefined): IoPriorityStep[] {
  if (!ioPriority) return [];
  const ioClass = abiValue(IOPRIO_CLASSES, ioPriority.class);
  if (ioClass === undefined) throw new PlanError('process.ioPriority.class', `unknown I/O priority class "${ioPriority.class}"`);
  const level = ioPriority.priority ?? 0;
  if (!Number.isInteger(level) || level < 0 || level > IOPRIO_LEVEL_MAX) {
    throw new PlanError('process.ioPriority.priority', `must be an integer from 0 to ${IOPRIO_LEVEL_MAX}, not ${level}`);
  }
  return [{ op: 'ioPriority', ioClass, level }];
}

/**
 * The class of the RLIMIT_NOFILE 0 bug: a limit set before a step of the runtime's own (the exec
 * fifo, a hook, the terminal, the seccomp agent) breaks that step. Over seeded configs with any
 * mix of those steps, the container init's and an exec's limits all travel in ExecSpec.rlimits,
 * which the executor sets after the fifo wait and the startContainer hooks and before the
 * seccomp filter (native/src/exec/execfinal.c); no init step sets one.
 */
import { defaultSpec } from '../../spec/default-config';
import type { POSIXRlimit } from '../../spec/types';
import { SeededRandom } from '../../test/helpers/seeded-choices';
import { buildInitPlan } from './build';
import { buildExecPlan, type ExecPlanContext } from './exec-plan';
import { RLIMITS } from './linux';
import { specWith, testContext } from '../../test/helpers/plan-context';
import type { DefaultSpec } from '../../spec/default-config';

const CASES = 200;
const SCMP_ACT_ALLOW = 'SCMP_ACT_ALLOW';
const RESOURCES = Object.keys(RLIMITS);

/** A config with a random subset of what makes init open fds, wait or fork, and random limits. */
function randomSpec(rng: SeededRandom): DefaultSpec {
  return specWith((s) => {
    const types = RESOURCES.filter(() => rng.chance(0.4));
    s.process.rlimits = types.map((type): POSIXRlimit => ({ type, soft: rng.int(8), hard: 8 + rng.int(1024) }));
    s.process.noNewPrivileges = rng.chance(0.5);
    s.process.terminal = rng.chance(0.3);
    const hook = { path: '/bin/true' };
    s.hooks = {
      ...(rng.chance(0.5) ? { createContainer: [hook] } : {}),
      ...(rng.chance(0.5) ? { startContainer: [hook] } : {}),
      ...(rng.chance(0.5) ? { prestart: [hook] } : {}),
    };
    if (rng.chance(0.6)) {
      s.linux.seccomp = {
        defaultAction: SCMP_ACT_ALLOW,
        syscalls: [{ names: ['getcwd'], action: rng.chance(0.3) ? 'SCMP_ACT_NOTIFY' : 'SCMP_ACT_ERRNO' }],
      } as DefaultSpec['linux']['seccomp'];
      if (s.linux.seccomp?.syscalls?.[0].action === 'SCMP_ACT_NOTIFY') s.linux.seccomp.listenerPath = '/run/agent.sock';
    }
  });
}

function expectedLimits(spec: DefaultSpec): number[] {
  return spec.process.rlimits.map((r) => RLIMITS[r.type]);
}

test('no init step sets a limit: every limit of the config is in ExecSpec.rlimits, in config order', () => {
  const rng = new SeededRandom(0x51e7);
  for (let i = 0; i < CASES; i++) {
    const spec = randomSpec(rng);
    const plan = buildInitPlan(spec, testContext({ consoleSocket: 5, containerId: 'c1', inheritedNofile: { soft: '1024', hard: '4096' } }));
    expect(plan.init.filter((s) => s.op === 'setrlimit')).toEqual([]);
    const resources = (plan.exec.rlimits ?? []).map((r) => r.resource);
    const withInherited = spec.process.rlimits.some((r) => r.type === 'RLIMIT_NOFILE') ? [] : [RLIMITS.RLIMIT_NOFILE];
    expect(resources).toEqual([...expectedLimits(spec), ...withInherited]);
    // A filter without an agent comes after the limits (ExecSpec.seccomp), one with an agent is an init step.
    const agent = spec.linux.seccomp?.listenerPath !== undefined;
    if (spec.linux.seccomp) expect(Boolean(plan.exec.seccomp)).toBe(!agent);
  }
});

test('an exec follows the same order: its limits are in ExecSpec.rlimits, none is an init step', () => {
  const rng = new SeededRandom(0xe8ec);
  const ctx: ExecPlanContext = {
    lastCap: 40,
    inheritedNofile: { soft: '1024', hard: '4096' },
    preserveFds: 0,
    namespaces: [{ type: 'mount', path: '/proc/42/ns/mnt' }],
    cgroupProcsFiles: [],
    containerRoot: '/proc/42/root',
    containerId: 'c1',
    consoleSocket: 5,
    agent: { state: { ociVersion: '1.3.0', id: 'c1', status: 'running', bundle: '/b' }, containerPid: 42 },
  };
  for (let i = 0; i < CASES; i++) {
    const spec = randomSpec(rng);
    const plan = buildExecPlan({ ...spec.process, args: ['true'] }, defaultSpec(), ctx);
    expect(plan.init.filter((s) => s.op === 'setrlimit')).toEqual([]);
    const withInherited = spec.process.rlimits.some((r) => r.type === 'RLIMIT_NOFILE') ? [] : [RLIMITS.RLIMIT_NOFILE];
    expect((plan.exec.rlimits ?? []).map((r) => r.resource)).toEqual([...expectedLimits(spec), ...withInherited]);
  }
});

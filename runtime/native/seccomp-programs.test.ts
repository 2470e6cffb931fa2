/**
 * Compiled seccomp programs carried in the plan (runtime/native/seccomp-programs.ts, the
 * contract's SeccompStep.program): what tsrund keeps is libseccomp's own output for an equal
 * description, any other description compiles anew, and a program out of the contract's bounds
 * is refused. The executor loading a carried program: runtime/native/spawn.test.ts.
 */
import { decodePlan } from '../../test/helpers/test-native';
import { containerPlan, denyingFilter as denying } from '../../test/helpers/test-plans';
import type { BpfInstruction, InitPlan, InitStep, SeccompStep } from '../plan/types';
import { native } from './binding';
import { encodePlan, SeccompPrograms } from './index';

const SCMP_ACT_ALLOW = 0x7fff0000;
const SCMP_ACT_ERRNO = (errno: number) => 0x00050000 | errno;

const planWith = (rootfs: string, script: string, step: InitStep): InitPlan => containerPlan(rootfs, script, { afterPivot: [step] });
const stepOf = (plan: InitPlan) => plan.init.find((s): s is SeccompStep => s.op === 'seccomp')!;
const compiled = (plan: InitPlan) => native.seccompProgram(encodePlan(plan));

describe('SeccompPrograms', () => {
  test('the program in the plan is what the decoder compiles for the description, and travels on the wire', () => {
    const plan = planWith('/nonexistent', 'true', denying('mkdir', 'mkdirat'));
    const withProgram = new SeccompPrograms().withProgram(plan);
    const program = stepOf(withProgram).program!;
    expect(program.length).toBeGreaterThan(10);
    expect(program).toEqual(compiled(plan));
    expect(stepOf(decodePlan(encodePlan(withProgram))).program).toEqual(program);
    // The plan given is left as it was.
    expect(stepOf(plan).program).toBeUndefined();
  });

  test('an equal description takes the kept program; any change to it compiles another', () => {
    const programs = new SeccompPrograms();
    const first = stepOf(programs.withProgram(planWith('/a', 'true', denying('mkdir')))).program!;
    // Another plan (another container, another rootfs) with an equal description: the same program.
    expect(stepOf(programs.withProgram(planWith('/b', 'echo', denying('mkdir')))).program).toBe(first);
    const variants: SeccompStep[] = [
      denying('rmdir'),
      { ...denying('mkdir'), defaultAction: SCMP_ACT_ERRNO(1) },
      { ...denying('mkdir'), architectures: [] },
      { ...denying('mkdir'), rules: [{ syscall: 'mkdir', action: SCMP_ACT_ERRNO(13), conditions: [{ index: 1, op: 4, value: '448', valueTwo: '0' }] }] },
    ];
    for (const step of variants) {
      const plan = planWith('/a', 'true', step);
      const program = stepOf(programs.withProgram(plan)).program!;
      expect(program).not.toEqual(first);
      expect(program).toEqual(compiled(plan));
    }
  });

  test("the agent's listener, which names the container, is no part of the description: its program is kept too", () => {
    const programs = new SeccompPrograms();
    const NEW_LISTENER = 8;
    const SCMP_ACT_NOTIFY = 0x7fc00000;
    const notifying = (id: string): SeccompStep => ({
      ...denying(),
      flags: NEW_LISTENER,
      rules: [{ syscall: 'mkdir', action: SCMP_ACT_NOTIFY, conditions: [] }],
      listener: { path: '/run/agent.sock', stateParts: [`{"id":"${id}","pid":`, '}'] },
    });
    const first = stepOf(programs.withProgram(planWith('/a', 'true', notifying('one'))));
    const second = stepOf(programs.withProgram(planWith('/b', 'true', notifying('two'))));
    expect(second.program).toBe(first.program);
    expect(second.listener).toEqual(notifying('two').listener);
    expect(first.program).toEqual(compiled(planWith('/a', 'true', notifying('one'))));
    expect(stepOf(programs.withProgram(planWith('/a', 'true', { ...notifying('one'), flags: 0, listener: undefined }))).program).not.toBe(first.program);
  });

  test('a description that does not compile gets no program: the plan is returned as it is, and nothing is kept', () => {
    const programs = new SeccompPrograms();
    const plan = planWith('/a', 'true', { ...denying('mkdir'), architectures: [0x1234] });
    expect(programs.withProgram(plan)).toBe(plan);
    expect(programs.withProgram(plan)).toBe(plan);
    const none = containerPlan('/a', 'true');
    expect(programs.withProgram(none)).toBe(none);
  });

  test('the exec seccomp step gets its program too', () => {
    const plan = containerPlan('/a', 'true');
    plan.exec.seccomp = denying('chmod');
    expect(new SeccompPrograms().withProgram(plan).exec.seccomp!.program).toEqual(compiled(plan));
  });

  test('at most `kept` descriptions are kept: the oldest is compiled again', () => {
    const programs = new SeccompPrograms(2);
    const of = (name: string) => stepOf(programs.withProgram(planWith('/a', 'true', denying(name)))).program!;
    const mkdir = of('mkdir');
    of('rmdir');
    expect(of('rmdir')).toBe(of('rmdir'));
    of('chmod');
    const again = of('mkdir');
    expect(again).not.toBe(mkdir);
    expect(again).toEqual(mkdir);
  });

  test('the encoder refuses a program out of the contract: more than 4096 instructions, a code above 16 bits', () => {
    const insn: BpfInstruction = { code: 6, jt: 0, jf: 0, k: SCMP_ACT_ALLOW };
    const plan = (program: BpfInstruction[]) => planWith('/a', 'true', { ...denying(), program });
    const at = plan([]).init.findIndex((s) => s.op === 'seccomp');
    expect(() => encodePlan(plan(Array(4097).fill(insn)))).toThrow(`plan.init[${at}].program`);
    expect(() => encodePlan(plan([{ ...insn, code: 0x10000 }]))).toThrow(`plan.init[${at}].program[0].code`);
    expect(() => encodePlan(plan(Array(4096).fill(insn)))).not.toThrow();
  });
});

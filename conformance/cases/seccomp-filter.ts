/**
 * Cases on config-linux.md § Seccomp filters (actions, errnoRet, argument conditions, invalid
 * input), observed through system calls the probe makes with `--call`.
 */
import type { Config } from '../../test/helpers/bundle';
import { HOST_ARCHITECTURES, type Seccomp } from '../../test/helpers/seccomp-profiles';
import { Case, CaseContext, expect } from '../case';
import { PROBE_IN_CONTAINER, ProbeReport } from '../probe';
import { expectCreateFails } from './util';

const CLAUSE = 'config-linux.md § Seccomp';
const ELOOP = 40;
/** 128 + SIGSYS: how a foreground run reports a process the filter killed. */
const KILLED_BY_SIGSYS = 128 + 31;

type SyscallRule = NonNullable<Seccomp['syscalls']>[number];

function allowAllBut(rules: SyscallRule[]): (c: Config) => void {
  return (c) => {
    c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', architectures: HOST_ARCHITECTURES[process.arch], syscalls: rules };
  };
}

function callResult(report: ProbeReport, name: string): string {
  const r = report.calls[name];
  if (!r) return 'not made';
  if ('error' in r) return r.error;
  return r.errno ?? `returned ${r.ret}`;
}

async function probeCalls(ctx: CaseContext, rules: SyscallRule[], calls: string[]): Promise<ProbeReport> {
  return ctx.probe(allowAllBut(rules), calls.flatMap((name) => ['--call', name]));
}

export const seccompFilterCases: Case[] = [
  {
    id: 'seccomp.errno-ret',
    clause: CLAUSE,
    level: 'MUST',
    requirement: 'a syscall matched by an SCMP_ACT_ERRNO rule fails with the rule\'s errnoRet, others run, and the process runs under a seccomp filter',
    async check(ctx) {
      const report = await probeCalls(ctx, [{ names: ['getppid'], action: 'SCMP_ACT_ERRNO', errnoRet: ELOOP }], ['getppid', 'getsid']);
      expect(callResult(report, 'getppid') === 'ELOOP', `getppid gave ${callResult(report, 'getppid')}, want ELOOP`);
      expect(report.calls.getsid && !('error' in report.calls.getsid) && report.calls.getsid.errno === null, `the unfiltered getsid gave ${callResult(report, 'getsid')}`);
      expect(report.Seccomp === '2', `/proc/self/status Seccomp is ${report.Seccomp}, not 2 (filter)`);
    },
  },
  {
    id: 'seccomp.errno-default-eperm',
    clause: CLAUSE,
    level: 'MUST',
    requirement: 'an SCMP_ACT_ERRNO rule without errnoRet makes the syscall fail with EPERM',
    async check(ctx) {
      const report = await probeCalls(ctx, [{ names: ['getppid'], action: 'SCMP_ACT_ERRNO' }], ['getppid']);
      expect(callResult(report, 'getppid') === 'EPERM', `getppid gave ${callResult(report, 'getppid')}, want EPERM`);
    },
  },
  {
    id: 'seccomp.argument-condition',
    clause: CLAUSE,
    level: 'MUST',
    requirement: 'a rule with an args condition (arg 0 equal to 1) matches only calls whose argument satisfies it',
    async check(ctx) {
      const report = await probeCalls(
        ctx,
        [{ names: ['getpgid'], action: 'SCMP_ACT_ERRNO', errnoRet: ELOOP, args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }] }],
        ['getpgid1', 'getpgid0'],
      );
      expect(callResult(report, 'getpgid1') === 'ELOOP', `getpgid(1) gave ${callResult(report, 'getpgid1')}, want ELOOP`);
      expect(callResult(report, 'getpgid0').startsWith('returned'), `getpgid(0) gave ${callResult(report, 'getpgid0')}, want success`);
    },
  },
  {
    id: 'seccomp.kill-process',
    clause: CLAUSE,
    level: 'MUST',
    requirement: 'a syscall matched by SCMP_ACT_KILL_PROCESS kills the process with SIGSYS',
    async check(ctx) {
      const b = ctx.bundle([PROBE_IN_CONTAINER, '--call', 'getppid'], allowAllBut([{ names: ['getppid'], action: 'SCMP_ACT_KILL_PROCESS' }]));
      const id = ctx.runtime.newId('seckill');
      const r = await ctx.runtime.run(id, b.dir);
      expect(r.code === KILLED_BY_SIGSYS || r.signal === 'SIGSYS', `run ended with ${r.code ?? r.signal}, want ${KILLED_BY_SIGSYS} (SIGSYS): ${r.stderr.trim().slice(0, 200)}`);
      expect(r.stdout.includes('"calls":{'), 'the probe did not get as far as the filtered call');
    },
  },
  {
    id: 'seccomp.errno-ret-unsupported-action',
    clause: CLAUSE,
    level: 'MUST',
    requirement: 'errnoRet on an action that returns no errno (SCMP_ACT_KILL) is an error',
    async check(ctx) {
      const b = ctx.bundle(['true'], allowAllBut([{ names: ['getppid'], action: 'SCMP_ACT_KILL', errnoRet: ELOOP }]));
      expectCreateFails(ctx, b.dir, 'errnoRet on SCMP_ACT_KILL');
    },
  },
  {
    id: 'seccomp.invalid-action',
    clause: 'config.md § Valid values',
    level: 'MUST',
    requirement: 'a seccomp action outside the spec\'s set ("SCMP_ACT_CONFORMANCE") is an error',
    async check(ctx) {
      const b = ctx.bundle(['true'], allowAllBut([{ names: ['getppid'], action: 'SCMP_ACT_CONFORMANCE' as SyscallRule['action'] }]));
      expectCreateFails(ctx, b.dir, 'action SCMP_ACT_CONFORMANCE');
    },
  },
];

/**
 * Cases on the `process` object of config.md, observed from inside by the probe.
 */
import * as fs from 'fs';
import { Case, CaseFailure, CaseSkip, expect } from '../case';
import { PROBE_IN_CONTAINER } from '../probe';

const CAP_NUMBERS: Record<string, number> = {
  CAP_CHOWN: 0,
  CAP_KILL: 5,
  CAP_SETUID: 7,
  CAP_NET_BIND_SERVICE: 10,
  CAP_AUDIT_WRITE: 29,
};

/** The /proc/<pid>/status hex mask of a set of capability names. */
function capMask(names: string[]): bigint {
  return names.reduce((mask, name) => mask | (1n << BigInt(CAP_NUMBERS[name])), 0n);
}

function capNames(hex: string): string {
  const mask = BigInt(`0x${hex}`);
  const known = Object.entries(CAP_NUMBERS).filter(([, bit]) => mask & (1n << BigInt(bit))).map(([n]) => n);
  const unknown = mask & ~capMask(known);
  return `[${known.join(',')}${unknown ? ` +0x${unknown.toString(16)}` : ''}]`;
}

function sameSet(a: number[], b: number[]): boolean {
  return a.length === b.length && [...a].sort().every((v, i) => v === [...b].sort()[i]);
}

export const processCases: Case[] = [
  {
    id: 'process.args',
    clause: 'config.md § Process',
    level: 'MUST',
    requirement: 'the process gets process.args as its argv, unchanged (spaces and empty strings included)',
    async check(ctx) {
      const args = [PROBE_IN_CONTAINER, 'two words', '', '--flag=1'];
      const report = await ctx.probe((c) => {
        c.process.args = args;
      });
      expect(JSON.stringify(report.args) === JSON.stringify(args), `argv is ${JSON.stringify(report.args)}`);
    },
  },
  {
    id: 'process.args-path-lookup',
    clause: 'config.md § Process',
    level: 'MUST',
    requirement: 'args[0] without a slash is looked up in the PATH of process.env, as execvp does',
    async check(ctx) {
      const report = await ctx.probe((c) => {
        c.process.args = ['probe'];
        c.process.env = ['PATH=/usr/bin:/'];
      });
      expect(report.args[0] === 'probe', `argv[0] is ${report.args[0]}`);
    },
  },
  {
    id: 'process.env',
    clause: 'config.md § Process',
    level: 'MUST',
    requirement: 'every process.env entry is in the environment with its exact value',
    async check(ctx) {
      const env = ['PATH=/bin', 'HOME=/root', 'CONF_SPACES=a b  c', 'CONF_EMPTY=', 'CONF_EQUALS=x=y'];
      const report = await ctx.probe((c) => {
        c.process.env = env;
      });
      const missing = env.filter((e) => !report.env.includes(e));
      expect(missing.length === 0, `missing or changed: ${JSON.stringify(missing)}; environment is ${JSON.stringify(report.env)}`);
    },
  },
  {
    id: 'process.cwd',
    clause: 'config.md § Process',
    level: 'MUST',
    requirement: 'the process starts in process.cwd',
    async check(ctx) {
      const report = await ctx.probe((c) => {
        c.process.cwd = '/tmp';
      });
      expect(report.cwd === '/tmp', `cwd is ${report.cwd}`);
    },
  },
  {
    id: 'process.user',
    clause: 'config.md § User',
    level: 'MUST',
    requirement: 'the process runs with user.uid and user.gid (real and effective) and user.additionalGids as its supplementary groups',
    async check(ctx) {
      const report = await ctx.probe((c) => {
        c.process.user = { uid: 1000, gid: 1001, additionalGids: [5, 2000] };
      });
      expect(report.uid === 1000 && report.euid === 1000, `uid ${report.uid}, euid ${report.euid}`);
      expect(report.gid === 1001 && report.egid === 1001, `gid ${report.gid}, egid ${report.egid}`);
      // Listing the primary gid among the supplementary groups as well is a harmless convention.
      const groups = report.groups.filter((g) => g !== 1001);
      expect(sameSet(groups, [5, 2000]), `supplementary groups are ${JSON.stringify(report.groups)}`);
    },
  },
  {
    id: 'process.umask',
    clause: 'config.md § User',
    level: 'MUST',
    requirement: 'the process starts with user.umask',
    async check(ctx) {
      const report = await ctx.probe((c) => {
        c.process.user.umask = 0o027;
      });
      expect(report.umask === 0o027, `umask is 0${report.umask.toString(8)}`);
    },
  },
  {
    id: 'process.capabilities',
    clause: 'config.md § Linux Process',
    level: 'MUST',
    requirement: 'a non-root process has exactly the bounding, inheritable and ambient sets given, and (no file capabilities) permitted = effective = ambient',
    async check(ctx) {
      const report = await ctx.probe((c) => {
        c.process.user = { uid: 1000, gid: 1000 };
        c.process.capabilities = {
          bounding: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_SETUID'],
          inheritable: ['CAP_KILL', 'CAP_NET_BIND_SERVICE'],
          permitted: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
          effective: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
          ambient: ['CAP_KILL', 'CAP_NET_BIND_SERVICE'],
        };
      });
      const expected: [string, string, string[]][] = [
        ['bounding', report.CapBnd, ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_SETUID']],
        ['inheritable', report.CapInh, ['CAP_KILL', 'CAP_NET_BIND_SERVICE']],
        ['ambient', report.CapAmb, ['CAP_KILL', 'CAP_NET_BIND_SERVICE']],
        ['permitted', report.CapPrm, ['CAP_KILL', 'CAP_NET_BIND_SERVICE']],
        ['effective', report.CapEff, ['CAP_KILL', 'CAP_NET_BIND_SERVICE']],
      ];
      const wrong = expected.filter(([, hex, names]) => BigInt(`0x${hex}`) !== capMask(names));
      if (wrong.length) throw new CaseFailure(wrong.map(([set, hex, names]) => `${set} is ${capNames(hex)}, want [${names.join(',')}]`).join('; '));
    },
  },
  {
    id: 'process.capabilities-bounding-root',
    clause: 'config.md § Linux Process',
    level: 'MUST',
    requirement: 'a root process has exactly the bounding set given and no effective capability outside it',
    async check(ctx) {
      const bounding = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];
      const report = await ctx.probe((c) => {
        c.process.capabilities = { bounding, permitted: bounding, effective: bounding };
      });
      expect(BigInt(`0x${report.CapBnd}`) === capMask(bounding), `bounding is ${capNames(report.CapBnd)}`);
      expect((BigInt(`0x${report.CapEff}`) & ~capMask(bounding)) === 0n, `effective is ${capNames(report.CapEff)}`);
    },
  },
  {
    id: 'process.no-new-privileges',
    clause: 'config.md § Linux Process',
    level: 'MUST',
    requirement: 'noNewPrivileges true sets the no_new_privs bit; false leaves it clear (as the caller has it)',
    async check(ctx) {
      const on = await ctx.probe((c) => {
        c.process.noNewPrivileges = true;
      });
      expect(on.NoNewPrivs === '1', `with noNewPrivileges true, NoNewPrivs is ${on.NoNewPrivs}`);
      if (/^NoNewPrivs:\s*1$/m.test(fs.readFileSync('/proc/self/status', 'utf8'))) {
        throw new CaseSkip('the runner itself has no_new_privs set, so false cannot be observed');
      }
      const off = await ctx.probe((c) => {
        c.process.noNewPrivileges = false;
      });
      expect(off.NoNewPrivs === '0', `with noNewPrivileges false, NoNewPrivs is ${off.NoNewPrivs}`);
    },
  },
  {
    id: 'process.rlimits',
    clause: 'config.md § POSIX process',
    level: 'MUST',
    requirement: 'each process.rlimits entry is the soft and hard limit the process sees',
    async check(ctx) {
      const report = await ctx.probe((c) => {
        c.process.rlimits = [
          { type: 'RLIMIT_NOFILE', soft: 100, hard: 200 },
          { type: 'RLIMIT_CORE', soft: 0, hard: 4096 },
          { type: 'RLIMIT_NPROC', soft: 777, hard: 888 },
        ];
      });
      const want: Record<string, { soft: number; hard: number }> = {
        RLIMIT_NOFILE: { soft: 100, hard: 200 },
        RLIMIT_CORE: { soft: 0, hard: 4096 },
        RLIMIT_NPROC: { soft: 777, hard: 888 },
      };
      const wrong = Object.entries(want).filter(([t, l]) => report.rlimits[t]?.soft !== l.soft || report.rlimits[t]?.hard !== l.hard);
      expect(wrong.length === 0, wrong.map(([t]) => `${t} is ${JSON.stringify(report.rlimits[t])}`).join('; '));
    },
  },
  {
    id: 'process.rlimits-unknown-type',
    clause: 'config.md § POSIX process',
    level: 'MUST',
    requirement: 'an rlimit type the kernel has no limit for is an error',
    async check(ctx) {
      const bundle = ctx.bundle(['true'], (c) => {
        c.process.rlimits = [{ type: 'RLIMIT_CONFORMANCE', soft: 1, hard: 1 }];
      });
      const id = ctx.runtime.newId('rlimit');
      const r = ctx.runtime.create(id, bundle.dir);
      expect(r.code !== 0, 'create with rlimit RLIMIT_CONFORMANCE succeeded');
    },
  },
  {
    id: 'process.oom-score-adj',
    clause: 'config.md § Linux Process',
    level: 'MUST',
    requirement: 'oomScoreAdj is written to the process oom_score_adj',
    async check(ctx) {
      const report = await ctx.probe((c) => {
        c.process.oomScoreAdj = 123;
      });
      expect(report.oomScoreAdj === '123', `oom_score_adj is ${report.oomScoreAdj}`);
    },
  },
  {
    id: 'process.cwd-relative',
    clause: 'config.md § Process',
    level: 'MUST',
    requirement: 'a relative process.cwd is invalid and create fails',
    async check(ctx) {
      const bundle = ctx.bundle(['true'], (c) => {
        c.process.cwd = 'tmp';
      });
      const r = ctx.runtime.create(ctx.runtime.newId('cwd'), bundle.dir);
      expect(r.code !== 0, 'create with cwd "tmp" succeeded');
    },
  },
  {
    id: 'process.args-empty',
    clause: 'config.md § Process',
    level: 'MUST',
    requirement: 'process.args needs at least one entry: an empty list is invalid and create (or start) fails',
    async check(ctx) {
      const bundle = ctx.bundle([]);
      const id = ctx.runtime.newId('noargs');
      const created = ctx.runtime.create(id, bundle.dir);
      if (created.code !== 0) return;
      const started = ctx.runtime.cmd(['start', id]);
      expect(started.code !== 0, 'create and start with empty process.args both succeeded');
    },
  },
];

/**
 * Cases on config-linux.md § Seccomp with strict allow-list profiles (default deny): a profile
 * that allows what the container process needs, in the shape of the profiles of 2020 and before
 * (no close_range, faccessat2, openat2, clone3), runs it whatever the runtime does on its way to
 * execve, with and without noNewPrivileges, through run, create/start and exec.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Bundle, Config } from '../../test/helpers/bundle';
import {
  ALLOW_LISTS_ARCH,
  allowListProfile,
  BUSYBOX_ECHO,
  BUSYBOX_REDIRECT,
  BUSYBOX_SLEEP,
  GO_RUNTIME_INIT,
} from '../../test/helpers/seccomp-profiles';
import { Case, CaseContext, CaseSkip, expect } from '../case';
import { waitFor } from './util';

const CLAUSE = 'config-linux.md § Seccomp';
const ENOSYS = 38;

/** The lists name x86_64's syscalls: elsewhere the profile would deny what the host calls instead. */
function requireListsArch(): void {
  if (process.arch !== ALLOW_LISTS_ARCH) throw new CaseSkip(`the allow lists were traced on ${ALLOW_LISTS_ARCH}, this host is ${process.arch}`);
}

function withProfile(names: readonly string[], noNewPrivileges: boolean): (c: Config) => void {
  return (c) => {
    c.process.noNewPrivileges = noNewPrivileges;
    // The workload reports through a file of the rootfs the case reads from the host.
    c.root.readonly = false;
    c.linux.seccomp = allowListProfile([...names, ...GO_RUNTIME_INIT]);
  };
}

function brief(text: string): string {
  return text.trim().slice(0, 300);
}

const NNP_VARIANTS: [string, boolean][] = [
  ['nnp', true],
  ['privileged', false],
];

/** What the workload wrote to `file` of the rootfs, once it is there (or null after `timeoutMs`). */
async function writtenBy(rootfs: string, file: string, timeoutMs: number): Promise<string | null> {
  const at = path.join(rootfs, file);
  const seen = await waitFor(() => fs.existsSync(at) && fs.readFileSync(at, 'utf8').endsWith('\n'), timeoutMs);
  return seen ? fs.readFileSync(at, 'utf8') : null;
}

function runCase(variant: string, noNewPrivileges: boolean): Case {
  return {
    id: `seccomp.allow-list-run-${variant}`,
    clause: CLAUSE,
    level: 'MUST',
    requirement: `a default-deny allow-list profile of what sh -c echo needs (no close_range, faccessat2, openat2, clone3) runs the process; noNewPrivileges ${noNewPrivileges}`,
    async check(ctx) {
      requireListsArch();
      const b = ctx.bundle(['sh', '-c', 'echo allowed'], withProfile(BUSYBOX_ECHO, noNewPrivileges));
      const id = ctx.runtime.newId('secallow');
      const r = await ctx.runtime.run(id, b.dir);
      ctx.runtime.forceDelete(id);
      expect(r.code === 0 && r.stdout === 'allowed\n', `run ended with ${r.code ?? r.signal}, stdout ${JSON.stringify(r.stdout)}: ${brief(r.stderr)}`);
    },
  };
}

/** create and start `b` under a fresh id, run `then` on the running container, force-delete it whatever happens. */
async function createStarted(ctx: CaseContext, b: Bundle, prefix: string, then: (id: string) => Promise<void>): Promise<void> {
  const id = ctx.runtime.newId(prefix);
  try {
    const created = ctx.runtime.create(id, b.dir);
    expect(created.code === 0, `create failed: ${brief(created.stderr)}`);
    const started = ctx.runtime.cmd(['start', id]);
    expect(started.code === 0, `start failed: ${brief(started.stderr)}`);
    await then(id);
  } finally {
    ctx.runtime.forceDelete(id);
  }
}

function createStartCase(variant: string, noNewPrivileges: boolean): Case {
  return {
    id: `seccomp.allow-list-create-start-${variant}`,
    clause: CLAUSE,
    level: 'MUST',
    requirement: `under the same allow-list profile a created container runs its process at start; noNewPrivileges ${noNewPrivileges}`,
    async check(ctx) {
      requireListsArch();
      const b = ctx.bundle(['sh', '-c', 'echo started > /tmp/out'], withProfile([...BUSYBOX_ECHO, ...BUSYBOX_REDIRECT], noNewPrivileges));
      await createStarted(ctx, b, 'seccreate', async () => {
        const out = await writtenBy(b.rootfs, 'tmp/out', 5_000);
        expect(out === 'started\n', `the process wrote ${JSON.stringify(out)} to /tmp/out, not "started\\n"`);
      });
    },
  };
}

function execCase(variant: string, noNewPrivileges: boolean): Case {
  return {
    id: `seccomp.allow-list-exec-${variant}`,
    clause: CLAUSE,
    level: 'MUST',
    requirement: `a process exec'd into a container with the allow-list profile runs under it; noNewPrivileges ${noNewPrivileges}`,
    async check(ctx) {
      requireListsArch();
      const b = ctx.bundle(['sleep', '30'], withProfile([...BUSYBOX_ECHO, ...BUSYBOX_REDIRECT, ...BUSYBOX_SLEEP], noNewPrivileges));
      await createStarted(ctx, b, 'secexec', async (id) => {
        const r = ctx.runtime.cmd(['exec', id, 'sh', '-c', 'echo execd > /tmp/exec-out']);
        expect(r.code === 0, `exec ended with ${r.code ?? r.signal}: ${brief(r.stderr)}`);
        const out = await writtenBy(b.rootfs, 'tmp/exec-out', 5_000);
        expect(out === 'execd\n', `the exec'd process wrote ${JSON.stringify(out)}, not "execd\\n"`);
      });
    },
  };
}

export const seccompAllowListCases: Case[] = [
  ...NNP_VARIANTS.flatMap(([variant, nnp]) => [runCase(variant, nnp), createStartCase(variant, nnp), execCase(variant, nnp)]),
  {
    id: 'seccomp.default-errno-ret',
    clause: CLAUSE,
    level: 'MUST',
    requirement: 'defaultErrnoRet is what the default action returns: under an allow list with defaultErrnoRet ENOSYS, chdir (not listed) fails with ENOSYS',
    async check(ctx) {
      requireListsArch();
      // With noNewPrivileges a runtime's own chdir comes before the filter: the workload's is the one refused.
      const b = ctx.bundle(['sh', '-c', 'echo before; cd /proc'], (c) => {
        c.process.noNewPrivileges = true;
        c.linux.seccomp = allowListProfile([...BUSYBOX_ECHO, ...GO_RUNTIME_INIT].filter((name) => name !== 'chdir'), ENOSYS);
      });
      const id = ctx.runtime.newId('secerrno');
      const r = await ctx.runtime.run(id, b.dir);
      ctx.runtime.forceDelete(id);
      expect(r.stdout === 'before\n', `stdout ${JSON.stringify(r.stdout)}, want "before\\n": ${brief(r.stderr)}`);
      expect(/can't cd to \/proc: Function not implemented/.test(r.stderr), `cd /proc did not fail with ENOSYS: ${brief(r.stderr)}`);
    },
  },
];

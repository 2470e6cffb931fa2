/**
 * More cases on config.md § POSIX-platform Hooks: poststart timing, failing poststart, poststop
 * and createContainer hooks, the hook timeout, and the args and env a hook runs with. Hooks run
 * on the host, so they write their findings under the bundle directory.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Case, CaseContext, expect } from '../case';
import { describeState, isState } from './lifecycle';
import { expectCreateFails } from './util';

const CLAUSE = 'config.md § POSIX-platform Hooks';

type Hook = { path: string; args?: string[]; env?: string[]; timeout?: number };

/** A hook writing `text` (shell words, expanded) to `file`. */
function writeHook(file: string, text = 'ran'): Hook {
  return { path: '/bin/sh', args: ['sh', '-c', `echo ${text} >"${file}"`] };
}

const failingHook: Hook = { path: '/bin/false' };

/** create of a bundle with `hooks` fails, and leaves no container. */
function createFailsWithHooks(ctx: CaseContext, hooks: Record<string, Hook[]>, what: string): void {
  const b = ctx.bundle(['true']);
  b.config.hooks = hooks;
  b.save();
  expectCreateFails(ctx, b.dir, what);
}

/** A created container running `args` whose hooks, made from its bundle dir, are `hooks(dir)`. */
function createdWithHooks(ctx: CaseContext, args: string[], hooks: (dir: string) => Record<string, Hook[]>) {
  const bundle = ctx.bundle(args);
  bundle.config.hooks = hooks(bundle.dir);
  bundle.save();
  const id = ctx.runtime.newId('hooks');
  const r = ctx.runtime.create(id, bundle.dir);
  expect(r.code === 0, `create failed (exit ${r.code}): ${r.stderr.trim().slice(0, 300)}`);
  return { id, bundle };
}

export const hookMoreCases: Case[] = [
  {
    id: 'hooks.poststart-after-exec',
    clause: CLAUSE,
    level: 'MUST',
    requirement: 'poststart hooks run after the user program was executed and before start returns',
    async check(ctx) {
      // The hook records the inode of what the container process (pid from its stdin state) executes.
      const { id, bundle } = createdWithHooks(ctx, ['sleep', '30'], (dir) => ({
        poststart: [{ path: '/bin/sh', args: ['sh', '-c', `pid=$(sed 's/.*"pid": *\\([0-9]*\\).*/\\1/'); stat -L -c %i /proc/$pid/exe >"${dir}/poststart-exe"`] }],
      }));
      const seen = path.join(bundle.dir, 'poststart-exe');
      const r = ctx.runtime.cmd(['start', id]);
      expect(r.code === 0, `start failed (exit ${r.code}): ${r.stderr.trim().slice(0, 300)}`);
      expect(fs.existsSync(seen), 'the poststart hook had not run when start returned');
      const program = String(fs.statSync(path.join(bundle.rootfs, 'bin', 'busybox')).ino);
      const exe = fs.readFileSync(seen, 'utf8').trim();
      expect(exe === program, `when the poststart hook ran the container process executed inode ${exe}, not the user program's ${program}`);
    },
  },
  {
    id: 'hooks.poststart-failure-continues',
    clause: CLAUSE,
    level: 'MUST',
    requirement: 'a failing poststart hook is only a warning: the next poststart hook runs and the container keeps running',
    async check(ctx) {
      const { id, bundle } = createdWithHooks(ctx, ['sleep', '30'], (dir) => ({ poststart: [failingHook, writeHook(`${dir}/second`)] }));
      const marker = path.join(bundle.dir, 'second');
      ctx.runtime.cmd(['start', id]);
      expect(fs.existsSync(marker), 'the poststart hook after the failing one did not run');
      const s = ctx.runtime.state(id);
      expect(isState(s) && s.status === 'running', `after start: ${describeState(s)}`);
    },
  },
  {
    id: 'hooks.poststop-failure-continues',
    clause: CLAUSE,
    level: 'MUST',
    requirement: 'a failing poststop hook is only a warning: the next poststop hook runs and delete completes',
    async check(ctx) {
      const { id, bundle } = createdWithHooks(ctx, ['true'], (dir) => ({ poststop: [failingHook, writeHook(`${dir}/second`)] }));
      const marker = path.join(bundle.dir, 'second');
      expect(ctx.runtime.cmd(['start', id]).code === 0, 'start failed');
      await ctx.runtime.waitForStatus(id, 'stopped');
      ctx.runtime.cmd(['delete', id]);
      expect(fs.existsSync(marker), 'the poststop hook after the failing one did not run');
      const s = ctx.runtime.state(id);
      expect(!isState(s), `the container is still there after delete: ${describeState(s)}`);
    },
  },
  {
    id: 'hooks.create-container-failure',
    clause: 'runtime.md § Lifecycle',
    level: 'MUST',
    requirement: 'a createContainer hook that fails makes create fail, and no container is left',
    async check(ctx) {
      createFailsWithHooks(ctx, { createContainer: [failingHook] }, 'a failing createContainer hook');
    },
  },
  {
    id: 'hooks.path-relative',
    clause: CLAUSE,
    level: 'MUST',
    requirement: 'a hook path must be absolute: a relative one ("bin/true") is an error',
    async check(ctx) {
      createFailsWithHooks(ctx, { createRuntime: [{ path: 'bin/true' }] }, 'a createRuntime hook at the relative path bin/true');
    },
  },
  {
    id: 'hooks.timeout-zero',
    clause: CLAUSE,
    level: 'MUST',
    requirement: 'a hook timeout must be above zero: timeout 0 is an error',
    async check(ctx) {
      createFailsWithHooks(ctx, { createRuntime: [{ path: '/bin/true', timeout: 0 }] }, 'a createRuntime hook with timeout 0');
    },
  },
  {
    id: 'hooks.timeout',
    clause: CLAUSE,
    level: 'MUST',
    requirement: 'a hook still running after its timeout is aborted and counts as failed: create fails soon after, leaving no container',
    async check(ctx) {
      const started = Date.now();
      createFailsWithHooks(ctx, { createRuntime: [{ path: '/bin/sleep', args: ['sleep', '10'], timeout: 1 }] }, 'a createRuntime hook outliving its 1 s timeout');
      const took = Date.now() - started;
      expect(took < 8000, `create took ${took} ms: the 1 s timeout did not abort the 10 s hook`);
    },
  },
  {
    id: 'hooks.args-env',
    clause: CLAUSE,
    level: 'MUST',
    requirement: 'a hook runs with exactly its args (argv[0] included) and its env, not the runtime\'s environment',
    async check(ctx) {
      const script = 'tr "\\0" "\\n" </proc/$$/cmdline >"$OUT.args"; env >"$OUT.env"';
      const { bundle } = createdWithHooks(ctx, ['true'], (dir) => ({
        createRuntime: [{ path: '/bin/sh', args: ['conf-sh', '-c', script, 'zero', 'one two'], env: ['CONF_HOOK=a b', `OUT=${dir}/hook`] }],
      }));
      const read = (suffix: string) => {
        const file = path.join(bundle.dir, `hook.${suffix}`);
        return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
      };
      const argv = read('args');
      const want = ['conf-sh', '-c', script, 'zero', 'one two'];
      expect(JSON.stringify(argv) === JSON.stringify(want), `the hook's argv was ${JSON.stringify(argv)}`);
      // The shell itself may add PWD, OLDPWD, SHLVL and _ to what `env` prints.
      const env = read('env');
      const foreign = env.filter((e) => !/^(PWD|OLDPWD|SHLVL|_)=/.test(e) && e !== 'CONF_HOOK=a b' && !e.startsWith('OUT='));
      expect(env.includes('CONF_HOOK=a b'), `CONF_HOOK is missing from the hook's environment ${JSON.stringify(env)}`);
      expect(foreign.length === 0, `the hook's environment also holds ${JSON.stringify(foreign.map((e) => e.split('=')[0]))}`);
    },
  },
];

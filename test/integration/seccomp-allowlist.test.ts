/**
 * The class of "the runtime's own system calls after the filter": strict allow-list profiles
 * (default deny) built from what busybox sh and a Go runtime's init need, each with one syscall
 * taken out that the workload does not need but a runtime might make on its way to execve. tsrun
 * must run the container exactly as runc does, and whenever the workload alone would run (once
 * the filter is loaded tsrun makes no call but execve); runc is the reference, run side by side.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { makeBundle, type Bundle } from '../helpers/bundle';
import { ALLOW_LISTS_ARCH, allowListProfile, BUSYBOX_ECHO, GO_RUNTIME_INIT } from '../helpers/seccomp-profiles';
import { TSRUN, uniqueId, type Result } from '../helpers/tsrun';

const RUNC = '/usr/sbin/runc';

/** Newer than the profiles of 2020 and before; runtimes use them when allowed. */
const NEWER = ['close_range', 'faccessat2', 'openat2', 'clone3'];

/** Older calls a runtime may make between loading the filter and execve (fds, lookup, signals, credentials, sync). */
const RUNTIME_CALLS = [
  'rt_sigaction', 'rt_sigprocmask', 'fcntl', 'getdents64', 'read', 'openat', 'close', 'write', 'capget', 'capset',
  'setuid', 'setgid', 'setgroups', 'prctl', 'getcwd', 'chdir', 'futex', 'epoll_ctl', 'fstatfs', 'fstat', 'newfstatat',
  'getpid', 'getppid', 'mmap', 'munmap', 'sigaltstack', 'nanosleep', 'sched_yield',
];

const CASES_PER_VARIANT = 8;
const SEED = 20261201;

/** A bounded, seeded choice of `n` distinct entries of `from` (the same on every run). */
function seededPick<T>(from: readonly T[], n: number, seed: number): T[] {
  const pool = [...from];
  let state = seed >>> 0;
  const picked: T[] = [];
  while (picked.length < n && pool.length > 0) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    picked.push(...pool.splice(state % pool.length, 1));
  }
  return picked;
}

/** `<binary> --root <root> run` of the bundle to completion, output through files, then delete. */
function runContainer(binary: string, root: string, bundle: Bundle, io: string): Result {
  const id = uniqueId('allowlist');
  const out = path.join(io, 'stdout');
  const err = path.join(io, 'stderr');
  const fds = [fs.openSync(out, 'w+'), fs.openSync(err, 'w+')];
  try {
    const r = spawnSync(binary, ['--root', root, 'run', '--bundle', bundle.dir, id], { stdio: ['ignore', fds[0], fds[1]], timeout: 30_000 });
    if (r.error) throw r.error;
    return { code: r.status, signal: r.signal, stdout: fs.readFileSync(out, 'utf8'), stderr: fs.readFileSync(err, 'utf8') };
  } finally {
    fds.forEach((fd) => fs.closeSync(fd));
    spawnSync(binary, ['--root', root, 'delete', '--force', id], { stdio: 'ignore', timeout: 30_000 });
  }
}

const runnable = fs.existsSync(RUNC) && process.arch === ALLOW_LISTS_ARCH;
const describeWithRunc = runnable ? describe : describe.skip;
if (!runnable) console.warn(`seccomp allow-list class test skipped: needs ${RUNC} (the reference) and the ${ALLOW_LISTS_ARCH} syscall names`);

describeWithRunc('allow-list profiles missing one runtime syscall: tsrun runs the container whenever the workload can, and whenever runc does', () => {
  let scratch = '';
  beforeAll(() => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-allowlist-'));
    for (const d of ['tsrun-root', 'runc-root', 'io']) fs.mkdirSync(path.join(scratch, d));
  });
  afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

  const full = [...new Set([...BUSYBOX_ECHO, ...GO_RUNTIME_INIT, ...NEWER])];
  describe.each([
    ['noNewPrivileges', true, SEED],
    ['without noNewPrivileges', false, SEED + 1],
  ])('%s', (_, noNewPrivileges, seed) => {
    // The newer calls every time (the profiles of the field lack them), and a seeded sample of the rest.
    test.each([...NEWER, ...seededPick(RUNTIME_CALLS, CASES_PER_VARIANT, seed)])('without %s', (removed) => {
      const bundle = makeBundle(['sh', '-c', 'echo allowed'], (c) => {
        c.process.noNewPrivileges = noNewPrivileges;
        c.linux.seccomp = allowListProfile(full.filter((name) => name !== removed));
      });
      try {
        const tsrun = runContainer(TSRUN, path.join(scratch, 'tsrun-root'), bundle, path.join(scratch, 'io'));
        const runc = runContainer(RUNC, path.join(scratch, 'runc-root'), bundle, path.join(scratch, 'io'));
        // The workload alone decides: what busybox does not call cannot stop tsrun.
        if (!BUSYBOX_ECHO.includes(removed)) {
          expect(tsrun.stderr).toBe('');
          expect(tsrun.stdout).toBe('allowed\n');
          expect(tsrun.code).toBe(0);
        }
        // And never worse than the reference.
        if (runc.code === 0) expect([tsrun.code, tsrun.stdout]).toEqual([0, runc.stdout]);
      } finally {
        bundle.cleanup();
      }
    });
  });
});

/**
 * linux.seccomp in real containers: the filter is in force for the container's process (the
 * errno it chose, argument conditions, an allow list), and a profile that cannot be built fails
 * with its JSON path and leaves nothing behind.
 */
import * as fs from 'fs';
import type { Config } from '../helpers/bundle';
import { containerFixtures } from '../helpers/fixtures';
import { uniqueId } from '../helpers/tsrun';

const fx = containerFixtures();

type Seccomp = NonNullable<Config['linux']['seccomp']>;

function run(script: string, seccomp: Seccomp, edit?: (c: Config) => void) {
  const b = fx.bundle(['sh', '-c', script], (c) => {
    c.linux.seccomp = seccomp;
    edit?.(c);
  });
  return fx.tsrun.cmd(['run', '-b', b.dir, fx.tsrun.track(uniqueId('seccomp'))]);
}

const DENY_MKDIR = (errnoRet: number): Seccomp => ({
  defaultAction: 'SCMP_ACT_ALLOW',
  syscalls: [
    // A name libseccomp does not know is skipped, as runc does: the profile still applies.
    { names: ['mkdir', 'mkdirat', 'tsrun_no_such_syscall'], action: 'SCMP_ACT_ERRNO', errnoRet },
  ],
});

const MKDIR_AND_TOUCH = 'mkdir /dev/shm/d 2>&1; touch /dev/shm/f && echo touched';

describe.each([
  ['with noNewPrivileges (filter loaded last)', true],
  ['without noNewPrivileges (filter loaded before the capability drop)', false],
])('%s', (_, noNewPrivileges) => {
  test.each([
    [1, 'Operation not permitted'],
    [38, 'Function not implemented'],
  ])('mkdir fails with errno %d, touch works', (errnoRet, message) => {
    const r = run(MKDIR_AND_TOUCH, DENY_MKDIR(errnoRet), (c) => {
      c.process.noNewPrivileges = noNewPrivileges;
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`mkdir: can't create directory '/dev/shm/d': ${message}\ntouched\n`);
  });
});

test('with noNewPrivileges the filter comes after everything init does: denying its close_range and sendto changes nothing', () => {
  // Both are calls of init on its way to execve (fd limits, READY), which busybox sh never makes.
  const r = run('echo hi', {
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [{ names: ['close_range', 'sendto'], action: 'SCMP_ACT_KILL_PROCESS' }],
  }, (c) => {
    c.process.noNewPrivileges = true;
  });
  expect(r.stderr).toBe('');
  expect(r.stdout).toBe('hi\n');
  expect(r.code).toBe(0);
});

test('without linux.seccomp the same script makes the directory', () => {
  const b = fx.bundle(['sh', '-c', `${MKDIR_AND_TOUCH}; test -d /dev/shm/d && echo made`]);
  const r = fx.tsrun.cmd(['run', '-b', b.dir, fx.tsrun.track(uniqueId('seccomp'))]);
  expect(r.stdout).toBe('touched\nmade\n');
});

test('an argument condition: chmod to 0700 is refused, chmod to 0755 is not', () => {
  const mode700 = 0o700;
  const r = run('touch /dev/shm/f; chmod 755 /dev/shm/f && echo 755-ok; chmod 700 /dev/shm/f 2>&1; stat -c %a /dev/shm/f', {
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [
      { names: ['chmod'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: mode700, op: 'SCMP_CMP_EQ' }] },
      { names: ['fchmodat'], action: 'SCMP_ACT_ERRNO', args: [{ index: 2, value: mode700, op: 'SCMP_CMP_EQ' }] },
    ],
  });
  expect(r.code).toBe(0);
  expect(r.stdout).toBe("755-ok\nchmod: /dev/shm/f: Operation not permitted\n755\n");
});

test('default SCMP_ACT_ERRNO with an allow list: sh can echo, and what is not listed is refused', () => {
  // What busybox sh needs to start and echo, and what init does between loading the filter and execve.
  const allowed: [string, ...string[]] = [
    'arch_prctl', 'brk', 'close', 'close_range', 'execve', 'exit', 'exit_group', 'faccessat2', 'fcntl', 'getpid',
    'getppid', 'getrandom', 'getuid', 'mprotect', 'newfstatat', 'openat', 'prctl', 'prlimit64', 'readlink', 'rseq',
    'rt_sigaction', 'rt_sigprocmask', 'sendto', 'set_robust_list', 'set_tid_address', 'uname', 'write',
  ];
  const r = run('echo hi; cd /proc', {
    defaultAction: 'SCMP_ACT_ERRNO',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    syscalls: [{ names: allowed, action: 'SCMP_ACT_ALLOW' }],
  });
  expect(r.stdout).toBe('hi\n');
  expect(r.stderr).toMatch(/can't cd to \/proc: Operation not permitted/);
  expect(r.code).toBe(2);
});

/** create must fail with one line on stderr matching `pattern`, and leave no state and no container. */
function expectCleanFailure(seccomp: Seccomp, pattern: RegExp): void {
  const b = fx.bundle(['true'], (c) => {
    c.linux.seccomp = seccomp;
  });
  const id = uniqueId('seccomp');
  const r = fx.tsrun.cmd(['create', '-b', b.dir, fx.tsrun.track(id)]);
  expect(r.code).toBe(1);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(pattern);
  expect(fs.existsSync(fx.tsrun.root) ? fs.readdirSync(fx.tsrun.root) : []).toEqual([]);
  expect(fx.tsrun.cmd(['state', id]).code).not.toBe(0);
}

test('an unknown action fails create with its JSON path and leaves nothing behind', () => {
  const bogus = 'SCMP_ACT_BOGUS' as Seccomp['defaultAction'];
  expectCleanFailure(
    { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: bogus }] },
    /linux\.seccomp\.syscalls\[0\]\.action: unknown seccomp action \\?"SCMP_ACT_BOGUS/,
  );
});

describe('SCMP_ACT_NOTIFY that cannot work is refused, naming where it is (seccomp-notify.test.ts runs the agent)', () => {
  const AGENT = '/run/tsrun-test-agent.sock';
  test.each<[string, Seccomp, RegExp]>([
    ['as the default action', { defaultAction: 'SCMP_ACT_NOTIFY', listenerPath: AGENT }, /linux\.seccomp\.defaultAction\b.*SCMP_ACT_NOTIFY cannot be the default action/],
    [
      'without listenerPath',
      { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }] },
      /linux\.seccomp\.syscalls\[0\]\.action\b.*needs linux\.seccomp\.listenerPath/,
    ],
    [
      'on sendmsg, which init passes the fd with',
      { defaultAction: 'SCMP_ACT_ALLOW', listenerPath: AGENT, syscalls: [{ names: ['sendmsg'], action: 'SCMP_ACT_NOTIFY' }] },
      /linux\.seccomp\.syscalls\[0\]\.names\[0\]: sendmsg cannot be SCMP_ACT_NOTIFY/,
    ],
  ])('%s', (_, seccomp, pattern) => {
    expectCleanFailure(seccomp, pattern);
  });
});

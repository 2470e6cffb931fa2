/**
 * linux.seccomp in real containers: the filter is in force for the container's process (the
 * errno it chose, argument conditions, an allow list), and a profile that cannot be built fails
 * with its JSON path and leaves nothing behind.
 */
import * as fs from 'fs';
import type { Config } from '../helpers/bundle';
import { containerFixtures } from '../helpers/fixtures';
import { allowListProfile, BUSYBOX_ECHO, BUSYBOX_REDIRECT, BUSYBOX_SLEEP, type Seccomp } from '../helpers/seccomp-profiles';
import { uniqueId } from '../helpers/tsrun';

const fx = containerFixtures();


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
  ['without noNewPrivileges (filter loaded last too, init keeping CAP_SYS_ADMIN for it)', false],
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
  // What busybox sh needs to start and echo: nothing of what init does on its way to execve.
  const r = run('echo hi; cd /proc', allowListProfile(BUSYBOX_ECHO));
  expect(r.stdout).toBe('hi\n');
  expect(r.stderr).toMatch(/can't cd to \/proc: Operation not permitted/);
  expect(r.code).toBe(2);
});

describe.each([
  ['with noNewPrivileges', true],
  ['without noNewPrivileges', false],
])('a pre-2020 allow list (no close_range, faccessat2, fcntl, openat, sendto) runs the container %s', (_, noNewPrivileges) => {
  const edit = (c: Config) => {
    c.process.noNewPrivileges = noNewPrivileges;
  };

  test('run', () => {
    const r = run('echo hi', allowListProfile(BUSYBOX_ECHO), edit);
    expect([r.code, r.stdout, r.stderr]).toEqual([0, 'hi\n', '']);
  });

  test('create, start, exec', async () => {
    const b = fx.bundle(['sleep', '30'], (c) => {
      edit(c);
      c.root.readonly = false;
      c.linux.seccomp = allowListProfile([...BUSYBOX_ECHO, ...BUSYBOX_REDIRECT, ...BUSYBOX_SLEEP]);
    });
    const id = fx.tsrun.track(uniqueId('seccomp'));
    expect(fx.tsrun.cmd(['create', '-b', b.dir, id]).stderr).toBe('');
    expect(fx.tsrun.cmd(['start', id]).stderr).toBe('');
    const r = fx.tsrun.cmd(['exec', id, 'sh', '-c', 'echo execd > /tmp/exec-out']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(fs.readFileSync(`${b.rootfs}/tmp/exec-out`, 'utf8')).toBe('execd\n');
    expect(fx.tsrun.state(id).status).toBe('running');
  });
});

describe('a profile that denies execve says so, never a silent signal', () => {
  test.each<[string, Seccomp]>([
    ['SCMP_ACT_KILL with nothing allowed', { defaultAction: 'SCMP_ACT_KILL' }],
    ['SCMP_ACT_KILL_PROCESS with nothing allowed', { defaultAction: 'SCMP_ACT_KILL_PROCESS' }],
    ['SCMP_ACT_ERRNO with nothing allowed', { defaultAction: 'SCMP_ACT_ERRNO' }],
    ['an allow list without execve', allowListProfile(BUSYBOX_ECHO.filter((name) => name !== 'execve'))],
  ])('%s: create fails naming linux.seccomp and execve, nothing left', (_, seccomp) => {
    expectCleanFailure(seccomp, /linux\.seccomp\.defaultAction: SCMP_ACT_\w+ applies to execve .*the profile must allow execve/);
  });

  test('an execve the filter refuses at run time (a condition the plan cannot judge) names the filter', () => {
    const NEVER_NULL = 0;
    const r = run('echo unreachable', {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['execve'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: NEVER_NULL, op: 'SCMP_CMP_NE' }] }],
    });
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('tsrun: exec "/bin/sh": EPERM (after the seccomp filter was loaded: the profile must allow execve)\n');
    expect(r.code).toBe(127);
  });
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

describe('without noNewPrivileges init keeps CAP_SYS_ADMIN until the filter is loaded: the process never has it', () => {
  test.each([0, 1000])('uid %d: the same capability sets as without a filter', (uid) => {
    const caps = (seccomp: Seccomp | undefined) => {
      const b = fx.bundle(['sh', '-c', 'grep ^Cap /proc/self/status'], (c) => {
        c.process.user = { uid, gid: uid };
        c.process.noNewPrivileges = false;
        if (seccomp) c.linux.seccomp = seccomp;
      });
      const r = fx.tsrun.cmd(['run', '-b', b.dir, fx.tsrun.track(uniqueId('seccomp'))]);
      expect([r.code, r.stderr]).toEqual([0, '']);
      return r.stdout;
    };
    const CAP_SYS_ADMIN = 1n << 21n;
    const capSet = (status: string, set: string): bigint => {
      const hex = new RegExp(`^${set}:\\s+([0-9a-f]+)$`, 'm').exec(status)?.[1];
      if (!hex) throw new Error(`no ${set} in ${status}`);
      return BigInt(`0x${hex}`);
    };
    const filtered = caps({ defaultAction: 'SCMP_ACT_ALLOW' });
    expect(filtered).toBe(caps(undefined));
    expect([capSet(filtered, 'CapEff') & CAP_SYS_ADMIN, capSet(filtered, 'CapPrm') & CAP_SYS_ADMIN]).toEqual([0n, 0n]);
  });
});

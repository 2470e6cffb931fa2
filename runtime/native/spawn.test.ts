/**
 * The executor for real (as root): hand-written plans make busybox containers, whose shell
 * writes what it observes to /tmp/out in the rootfs, which the test reads from the host.
 * Every init started is a child of this jest worker (CLONE_PARENT) and is reaped here.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { makeBundle, type Bundle } from '../../test/helpers/bundle';
import {
  CAPABILITIES,
  CLONE_NEWCGROUP,
  CLONE_NEWNET,
  CLONE_NEWNS,
  CLONE_NEWPID,
  CLONE_NEWTIME,
  CLONE_NEWUSER,
  MS_BIND,
  MS_NODEV,
  MS_NOEXEC,
  MS_NOSUID,
  MS_RDONLY,
  MS_REMOUNT,
  RLIMITS,
  S_IFCHR,
} from '../plan/linux';
import type { InitPlan, InitStep, SeccompStep } from '../plan/types';
import { addonPath } from './binding';
import { encodePlan, flock, mkfifo, PlanExecutionError, pidfdOpen, pidfdSendSignal, releaseInit, SeccompPrograms, spawnInit } from './index';
import { testAddonPath } from '../../test/helpers/test-native';
import { childPids, containerPlan, denyingFilter, mountStep, SIGKILL, Started } from '../../test/helpers/test-plans';

const isRoot = process.getuid?.() === 0;
const describeAsRoot = isRoot ? describe : describe.skip;
if (!isRoot) console.warn('runtime/native/spawn.test.ts needs root (namespaces, mounts): skipped');

const started = new Started();
let bundle: Bundle;
let outFile: string;

beforeEach(() => {
  bundle = makeBundle(['true']);
  // mkdtemp made them 0700: other users (setUser, a user namespace) could not reach the rootfs
  fs.chmodSync(bundle.dir, 0o755);
  fs.chmodSync(bundle.rootfs, 0o755);
  outFile = path.join(bundle.rootfs, 'tmp/out');
});

afterEach(async () => {
  try {
    await started.killAll();
    // nothing a test started is left: no init, no stage1, not even a zombie
    expect(childPids()).toEqual([]);
  } finally {
    bundle.cleanup();
  }
});

/** Run `plan` to its end and return what the container wrote to /tmp/out. */
async function run(plan: InitPlan): Promise<string> {
  const { pid } = spawnInit(plan);
  started.add(pid);
  const status = await started.wait(pid);
  expect(status).toEqual({ code: 0, signal: null });
  return fs.readFileSync(outFile, 'utf8');
}

function spawnFailure(plan: InitPlan): PlanExecutionError {
  try {
    const { pid } = spawnInit(plan);
    started.add(pid);
  } catch (err) {
    if (err instanceof PlanExecutionError) return err;
    throw err;
  }
  throw new Error('the plan did not fail');
}

function capMask(...names: string[]): string {
  return names.reduce((mask, name) => mask | (1n << BigInt(CAPABILITIES[name])), 0n).toString();
}

function statusField(out: string, field: string): string | undefined {
  return out.match(new RegExp(`^${field}:\\s*(\\S+)`, 'm'))?.[1];
}

describeAsRoot('spawnInit runs a container', () => {
  test('in its own pid, uts, mount and net namespaces, on the pivoted rootfs', async () => {
    const out = await run(
      containerPlan(
        bundle.rootfs,
        'exec >/tmp/out 2>&1; echo pid=$$; echo host=$(hostname); echo root=$(ls / | tr "\\n" " "); ' +
          'echo links=$(ip -o link | wc -l); grep -c " / " /proc/self/mounts; cat /proc/self/mountinfo',
        { afterPivot: [{ op: 'sethostname', name: 'box' }] },
      ),
    );
    expect(out).toMatch(/^pid=1$/m);
    expect(out).toMatch(/^host=box$/m);
    expect(os.hostname()).not.toBe('box');
    // only the rootfs: nothing of the host's / (like /work or /home) is there
    expect(out).toMatch(/^root=bin dev etc proc root run sbin sys tmp usr var$/m);
    expect(out).toMatch(/^links=1$/m); // only lo in a new network namespace
    // the old root is gone: one mount on "/" left, and it is the rootfs bind
    expect(out).not.toMatch(/ \/ \/work/);
  });

  test('moveRoot enters the rootfs without pivot_root, and domainname is the plan\'s', async () => {
    const out = await run(
      containerPlan(bundle.rootfs, 'exec >/tmp/out 2>&1; echo root=$(ls / | tr "\\n" " "); cat /proc/sys/kernel/domainname', {
        rootChange: 'moveRoot',
        afterPivot: [{ op: 'setdomainname', name: 'example.org' }],
      }),
    );
    expect(out).toMatch(/^root=bin dev etc proc root run sbin sys tmp usr var$/m);
    expect(out).toMatch(/^example\.org$/m);
  });

  test('joins namespaces by path in stage1, unshares the time namespace and writes its offsets', async () => {
    const first = spawnInit(containerPlan(bundle.rootfs, 'exec sleep 100'));
    started.add(first.pid);
    const plan = containerPlan(bundle.rootfs, 'exec >/tmp/out 2>&1; readlink /proc/self/ns/net; readlink /proc/self/ns/cgroup; cut -d. -f1 /proc/uptime', {
      cloneFlags: CLONE_NEWNS | CLONE_NEWPID,
      afterPivot: [{ op: 'unshare', flags: CLONE_NEWCGROUP }],
    });
    plan.stage1 = [
      { op: 'setns', nstype: CLONE_NEWNET, path: `/proc/${first.pid}/ns/net` },
      { op: 'unshare', flags: CLONE_NEWTIME },
      { op: 'writeFile', path: '/proc/self/timens_offsets', data: 'monotonic 864000 0\nboottime 864000 0' },
    ];
    const [net, cgroup, uptime] = (await run(plan)).trim().split('\n');
    expect(net).toBe(fs.readlinkSync(`/proc/${first.pid}/ns/net`));
    expect(net).not.toBe(fs.readlinkSync('/proc/self/ns/net'));
    expect(cgroup).not.toBe(fs.readlinkSync('/proc/self/ns/cgroup'));
    expect(Number(uptime)).toBeGreaterThanOrEqual(864000);
  });

  test('with the rlimits, umask, cwd, capabilities and no_new_privs the plan sets, and nothing of Node', async () => {
    const caps = capMask('CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_AUDIT_WRITE');
    const out = await run(
      containerPlan(
        bundle.rootfs,
        'exec >/tmp/out 2>&1; echo nofile=$(ulimit -n); echo umask=$(umask); echo cwd=$(pwd); ' +
          'echo fds=$(ls /proc/self/fd | tr "\\n" " "); exec cat /proc/self/status',
        {
          afterPivot: [
            { op: 'setrlimit', resource: RLIMITS.RLIMIT_NOFILE, soft: '1000', hard: '1001' },
            { op: 'umask', mask: 0o027 },
            { op: 'chdir', path: '/var' },
            { op: 'dropBounding', keep: caps, lastCap: Number(fs.readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8')) },
            { op: 'setCaps', effective: caps, permitted: caps, inheritable: caps, ambient: caps },
            { op: 'noNewPrivs' },
          ],
        },
      ),
    );
    expect(out).toMatch(/^nofile=1000$/m);
    expect(out).toMatch(/^umask=0027$/m);
    expect(out).toMatch(/^cwd=\/var$/m);
    const hex = BigInt(caps).toString(16).padStart(16, '0');
    expect(statusField(out, 'CapEff')).toBe(hex);
    expect(statusField(out, 'CapBnd')).toBe(hex);
    expect(statusField(out, 'CapAmb')).toBe(hex);
    expect(statusField(out, 'NoNewPrivs')).toBe('1');
    // Node ignores SIGPIPE and blocks signals around the clone: none of that reaches the container
    // (a shell passes on the ignored signals it was started with)
    expect(statusField(out, 'SigIgn')).toBe('0000000000000000');
    expect(statusField(out, 'SigBlk')).toBe('0000000000000000');
    // stdio and at most ls's own directory fd: Node's many fds were closed
    const fds = out.match(/^fds=(.*)$/m)?.[1].split(' ').map(Number) ?? [];
    expect(fds.slice(0, 3)).toEqual([0, 1, 2]);
    expect(Math.max(...fds)).toBeLessThanOrEqual(3);
  });

  test('preserveFds hands fds 3 .. 2+preserveFds to the container, and only those', async () => {
    const marker = path.join(bundle.dir, 'marker');
    fs.writeFileSync(marker, 'preserved\n');
    const fd = fs.openSync(marker, 'r'); // close-on-exec, as Node opens everything
    try {
      const out = await run(
        containerPlan(bundle.rootfs, `exec >/tmp/out 2>&1; cat <&${fd}; ls /proc/self/fd`, { exec: { preserveFds: fd - 2 } }),
      );
      const [first, ...fds] = out.trim().split('\n');
      expect(first).toBe('preserved');
      // ls adds its own directory fd: at most one above the preserved range
      expect(Math.max(...fds.map(Number))).toBeLessThanOrEqual(fd + 1);
    } finally {
      fs.closeSync(fd);
    }
  });

  test('as another user with supplementary groups, keeping the capabilities the plan gives', async () => {
    const caps = capMask('CAP_NET_BIND_SERVICE');
    const out = await run(
      containerPlan(bundle.rootfs, 'exec >/tmp/out 2>&1; echo uid=$(id -u) gid=$(id -g) groups=$(id -G); exec cat /proc/self/status', {
        afterPivot: [
          { op: 'setUser', uid: 1000, gid: 1001, additionalGids: [1001, 2000], setgroups: true },
          { op: 'setCaps', effective: caps, permitted: caps, inheritable: caps, ambient: caps },
        ],
      }),
    );
    expect(out).toMatch(/^uid=1000 gid=1001 groups=1001 2000$/m);
    expect(statusField(out, 'CapEff')).toBe('0000000000000400');
    expect(statusField(out, 'CapAmb')).toBe('0000000000000400');
  });

  test('devices, symlinks and directories made beneath the root, with exact modes', async () => {
    const out = await run(
      containerPlan(bundle.rootfs, 'exec >/tmp/out 2>&1; stat -c "%n %a %F %t:%T" /dev/null /dev/shm; readlink /dev/fd; echo x > /dev/null && echo null-ok', {
        beforePivot: [
          mountStep({ source: 'tmpfs', target: '/dev', inRoot: true, fstype: 'tmpfs', flags: MS_NOSUID, data: 'mode=755' }),
          { op: 'mknod', target: '/dev/null', mode: S_IFCHR | 0o666, major: 1, minor: 3, uid: 0, gid: 0 },
          { op: 'symlink', target: '/dev/fd', linkTo: '/proc/self/fd', ignoreExisting: false },
          { op: 'symlink', target: '/dev/fd', linkTo: '/elsewhere', ignoreExisting: true },
          { op: 'mkdir', target: '/dev/shm', mode: 0o1777 },
        ],
      }),
    );
    expect(out).toContain('/dev/null 666 character special file 1:3');
    expect(out).toContain('/dev/shm 1777 directory');
    expect(out).toMatch(/^\/proc\/self\/fd$/m);
    expect(out).toMatch(/^null-ok$/m);
  });

  test('missing directories and file mount points are made with the modes of the plan, whatever the umask', async () => {
    const source = path.join(bundle.dir, 'source');
    fs.writeFileSync(source, 'bound\n');
    const plan = containerPlan(bundle.rootfs, 'echo ok > /tmp/out', {
      beforePivot: [
        { op: 'umask', mask: 0o077 },
        mountStep({ source, target: '/made/sub/file', inRoot: true, flags: MS_BIND, create: 'file' }),
        mountStep({ source: 'tmpfs', target: '/made/dir', inRoot: true, fstype: 'tmpfs', flags: 0, create: 'dir' }),
      ],
    });
    await run({ ...plan, createModes: { dir: 0o711, file: 0o604 } });
    const mode = (p: string) => (fs.statSync(path.join(bundle.rootfs, p)).mode & 0o7777).toString(8);
    expect(['made', 'made/sub', 'made/dir', 'made/sub/file'].map(mode)).toEqual(['711', '711', '711', '604']);
  });

  test('a hook past its timeout gets the plan\'s signal, and its failure quotes as much output as the plan says', () => {
    const hook = { path: '/bin/sh', args: ['sh', '-c', 'trap "echo got-term; exit 0" TERM; sleep 5 & wait'], env: [], timeout: 1 };
    const plan = containerPlan(bundle.rootfs, 'true', {
      beforePivot: [{ op: 'runHooks', kind: 'createContainer', hooks: [hook], state: { before: '{"pid":', after: '}' }, killSignal: 15, outputQuoted: 6 }],
    });
    const failure = JSON.stringify(spawnFailure(plan).failure);
    expect(failure).toContain('got-te');
    expect(failure).not.toContain('got-term');
  });

  test('maskPath hides a directory under an empty read-only tmpfs and a file under /dev/null; missing paths are skipped', async () => {
    const out = await run(
      containerPlan(bundle.rootfs, 'exec >/tmp/out 2>&1; echo etc=$(ls -A /etc | wc -l); echo version=$(wc -c < /proc/version); touch /etc/x || echo etc-ro', {
        beforePivot: [
          mountStep({ source: 'tmpfs', target: '/dev', inRoot: true, fstype: 'tmpfs', flags: MS_NOSUID }),
          { op: 'mknod', target: '/dev/null', mode: S_IFCHR | 0o666, major: 1, minor: 3, uid: 0, gid: 0 },
        ],
        afterPivot: [
          { op: 'maskPath', path: '/etc' },
          { op: 'maskPath', path: '/proc/version' },
          { op: 'maskPath', path: '/no/such/path' },
        ],
      }),
    );
    expect(out).toMatch(/^etc=0$/m);
    expect(out).toMatch(/^version=0$/m);
    expect(out).toMatch(/^etc-ro$/m);
  });

  test('a bind remount keeps the flags the mount already has (nosuid, nodev, noexec)', async () => {
    const out = await run(
      containerPlan(bundle.rootfs, 'exec >/tmp/out 2>&1; grep " /mnt " /proc/self/mounts', {
        beforePivot: [
          mountStep({ source: 'tmpfs', target: '/mnt', inRoot: true, fstype: 'tmpfs', flags: MS_NOSUID | MS_NODEV | MS_NOEXEC, create: 'dir' }),
          mountStep({ target: '/mnt', inRoot: true, flags: MS_BIND | MS_REMOUNT | MS_RDONLY }),
        ],
      }),
    );
    const options = out.trim().split(' ')[3].split(',');
    expect(options).toEqual(expect.arrayContaining(['ro', 'nosuid', 'nodev', 'noexec']));
  });

  test('ignoreMissing skips a bind whose source does not exist', async () => {
    const out = await run(
      containerPlan(bundle.rootfs, 'exec >/tmp/out 2>&1; echo ran', {
        beforePivot: [mountStep({ source: '/no/such/source', target: '/mnt/x', inRoot: true, flags: MS_BIND, create: 'dir', ignoreMissing: true })],
      }),
    );
    expect(out).toBe('ran\n');
  });

  test('a symlink in the rootfs to the host /etc, used as a mount target, stays inside the rootfs', async () => {
    fs.symlinkSync('/etc', path.join(bundle.rootfs, 'hostetc'));
    const probe = `tsrun-probe-${process.pid}`;
    const out = await run(
      containerPlan(bundle.rootfs, `exec >/tmp/out 2>&1; grep " /etc/${probe} " /proc/self/mounts`, {
        beforePivot: [mountStep({ source: 'tmpfs', target: `/hostetc/${probe}`, inRoot: true, fstype: 'tmpfs', create: 'dir' })],
      }),
    );
    expect(out).toMatch(new RegExp(`^tmpfs /etc/${probe} tmpfs `));
    expect(fs.existsSync(path.join(bundle.rootfs, 'etc', probe))).toBe(true);
    expect(fs.existsSync(path.join('/etc', probe))).toBe(false);
  });

  test('a dangling symlink to a host path is never followed out of the rootfs to create a target', () => {
    const outside = path.join(bundle.dir, 'outside'); // exists on the host only, outside the rootfs
    fs.mkdirSync(outside);
    fs.symlinkSync(path.join(outside, 'made-here'), path.join(bundle.rootfs, 'escape'));
    const plan = containerPlan(bundle.rootfs, 'true', {
      beforePivot: [mountStep({ source: 'tmpfs', target: '/escape', inRoot: true, fstype: 'tmpfs', create: 'dir' })],
    });
    expect(spawnFailure(plan).failure).toMatchObject({ phase: 'init', code: 'ENOENT', syscall: 'openat2', path: 'escape' });
    expect(fs.readdirSync(outside)).toEqual([]);
  });

  test('under the seccomp filter the plan loads: a killing rule ends the program with SIGSYS', async () => {
    const SIGSYS = 31;
    const plan = containerPlan(bundle.rootfs, 'echo not reached > /tmp/out', {
      // busybox sh calls getppid() as it starts.
      afterPivot: [{ op: 'seccomp', defaultAction: 0x7fff0000, architectures: [], flags: 0, rules: [{ syscall: 'getppid', action: 0x80000000, conditions: [] }], unknownSyscalls: 'skip' }],
    });
    const { pid } = spawnInit(plan);
    started.add(pid);
    expect(await started.wait(pid)).toEqual({ code: null, signal: SIGSYS });
    expect(fs.existsSync(outFile)).toBe(false);
  });

  test('the parent writes init pid where asked, before init goes on', async () => {
    const pidFile = path.join(bundle.dir, 'pidfile');
    fs.writeFileSync(pidFile, '');
    const plan = containerPlan(bundle.rootfs, 'exec >/tmp/out 2>&1; echo ok');
    plan.parent = [{ op: 'writePid', path: pidFile }];
    const { pid } = spawnInit(plan);
    started.add(pid);
    await started.wait(pid);
    expect(fs.readFileSync(pidFile, 'utf8')).toBe(String(pid));
  });

  describe('into its cgroups by itself, in cgroups this test makes and removes', () => {
    const v2Root = '/sys/fs/cgroup/unified';
    const v1Pids = '/sys/fs/cgroup/pids';
    const made: string[] = [];
    afterEach(() => {
      for (const dir of made.splice(0).reverse()) fs.rmdirSync(dir);
    });
    const cgroupAt = (root: string) => {
      const dir = path.join(root, `tsrun-spawn-test-${process.pid}-${made.length}`);
      fs.mkdirSync(dir);
      made.push(dir);
      return dir;
    };
    const hasV2 = fs.existsSync(path.join(v2Root, 'cgroup.procs'));
    const hasPids = fs.existsSync(path.join(v1Pids, 'tasks'));
    if (!hasV2) console.warn(`skipped: no cgroup2 hierarchy at ${v2Root} (the host is not hybrid), cloning into one is not tested here`);
    if (!hasPids) console.warn(`skipped: no v1 pids hierarchy at ${v1Pids}, joinCgroup is not tested here`);

    (hasV2 ? test : test.skip)('cloneIntoCgroup: init is born in the v2 directory', async () => {
      const dir = cgroupAt(v2Root);
      const plan = containerPlan(bundle.rootfs, 'exec >/tmp/out 2>&1; grep ^0:: /proc/self/cgroup');
      plan.cloneIntoCgroup = { dir };
      expect((await run(plan)).trim()).toBe(`0::/${path.basename(dir)}`);
    });

    (hasPids ? test : test.skip)('joinCgroup: init moves itself, before its next step', async () => {
      const dir = cgroupAt(v1Pids);
      const plan = containerPlan(bundle.rootfs, 'exec >/tmp/out 2>&1; grep :pids: /proc/self/cgroup');
      plan.init.unshift({ op: 'joinCgroup', path: path.join(dir, 'tasks') });
      expect((await run(plan)).trim()).toMatch(new RegExp(`^\\d+:pids:/${path.basename(dir)}$`));
    });

    test('a missing v2 directory fails stage1 at its open; a directory that is no cgroup fails the clone', () => {
      const missing = containerPlan(bundle.rootfs, 'true');
      missing.cloneIntoCgroup = { dir: path.join(bundle.dir, 'no-such-cgroup') };
      expect(spawnFailure(missing).failure).toMatchObject({ phase: 'stage1', code: 'ENOENT', syscall: 'open', path: path.join(bundle.dir, 'no-such-cgroup') });
      const notCgroup = containerPlan(bundle.rootfs, 'true');
      notCgroup.cloneIntoCgroup = { dir: bundle.dir };
      const err = spawnFailure(notCgroup);
      expect(err.failure).toMatchObject({ phase: 'stage1', syscall: 'clone3(CLONE_INTO_CGROUP)', path: bundle.dir });
      expect(err.message).toContain(bundle.dir);
    });

    test('a joinCgroup that cannot be written fails init at that step, naming the cgroup', () => {
      const plan = containerPlan(bundle.rootfs, 'true');
      plan.init.unshift({ op: 'joinCgroup', path: path.join(bundle.dir, 'no-such-cgroup', 'tasks') });
      const err = spawnFailure(plan);
      expect(err.failure).toMatchObject({ phase: 'init', step: 0, code: 'ENOENT', syscall: 'open' });
      expect(err.message).toBe(`init step 0 (joinCgroup): ENOENT (open ${path.join(bundle.dir, 'no-such-cgroup', 'tasks')})`);
    });
  });

  test('in a new user namespace with maps written by the parent, as its root', async () => {
    const plan = containerPlan(bundle.rootfs, 'exec >/tmp/out 2>&1; echo uid=$(id -u); cat /proc/self/uid_map /proc/self/setgroups', {
      cloneFlags: CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET,
    });
    plan.parent = [
      { op: 'writeProcFile', name: 'setgroups', data: 'deny' },
      { op: 'writeProcFile', name: 'uid_map', data: '0 100000 65536' },
      { op: 'writeProcFile', name: 'gid_map', data: '0 100000 65536' },
    ];
    plan.init.unshift({ op: 'becomeRoot' });
    const out = await run(plan);
    expect(out).toMatch(/^uid=0$/m);
    expect(out).toMatch(/^\s*0\s+100000\s+65536$/m);
    expect(out).toMatch(/^deny$/m);
    expect(fs.statSync(outFile).uid).toBe(100000);
  });
});

describeAsRoot('waitExit', () => {
  test('reports the exit code of the container process', async () => {
    const { pid } = spawnInit(containerPlan(bundle.rootfs, 'exit 7'));
    started.add(pid);
    expect(await started.wait(pid)).toEqual({ code: 7, signal: null });
  });

  test('reports the signal that killed it', async () => {
    const { pid } = spawnInit(containerPlan(bundle.rootfs, 'exec sleep 100'));
    started.add(pid);
    const fd = pidfdOpen(pid);
    pidfdSendSignal(fd, SIGKILL);
    fs.closeSync(fd);
    expect(await started.wait(pid)).toEqual({ code: null, signal: SIGKILL });
  });
});

describeAsRoot('after READY', () => {
  test('an execve failure is one line on the container stderr and exit status 127', () => {
    // Executable but not a program: the lookup accepts it, execve says ENOEXEC.
    fs.writeFileSync(path.join(bundle.rootfs, 'bin/not-a-program'), 'just text\n', { mode: 0o755 });
    const plan = containerPlan(bundle.rootfs, '');
    plan.exec.args = ['not-a-program'];
    // In another node process, whose stderr the container inherits and this test reads.
    const script = `
      const native = require(${JSON.stringify(addonPath)});
      const result = native.spawnInit(Buffer.from(process.env.PLAN, 'base64'));
      native.waitExit(result.pid).then((status) => console.log(JSON.stringify(status)));`;
    const child = spawnSync(process.execPath, ['-e', script], {
      env: { ...process.env, PLAN: encodePlan(plan).toString('base64') },
      encoding: 'utf8',
    });
    expect(child.stderr).toBe('tsrun: exec /bin/not-a-program: ENOEXEC\n');
    expect(JSON.parse(child.stdout)).toEqual({ code: 127, signal: null });
  });
});

describeAsRoot('stdio', () => {
  test('is the caller\'s, kept across execve and blocking, though Node has it close-on-exec and non-blocking', () => {
    const script = `
      const fs = require('fs');
      const flags = () => fs.readFileSync('/proc/self/fdinfo/1', 'utf8').match(/^flags:\\s*(\\d+)/m)[1];
      process.stdout; // Node makes its stdout pipe non-blocking
      const before = flags();
      const native = require(${JSON.stringify(addonPath)});
      const result = native.spawnInit(Buffer.from(process.env.PLAN, 'base64'));
      native.waitExit(result.pid).then((status) => fs.writeSync(2, JSON.stringify({ before, status })));`;
    const plan = containerPlan(bundle.rootfs, 'grep ^flags: /proc/self/fdinfo/1');
    const child = spawnSync(process.execPath, ['-e', script], {
      env: { ...process.env, PLAN: encodePlan(plan).toString('base64') },
      encoding: 'utf8',
    });
    const O_NONBLOCK = 0o4000;
    const O_CLOEXEC = 0o2000000;
    const { before, status } = JSON.parse(child.stderr);
    expect(parseInt(before, 8) & (O_NONBLOCK | O_CLOEXEC)).toBe(O_NONBLOCK | O_CLOEXEC);
    expect(status).toEqual({ code: 0, signal: null });
    const inContainer = parseInt(child.stdout.match(/^flags:\s*(\d+)/m)?.[1] ?? 'NaN', 8);
    expect(inContainer & (O_NONBLOCK | O_CLOEXEC)).toBe(0);
  });
});

describeAsRoot('the exec fifo', () => {
  let stateDir: string;
  beforeEach(() => {
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-state-'));
    mkfifo(path.join(stateDir, 'exec.fifo'), 0o622);
  });
  afterEach(() => fs.rmSync(stateDir, { recursive: true, force: true }));

  const fifoPlan = (script: string) => containerPlan(bundle.rootfs, script, { exec: { fifo: { dir: stateDir, name: 'exec.fifo' } } });

  test('holds init before execve until releaseInit', async () => {
    const { pid } = spawnInit(fifoPlan('echo started > /tmp/out'));
    started.add(pid);
    await new Promise((r) => setTimeout(r, 300));
    expect(fs.existsSync(outFile)).toBe(false);
    expect(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8')).not.toContain('/bin/sh');

    releaseInit(path.join(stateDir, 'exec.fifo'), pid);
    expect(await started.wait(pid)).toEqual({ code: 0, signal: null });
    expect(fs.readFileSync(outFile, 'utf8')).toBe('started\n');
  });

  test('init waiting for start holds none of the caller\'s fds: a flock is released when the caller closes its fd', () => {
    const lockFile = path.join(stateDir, 'lock');
    fs.writeFileSync(lockFile, '');
    const fd = fs.openSync(lockFile, 'r');
    expect(flock(fd, 'exclusive', false)).toBe(true);
    const { pid } = spawnInit(fifoPlan('true'));
    started.add(pid);
    fs.closeSync(fd);
    const other = fs.openSync(lockFile, 'r');
    try {
      expect(flock(other, 'exclusive', false)).toBe(true);
    } finally {
      fs.closeSync(other);
    }
    // stdio, the sync socket and the fifo directory
    expect(fs.readdirSync(`/proc/${pid}/fd`).map(Number).sort((x, y) => x - y)).toEqual([0, 1, 2, expect.any(Number), expect.any(Number)]);
  });

  test('waiting for start, init dies of the signals the plan lists and of no other', async () => {
    const SIGUSR1 = 10;
    const SIGUSR2 = 12;
    const plan = fifoPlan('true');
    const { pid } = spawnInit({ ...plan, exec: { ...plan.exec, exitSignals: [SIGUSR1] } });
    started.add(pid);
    await new Promise((r) => setTimeout(r, 300));
    const fd = pidfdOpen(pid);
    try {
      pidfdSendSignal(fd, SIGUSR2);
      await new Promise((r) => setTimeout(r, 300));
      expect(fs.existsSync(`/proc/${pid}/fd`)).toBe(true);
      pidfdSendSignal(fd, SIGUSR1);
    } finally {
      fs.closeSync(fd);
    }
    expect(await started.wait(pid)).toEqual({ code: 128 + SIGUSR1, signal: null });
  });

  test('releaseInit says so when init died before it was started', async () => {
    const { pid } = spawnInit(fifoPlan('true'));
    started.add(pid);
    const fd = pidfdOpen(pid);
    pidfdSendSignal(fd, SIGKILL);
    fs.closeSync(fd);
    expect(() => releaseInit(path.join(stateDir, 'exec.fifo'), pid)).toThrow(
      expect.objectContaining({ code: 'ESRCH', message: expect.stringContaining(`container init (pid ${pid}) exited before it was started`) }),
    );
    expect(await started.wait(pid)).toEqual({ code: null, signal: SIGKILL });
  });

  test('releaseInit of a fifo that does not exist is ENOENT', () => {
    expect(() => releaseInit(path.join(stateDir, 'nope'), process.pid)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});

describeAsRoot('failures are reported as { phase, step, errno } and leave nothing behind', () => {
  test('a mount with an unknown filesystem type: init step, ENODEV', () => {
    const plan = containerPlan(bundle.rootfs, 'true', {
      beforePivot: [mountStep({ source: 'x', target: '/mnt', inRoot: true, fstype: 'nosuchfs', create: 'dir' })],
    });
    const err = spawnFailure(plan);
    const step = plan.init.findIndex((s) => s.op === 'mount' && s.fstype === 'nosuchfs');
    expect(err.failure).toEqual({ phase: 'init', step, errno: 19, code: 'ENODEV', syscall: 'mount', path: '/mnt' });
    expect(err.message).toBe(`init step ${step} (mount): ENODEV (mount /mnt)`);
  });

  test('a seccomp filter libseccomp cannot compile: init step, with the call that refused it', () => {
    const unknownArch = 0x1234;
    const plan = containerPlan(bundle.rootfs, 'true', {
      afterPivot: [{ op: 'seccomp', defaultAction: 0x7fff0000, architectures: [unknownArch], flags: 0, rules: [], unknownSyscalls: 'skip' }],
    });
    const step = plan.init.findIndex((s) => s.op === 'seccomp');
    expect(spawnFailure(plan).failure).toEqual({ phase: 'init', step, errno: 22, code: 'EINVAL', syscall: 'seccomp_arch_add', path: '', value: unknownArch });
  });

  test('a rule naming a syscall libseccomp does not know: skipped or a failure of the step, as the plan says', async () => {
    const filter = (unknownSyscalls: 'skip' | 'fail'): InitStep => ({
      op: 'seccomp',
      defaultAction: 0x7fff0000,
      architectures: [],
      flags: 0,
      rules: [{ syscall: 'no_such_syscall', action: 0x80000000, conditions: [] }],
      unknownSyscalls,
    });
    expect(await run(containerPlan(bundle.rootfs, 'echo ran > /tmp/out', { afterPivot: [filter('skip')] }))).toBe('ran\n');
    const plan = containerPlan(bundle.rootfs, 'true', { afterPivot: [filter('fail')] });
    const step = plan.init.findIndex((s) => s.op === 'seccomp');
    expect(spawnFailure(plan).failure).toEqual({ phase: 'init', step, errno: 22, code: 'EINVAL', syscall: 'seccomp_syscall_resolve_name', path: 'no_such_syscall' });
  });

  describe('with a compiled seccomp program in the plan (tsrund: runtime/native/seccomp-programs.ts)', () => {
    const SIGSYS = 31;
    const SCMP_ACT_KILL = 0;
    const withFilter = (script: string, step: InitStep) => containerPlan(bundle.rootfs, script, { afterPivot: [step] });
    const programOf = (plan: InitPlan) => plan.init.find((s): s is SeccompStep => s.op === 'seccomp')!.program;

    test('the program is the filter in force, as its description would be, container after container', async () => {
      const programs = new SeccompPrograms();
      const script = 'exec >/tmp/out 2>&1; mkdir /tmp/d && echo mkdir=ok; chmod 700 /tmp && echo chmod=ok; grep ^Seccomp: /proc/self/status';
      const mkdirDenied = () => programs.withProgram(withFilter(script, denyingFilter('mkdir', 'mkdirat')));
      const chmodDenied = () => programs.withProgram(withFilter(script, denyingFilter('chmod', 'fchmodat', 'fchmodat2')));
      for (const [plan, want] of [
        [mkdirDenied(), /Permission denied\nchmod=ok\nSeccomp:\t2\n$/],
        [chmodDenied(), /^mkdir=ok\n.*Permission denied\nSeccomp:\t2\n$/s],
        [mkdirDenied(), /Permission denied\nchmod=ok\nSeccomp:\t2\n$/],
        [chmodDenied(), /^mkdir=ok\n.*Permission denied\nSeccomp:\t2\n$/s],
      ] as const) {
        expect(programOf(plan)!.length).toBeGreaterThan(0);
        fs.rmSync(path.join(bundle.rootfs, 'tmp/d'), { recursive: true, force: true });
        expect(await run(plan)).toMatch(want);
      }
    });

    test('a program is loaded as it is: the description beside it is not compiled', async () => {
      const allowAll = programOf(new SeccompPrograms().withProgram(withFilter('true', denyingFilter())))!;
      // busybox sh calls getppid() as it starts: the description alone would kill it.
      const killing: SeccompStep = { ...denyingFilter(), rules: [{ syscall: 'getppid', action: SCMP_ACT_KILL, conditions: [] }] };
      expect(await run(withFilter('echo ran > /tmp/out', { ...killing, program: allowAll }))).toBe('ran\n');
      const { pid } = spawnInit(withFilter('echo not reached > /tmp/out', killing));
      started.add(pid);
      expect(await started.wait(pid)).toEqual({ code: null, signal: SIGSYS });
    });

    test('a program the kernel refuses fails the seccomp step with EINVAL, before the process runs', () => {
      const plan = withFilter('echo not reached > /tmp/out', { ...denyingFilter(), program: [{ code: 0xffff, jt: 0, jf: 0, k: 0 }] });
      const step = plan.init.findIndex((s) => s.op === 'seccomp');
      expect(spawnFailure(plan).failure).toMatchObject({ phase: 'init', step, code: 'EINVAL', syscall: 'seccomp(SECCOMP_SET_MODE_FILTER)' });
      expect(fs.existsSync(outFile)).toBe(false);
    });
  });

  test('a program that is not there: exec, ENOENT, before READY', () => {
    const plan = containerPlan(bundle.rootfs, '');
    plan.exec.args = ['no-such-program'];
    expect(spawnFailure(plan).failure).toEqual({ phase: 'exec', step: 0, errno: 2, code: 'ENOENT', syscall: 'exec', path: 'no-such-program' });
  });

  test('a program that is not executable: exec, EACCES', () => {
    const plan = containerPlan(bundle.rootfs, '');
    plan.exec.args = ['/etc/passwd'];
    expect(spawnFailure(plan).failure).toMatchObject({ phase: 'exec', code: 'EACCES' });
  });

  test('a setns path that is not a namespace: stage1, EINVAL', () => {
    const plan = containerPlan(bundle.rootfs, 'true');
    plan.stage1 = [{ op: 'setns', nstype: CLONE_NEWNET, path: '/etc/hostname' }];
    expect(spawnFailure(plan).failure).toEqual({ phase: 'stage1', step: 0, errno: 22, code: 'EINVAL', syscall: 'setns', path: '/etc/hostname' });
  });

  test('a setns path that does not exist: stage1, ENOENT, before any clone', () => {
    const plan = containerPlan(bundle.rootfs, 'true');
    plan.stage1 = [{ op: 'setns', nstype: CLONE_NEWNET, path: '/proc/no-such/ns/net' }];
    expect(spawnFailure(plan).failure).toMatchObject({ phase: 'stage1', step: 0, code: 'ENOENT' });
  });

  test('a parent step that fails kills init: parent, ENOENT', () => {
    const plan = containerPlan(bundle.rootfs, 'true');
    plan.parent = [{ op: 'writePid', path: path.join(bundle.dir, 'no-such-dir', 'cgroup.procs') }];
    expect(spawnFailure(plan).failure).toMatchObject({ phase: 'parent', step: 0, code: 'ENOENT' });
  });

  test('an init killed in the middle of its steps: init, no step, EPIPE, and how it died', async () => {
    const [fifo1, fifo2, pidFile] = ['fifo1', 'fifo2', 'pid'].map((f) => path.join(bundle.dir, f));
    mkfifo(fifo1, 0o600);
    mkfifo(fifo2, 0o600);
    fs.writeFileSync(pidFile, '');
    // Once init writes to fifo1 it is on its way to block on fifo2, which nobody reads: kill it.
    const killer = spawn('sh', ['-c', `read x < ${fifo1}; kill -9 $(cat ${pidFile})`], { stdio: 'ignore' });
    const killerDone = new Promise((resolve) => killer.on('exit', resolve));
    const plan = containerPlan(bundle.rootfs, 'true', {
      beforePivot: [
        { op: 'writeFile', path: fifo1, data: 'x\n' },
        { op: 'writeFile', path: fifo2, data: 'never read' },
      ],
    });
    plan.parent = [{ op: 'writePid', path: pidFile }];
    const failure = spawnFailure(plan).failure;
    await killerDone;
    expect(failure).toEqual({ phase: 'init', step: -1, errno: 32, code: 'EPIPE', syscall: '', path: '', reason: 'silentExit', signal: 9 });
  });

  test('an init whose parent dies before GO exits instead of waiting forever', () => {
    const [pidFifo, blockFifo] = ['pid.fifo', 'block.fifo'].map((f) => path.join(bundle.dir, f));
    mkfifo(pidFifo, 0o600);
    mkfifo(blockFifo, 0o600);
    const plan = containerPlan(bundle.rootfs, 'true');
    // The parent hands out init's pid, then blocks in its second step until it is killed.
    plan.parent = [
      { op: 'writePid', path: pidFifo },
      { op: 'writePid', path: blockFifo },
    ];
    const parentScript = `require(${JSON.stringify(addonPath)}).spawnInit(Buffer.from(process.env.PLAN, 'base64'))`;
    // A subreaper stands in for the host's pid 1: init, orphaned, becomes its child.
    const reaperScript = `
      const fs = require('fs');
      const native = require(${JSON.stringify(addonPath)});
      require(${JSON.stringify(testAddonPath)}).setChildSubreaper();
      const parent = require('child_process').spawn(process.execPath, ['-e', ${JSON.stringify(parentScript)}], { stdio: 'inherit' });
      const initPid = Number(fs.readFileSync(${JSON.stringify(pidFifo)}, 'utf8'));
      fs.writeSync(2, String(initPid));
      parent.on('exit', () => native.waitExit(initPid).then((status) => console.log(JSON.stringify(status))));
      parent.kill('SIGKILL');`;
    const reaper = spawnSync(process.execPath, ['-e', reaperScript], {
      env: { ...process.env, PLAN: encodePlan(plan).toString('base64') },
      encoding: 'utf8',
      timeout: 10000,
    });
    const initPid = Number(reaper.stderr);
    if (reaper.error && initPid > 0) process.kill(initPid, 'SIGKILL'); // stuck in its wait for GO
    expect(reaper.error).toBeUndefined();
    expect(JSON.parse(reaper.stdout)).toEqual({ code: 1, signal: null });
  });

  test('an inRoot step before any openRoot is refused', () => {
    const plan = containerPlan(bundle.rootfs, 'true');
    plan.init = [plan.init[0], mountStep({ source: 'tmpfs', target: '/x', inRoot: true, fstype: 'tmpfs' })];
    plan.cloneFlags = CLONE_NEWNS;
    expect(spawnFailure(plan).failure).toEqual({
      phase: 'init',
      step: 1,
      errno: 22,
      code: 'EINVAL',
      syscall: '',
      path: '/x',
      reason: 'noOpenRoot',
    });
  });
});

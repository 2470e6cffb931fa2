/**
 * The remaining Linux process and kernel settings, observed from inside the container: sysctls,
 * the execution domain, scheduling, I/O priority, NUMA policy, the oom score, time namespace
 * offsets; and the settings this host cannot honour, refused with their JSON path and nothing
 * left behind.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Config } from '../helpers/bundle';
import { containerFixtures } from '../helpers/fixtures';
import { uniqueId } from '../helpers/tsrun';

const fx = containerFixtures();

/** Run `script` in a container (foreground); its stdout, or the test fails with tsrun's stderr. */
function inside(script: string, edit?: (c: Config) => void): string {
  const b = fx.bundle(['sh', '-c', script], edit);
  const r = fx.tsrun.cmd(['run', '-b', b.dir, fx.tsrun.track(uniqueId('extras'))]);
  if (r.code !== 0) throw new Error(`container exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** Fields of /proc/<pid>/stat after the command name, numbered as proc(5) numbers them (1-based). */
function statField(stat: string, n: number): string {
  return stat.slice(stat.lastIndexOf(')') + 2).trim().split(' ')[n - 3];
}

function cgroupLeft(cgroupsPath: string): string[] {
  return fs.readdirSync('/sys/fs/cgroup').filter((h) => fs.existsSync(path.join('/sys/fs/cgroup', h, cgroupsPath)));
}

/** create fails with one line matching `pattern`, and leaves no state directory and no cgroup. */
function expectRefused(edit: (c: Config) => void, pattern: RegExp): void {
  const cgroupsPath = `/tsrun-test-${uniqueId('extras-bad')}`;
  const b = fx.bundle(['true'], (c) => {
    Object.assign(c.linux, { cgroupsPath });
    edit(c);
  });
  const r = fx.tsrun.cmd(['create', '-b', b.dir, uniqueId('extras-bad')]);
  expect(r.code).toBe(1);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  // The message is a logfmt value: its quotes arrive escaped.
  expect(r.stderr.replace(/\\"/g, '"')).toMatch(pattern);
  expect(fs.existsSync(fx.tsrun.root) ? fs.readdirSync(fx.tsrun.root) : []).toEqual([]);
  expect(cgroupLeft(cgroupsPath)).toEqual([]);
}

/** `test` when the host can run it, else a skip that says why. */
function testIf(runs: boolean, reason: string): (name: string, fn: () => void) => void {
  return runs ? test : (name, fn) => test.skip(`${name} (skipped: ${reason})`, fn);
}

const hostValue = (file: string) => fs.readFileSync(file, 'utf8').trim();

describe('linux.sysctl', () => {
  test('namespaced values are set inside, /proc/sys is read-only afterwards, the host keeps its own', () => {
    const hostShmmax = hostValue('/proc/sys/kernel/shmmax');
    const hostMsgMax = hostValue('/proc/sys/fs/mqueue/msg_max');
    const out = inside(
      'cat /proc/sys/kernel/shmmax /proc/sys/net/ipv4/ip_forward /proc/sys/fs/mqueue/msg_max /proc/sys/kernel/domainname; ' +
        '(echo 0 > /proc/sys/net/ipv4/ip_forward) 2>/dev/null && echo writable || echo read-only',
      (c) => {
        Object.assign(c.linux, {
          sysctl: { 'kernel.shmmax': '123456789', 'net.ipv4.ip_forward': '1', 'fs.mqueue.msg_max': '17', 'kernel.domainname': 'sysctl.example' },
        });
      },
    );
    expect(out.trim().split('\n')).toEqual(['123456789', '1', '17', 'sysctl.example', 'read-only']);
    expect(hostValue('/proc/sys/kernel/shmmax')).toBe(hostShmmax);
    expect(hostValue('/proc/sys/fs/mqueue/msg_max')).toBe(hostMsgMax);
  });

  test('a sysctl no namespace of the container isolates is refused before anything is made', () => {
    expectRefused((c) => Object.assign(c.linux, { sysctl: { 'vm.swappiness': '1' } }), /linux\.sysctl\["vm\.swappiness"\]: is not namespaced/);
    expectRefused(
      (c) => {
        c.linux.namespaces = c.linux.namespaces.filter((n) => n.type !== 'network');
        Object.assign(c.linux, { sysctl: { 'net.ipv4.ip_forward': '1' } });
      },
      /linux\.sysctl\["net\.ipv4\.ip_forward"\]: .*network namespace/,
    );
  });

  test('a sysctl the kernel does not have fails create, naming the entry, and leaves nothing behind', () => {
    expectRefused(
      (c) => Object.assign(c.linux, { sysctl: { 'net.ipv4.no_such_setting': '1' } }),
      /linux\.sysctl\["net\.ipv4\.no_such_setting"\]: write \/proc\/sys\/net\/ipv4\/no_such_setting: ENOENT/,
    );
  });
});

describe('process attributes', () => {
  const machine32: Partial<Record<string, string>> = { x64: 'i686', arm64: 'armv8l' };
  testIf(machine32[process.arch] !== undefined, `no 32-bit machine name known for ${process.arch}`)('linux.personality LINUX32: uname reports a 32-bit machine', () => {
    expect(inside('uname -m').trim()).not.toBe(machine32[process.arch]);
    const out = inside('uname -m', (c) => Object.assign(c.linux, { personality: { domain: 'LINUX32' } }));
    expect(out.trim()).toBe(machine32[process.arch]);
  });

  test('process.scheduler: SCHED_BATCH with nice 7 is the policy and nice value of the process', () => {
    const stat = inside('cat /proc/self/stat', (c) => Object.assign(c.process, { scheduler: { policy: 'SCHED_BATCH', nice: 7 } }));
    expect(statField(stat, 41)).toBe('3'); // policy: SCHED_BATCH
    expect(statField(stat, 19)).toBe('7'); // nice
  });

  testIf(fs.existsSync('/sys/fs/cgroup/cpu/cpu.rt_runtime_us'), 'no v1 cpu.rt_runtime_us to give the container a real-time budget')('process.scheduler: SCHED_RR priority 10 with a real-time budget in its cpu cgroup', () => {
    const stat = inside('cat /proc/self/stat', (c) => {
      Object.assign(c.process, { scheduler: { policy: 'SCHED_RR', priority: 10 } });
      c.linux.resources = { ...c.linux.resources, cpu: { realtimeRuntime: 10000, realtimePeriod: 1000000 } } as typeof c.linux.resources;
    });
    expect(statField(stat, 41)).toBe('2'); // policy: SCHED_RR
    expect(statField(stat, 40)).toBe('10'); // rt_priority
  });

  test('process.ioPriority: the class and level ionice reports', () => {
    const out = inside('ionice -p $$', (c) => Object.assign(c.process, { ioPriority: { class: 'IOPRIO_CLASS_BE', priority: 6 } }));
    expect(out.trim()).toBe('best-effort: prio 6');
    const idle = inside('ionice -p $$', (c) => Object.assign(c.process, { ioPriority: { class: 'IOPRIO_CLASS_IDLE' } }));
    expect(idle.trim()).toBe('idle');
  });

  // Raising the score needs no privilege; lowering it needs CAP_SYS_RESOURCE, which this test may lack.
  test('process.oomScoreAdj is the score adjustment of the process', () => {
    expect(inside('cat /proc/self/oom_score_adj', (c) => Object.assign(c.process, { oomScoreAdj: 987 })).trim()).toBe('987');
  });

  testIf(fs.existsSync('/sys/devices/system/node/node0'), 'the host has no NUMA node 0')('linux.memoryPolicy MPOL_BIND to node 0: the process memory is bound there', () => {
    const out = inside('cat /proc/self/numa_maps', (c) => Object.assign(c.linux, { memoryPolicy: { mode: 'MPOL_BIND', nodes: '0' } }));
    const policies = out.trim().split('\n').map((line) => line.split(' ')[1]);
    expect(policies.length).toBeGreaterThan(0);
    expect(new Set(policies)).toEqual(new Set(['bind:0']));
  });

  test('bad scheduler, I/O priority, personality and memory policy values are refused with their path', () => {
    expectRefused((c) => Object.assign(c.process, { scheduler: { policy: 'SCHED_FIFO' } }), /process\.scheduler\.priority: must be from 1 to 99 with SCHED_FIFO/);
    expectRefused((c) => Object.assign(c.process, { scheduler: { policy: 'SCHED_NOPE' } }), /process\.scheduler\.policy/);
    expectRefused((c) => Object.assign(c.process, { ioPriority: { class: 'IOPRIO_CLASS_BE', priority: 9 } }), /process\.ioPriority\.priority/);
    expectRefused((c) => Object.assign(c.linux, { personality: { domain: 'LINUX64' } }), /linux\.personality\.domain/);
    expectRefused((c) => Object.assign(c.linux, { memoryPolicy: { mode: 'MPOL_BIND', nodes: '0-' } }), /linux\.memoryPolicy\.nodes: "0-" is not a node list/);
  });

  test('a NUMA node the host does not have fails create, naming linux.memoryPolicy, and leaves nothing behind', () => {
    expectRefused(
      (c) => Object.assign(c.linux, { memoryPolicy: { mode: 'MPOL_BIND', nodes: '1000' } }),
      /set the NUMA memory policy of linux\.memoryPolicy .*: set_mempolicy: EINVAL/,
    );
  });
});

describe('time namespace offsets', () => {
  test('boottime and monotonic offsets move the clocks the container reads', () => {
    const offset = 10 * 86400;
    const hostUptime = () => Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    const before = hostUptime();
    const out = inside('cat /proc/uptime; cat /proc/self/timens_offsets', (c) => {
      c.linux.namespaces.push({ type: 'time' });
      Object.assign(c.linux, { timeOffsets: { boottime: { secs: offset, nanosecs: 0 }, monotonic: { secs: 3600, nanosecs: 0 } } });
    });
    const after = hostUptime();
    const [uptime, ...offsets] = out.trim().split('\n');
    const inner = Number(uptime.split(' ')[0]);
    expect(inner).toBeGreaterThanOrEqual(before + offset);
    expect(inner).toBeLessThanOrEqual(after + offset);
    expect(offsets.map((l) => l.split(/\s+/).filter(Boolean))).toEqual(
      expect.arrayContaining([
        ['monotonic', '3600', '0'],
        ['boottime', String(offset), '0'],
      ]),
    );
  });
});

describe('what this host cannot apply', () => {
  const hasAppArmor = fs.existsSync('/sys/kernel/security/apparmor');
  const hasSelinux = fs.existsSync('/sys/fs/selinux/enforce');

  testIf(!hasAppArmor, 'this host has AppArmor')('process.apparmorProfile without AppArmor is refused', () => {
    expectRefused((c) => Object.assign(c.process, { apparmorProfile: 'docker-default' }), /process\.apparmorProfile: AppArmor is not enabled on this host/);
  });

  testIf(!hasSelinux, 'this host has SELinux')('process.selinuxLabel and linux.mountLabel without SELinux are refused, as runc refuses them', () => {
    expectRefused((c) => Object.assign(c.process, { selinuxLabel: 'system_u:system_r:container_t:s0' }), /process\.selinuxLabel: SELinux is not enabled on this host/);
    expectRefused((c) => Object.assign(c.linux, { mountLabel: 'system_u:object_r:container_file_t:s0' }), /linux\.mountLabel: SELinux is not enabled on this host/);
  });

  test('linux.intelRdt and linux.netDevices are refused with their path', () => {
    expectRefused((c) => Object.assign(c.linux, { intelRdt: { closID: 'tsrun-test' } }), /linux\.intelRdt: /);
    expectRefused((c) => Object.assign(c.linux, { netDevices: { 'tsrun-no-such0': {} } }), /linux\.netDevices\["tsrun-no-such0"\]: the host has no network interface "tsrun-no-such0"/);
  });
});

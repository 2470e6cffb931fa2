import { buildInitPlan } from './build';
import { parseNodeList } from './mempolicy';
import { PlanError } from './plan-error';
import { sysctlComponents } from './sysctl';
import { indexOf, specWith, stepsOf, testContext } from '../../test/helpers/plan-context';
import type { InitPlan, InitStep, SecurityFacts } from './types';

type EditableSpec = Parameters<Parameters<typeof specWith>[0]>[0];

const NO_LSM: SecurityFacts = { apparmorExecAttr: null, selinux: false, resctrl: false };

function plan(edit: (s: EditableSpec) => void, security: SecurityFacts = NO_LSM): InitPlan {
  return buildInitPlan(specWith(edit), testContext({ security }));
}

/** The PlanError message a config gets. */
function refusal(edit: (s: EditableSpec) => void, security: SecurityFacts = NO_LSM): string {
  try {
    plan(edit, security);
  } catch (e) {
    if (e instanceof PlanError) return e.message;
    throw e;
  }
  throw new Error('the config was accepted');
}

const index = (p: InitPlan, pred: (s: InitStep) => boolean) => {
  const i = indexOf(p, pred);
  expect(i).toBeGreaterThanOrEqual(0);
  return i;
};

describe('linux.sysctl', () => {
  test('each entry is a write under /proc/sys, after the root change and before /proc/sys goes read-only', () => {
    const p = plan((s) => {
      s.linux.sysctl = { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '65536', 'fs.mqueue.msg_max': '20' };
    });
    const writes = stepsOf(p, 'writeFile');
    expect(writes).toEqual([
      { op: 'writeFile', path: '/proc/sys/net/ipv4/ip_forward', data: '1', purpose: 'linux.sysctl["net.ipv4.ip_forward"]' },
      { op: 'writeFile', path: '/proc/sys/kernel/shmmax', data: '65536', purpose: 'linux.sysctl["kernel.shmmax"]' },
      { op: 'writeFile', path: '/proc/sys/fs/mqueue/msg_max', data: '20', purpose: 'linux.sysctl["fs.mqueue.msg_max"]' },
    ]);
    const pivot = index(p, (s) => s.op === 'pivotRoot');
    const firstWrite = index(p, (s) => s.op === 'writeFile');
    const procSysReadonly = index(p, (s) => s.op === 'mount' && s.target === '/proc/sys' && (s.flags & 32) !== 0);
    expect(firstWrite).toBe(pivot + 1);
    expect(firstWrite).toBeLessThan(procSysReadonly);
  });

  test('with --no-pivot the writes follow the move of the root', () => {
    const p = buildInitPlan(specWith((s) => (s.linux.sysctl = { 'kernel.sem': '1 2 3 4' })), testContext({ noPivot: true }));
    expect(p.init[index(p, (s) => s.op === 'moveRoot') + 1]).toMatchObject({ op: 'writeFile', path: '/proc/sys/kernel/sem' });
  });

  test('slash-separated names keep their dots (interface names such as eth0.100)', () => {
    expect(sysctlComponents('net/ipv4/conf/eth0.100/forwarding')).toEqual(['net', 'ipv4', 'conf', 'eth0.100', 'forwarding']);
    const p = plan((s) => (s.linux.sysctl = { 'net/ipv4/conf/eth0.100/forwarding': '1' }));
    expect(stepsOf(p, 'writeFile')[0].path).toBe('/proc/sys/net/ipv4/conf/eth0.100/forwarding');
  });

  test('which sysctls a container may set is for config validation (spec/rules.ts); the plan writes what it is given', () => {
    const p = plan((s) => (s.linux.sysctl = { 'kernel.domainname': 'example.org' }));
    expect(stepsOf(p, 'writeFile')[0]).toMatchObject({ path: '/proc/sys/kernel/domainname', data: 'example.org' });
  });

  test.each(['net.ipv4/../../vm/swappiness', 'net..ipv4', 'net/ipv4/', '.'])('%s is refused: it would not stay beneath /proc/sys', (key) => {
    expect(refusal((s) => (s.linux.sysctl = { [key]: '1' }))).toMatch(/^linux\.sysctl\[".*"\]: not a sysctl name/);
  });
});

describe('linux.personality', () => {
  test('LINUX32 is personality(PER_LINUX32 = 8), LINUX is 0', () => {
    expect(stepsOf(plan((s) => (s.linux.personality = { domain: 'LINUX32' })), 'personality')).toEqual([{ op: 'personality', persona: 8 }]);
    expect(stepsOf(plan((s) => (s.linux.personality = { domain: 'LINUX' })), 'personality')).toEqual([{ op: 'personality', persona: 0 }]);
  });

  test('an unknown domain or any flag is refused with its path', () => {
    expect(refusal((s) => (s.linux.personality = { domain: 'LINUX64' as 'LINUX' }))).toMatch(/^linux\.personality\.domain: unknown execution domain "LINUX64"/);
    expect(refusal((s) => (s.linux.personality = { domain: 'LINUX', flags: ['X'] }))).toMatch(/^linux\.personality\.flags\[0\]: unknown personality flag "X"/);
  });
});

describe('process.scheduler', () => {
  test('SCHED_FIFO with a priority, and flags, run before the credentials change', () => {
    const p = plan((s) => {
      s.process.scheduler = { policy: 'SCHED_FIFO', priority: 10, flags: ['SCHED_FLAG_RESET_ON_FORK'] };
    });
    expect(stepsOf(p, 'scheduler')).toEqual([
      { op: 'scheduler', policy: 1, flags: '1', nice: 0, priority: 10, runtime: '0', deadline: '0', period: '0' },
    ]);
    expect(index(p, (s) => s.op === 'scheduler')).toBeLessThan(index(p, (s) => s.op === 'setUser'));
  });

  test('SCHED_DEADLINE carries its times; a nice value goes with SCHED_OTHER', () => {
    const dl = plan((s) => (s.process.scheduler = { policy: 'SCHED_DEADLINE', runtime: 10_000_000, deadline: 30_000_000, period: 50_000_000 }));
    expect(stepsOf(dl, 'scheduler')[0]).toMatchObject({ policy: 6, runtime: '10000000', deadline: '30000000', period: '50000000' });
    const other = plan((s) => (s.process.scheduler = { policy: 'SCHED_OTHER', nice: -5 }));
    expect(stepsOf(other, 'scheduler')[0]).toMatchObject({ policy: 0, nice: -5, priority: 0 });
  });

  test.each([
    [{ policy: 'SCHED_BOGUS' }, /^process\.scheduler\.policy: unknown scheduling policy "SCHED_BOGUS"/],
    [{ policy: 'SCHED_ISO' }, /^process\.scheduler\.policy: SCHED_ISO is reserved/],
    [{ policy: 'SCHED_OTHER', nice: 20 }, /^process\.scheduler\.nice: must be an integer from -20 to 19, not 20/],
    [{ policy: 'SCHED_OTHER', priority: 5 }, /^process\.scheduler\.priority: only SCHED_FIFO and SCHED_RR take a priority/],
    [{ policy: 'SCHED_RR' }, /^process\.scheduler\.priority: SCHED_RR needs a priority from 1 to 99/],
    [{ policy: 'SCHED_FIFO', priority: 100 }, /^process\.scheduler\.priority: must be an integer from 1 to 99/],
    [{ policy: 'SCHED_BATCH', runtime: 5 }, /^process\.scheduler\.runtime: only SCHED_DEADLINE takes a runtime/],
    [{ policy: 'SCHED_DEADLINE', runtime: 5 }, /^process\.scheduler\.deadline: SCHED_DEADLINE needs a deadline/],
    [{ policy: 'SCHED_DEADLINE', runtime: 50, deadline: 10 }, /^process\.scheduler\.runtime: must be from 1 to the deadline/],
    [{ policy: 'SCHED_OTHER', flags: ['SCHED_FLAG_X'] }, /^process\.scheduler\.flags\[0\]: unknown scheduler flag "SCHED_FLAG_X"/],
  ])('%j is refused', (scheduler, message) => {
    expect(refusal((s) => (s.process.scheduler = scheduler as EditableSpec['process']['scheduler']))).toMatch(message);
  });
});

describe('process.ioPriority', () => {
  test('class and level, before the credentials change', () => {
    const p = plan((s) => (s.process.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 6 }));
    expect(stepsOf(p, 'ioPriority')).toEqual([{ op: 'ioPriority', ioClass: 2, level: 6 }]);
    expect(index(p, (s) => s.op === 'ioPriority')).toBeLessThan(index(p, (s) => s.op === 'setUser'));
  });

  test('an unknown class or a level above 7 is refused', () => {
    expect(refusal((s) => (s.process.ioPriority = { class: 'IOPRIO_CLASS_X' as 'IOPRIO_CLASS_BE' }))).toMatch(/^process\.ioPriority\.class: unknown I\/O priority class/);
    expect(refusal((s) => (s.process.ioPriority = { class: 'IOPRIO_CLASS_RT', priority: 8 }))).toMatch(/^process\.ioPriority\.priority: must be an integer from 0 to 7, not 8/);
  });
});

describe('linux.memoryPolicy', () => {
  test('node lists', () => {
    expect(parseNodeList('0-3,7', 'x')).toEqual([0, 1, 2, 3, 7]);
    expect(parseNodeList('5,1,1', 'x')).toEqual([1, 5]);
    expect(parseNodeList('', 'x')).toEqual([]);
    expect(() => parseNodeList('3-1', 'x')).toThrow(/runs backwards/);
    expect(() => parseNodeList('a', 'x')).toThrow(/not a node list/);
    expect(() => parseNodeList('1024', 'x')).toThrow(/beyond Linux's 1024/);
  });

  test('mode with flags or-ed in, and the nodes', () => {
    const p = plan((s) => (s.linux.memoryPolicy = { mode: 'MPOL_BIND', nodes: '0', flags: ['MPOL_F_STATIC_NODES'] }));
    expect(stepsOf(p, 'memoryPolicy')).toEqual([{ op: 'memoryPolicy', mode: 2 | (1 << 15), nodes: [0] }]);
  });

  test.each([
    [{ mode: 'MPOL_BIND' }, /^linux\.memoryPolicy\.nodes: MPOL_BIND needs at least one node/],
    [{ mode: 'MPOL_DEFAULT', nodes: '0' }, /^linux\.memoryPolicy\.nodes: MPOL_DEFAULT takes no nodes/],
    [{ mode: 'MPOL_NOPE' }, /^linux\.memoryPolicy\.mode: unknown memory policy mode/],
    [{ mode: 'MPOL_BIND', nodes: '0', flags: ['MPOL_F_STATIC_NODES', 'MPOL_F_RELATIVE_NODES'] }, /exclude each other/],
  ])('%j is refused', (policy, message) => {
    expect(refusal((s) => (s.linux.memoryPolicy = policy as EditableSpec['linux']['memoryPolicy']))).toMatch(message);
  });
});

describe('security labels', () => {
  const APPARMOR: SecurityFacts = { apparmorExecAttr: '/proc/self/attr/apparmor/exec', selinux: false, resctrl: false };
  const SELINUX: SecurityFacts = { apparmorExecAttr: null, selinux: true, resctrl: false };

  test('an AppArmor profile is written to the exec attribute, as root, before the credentials change', () => {
    const p = plan((s) => (s.process.apparmorProfile = 'docker-default'), APPARMOR);
    const i = index(p, (s) => s.op === 'writeFile' && s.path === '/proc/self/attr/apparmor/exec');
    expect(p.init[i]).toMatchObject({ data: 'exec docker-default', purpose: 'process.apparmorProfile' });
    expect(i).toBeLessThan(index(p, (s) => s.op === 'setUser'));
  });

  test('without AppArmor or SELinux on the host, a profile or label is refused at create', () => {
    expect(refusal((s) => (s.process.apparmorProfile = 'docker-default'))).toMatch(/^process\.apparmorProfile: AppArmor is not enabled on this host/);
    expect(refusal((s) => (s.process.selinuxLabel = 'system_u:system_r:container_t:s0'))).toMatch(/^process\.selinuxLabel: SELinux is not enabled on this host/);
    expect(refusal((s) => (s.linux.mountLabel = 'system_u:object_r:container_file_t:s0'))).toMatch(/^linux\.mountLabel: SELinux is not enabled on this host/);
  });

  test('with SELinux: the process label goes to attr/exec, the mount label onto new filesystems that take a context', () => {
    const label = 'system_u:object_r:container_file_t:s0';
    const p = plan((s) => {
      s.process.selinuxLabel = 'system_u:system_r:container_t:s0';
      s.linux.mountLabel = label;
    }, SELINUX);
    expect(stepsOf(p, 'writeFile')).toContainEqual({ op: 'writeFile', path: '/proc/self/attr/exec', data: 'system_u:system_r:container_t:s0', purpose: 'process.selinuxLabel' });
    const mounts = stepsOf(p, 'mount');
    const dev = mounts.find((m) => m.target === 'dev' || m.target === '/dev');
    expect(dev?.data).toMatch(new RegExp(`,context="${label}"$`));
    expect(mounts.find((m) => m.fstype === 'proc')?.data ?? '').not.toContain('context=');
    expect(mounts.filter((m) => m.source !== null && m.fstype === null).every((m) => !(m.data ?? '').includes('context='))).toBe(true);
  });
});

describe('refused fields', () => {
  test('linux.intelRdt: without resctrl, says so; with it, not supported yet', () => {
    expect(refusal((s) => (s.linux.intelRdt = { closID: 'x' }))).toMatch(/^linux\.intelRdt: .*no resctrl filesystem is mounted/);
    expect(refusal((s) => (s.linux.intelRdt = { closID: 'x' }), { ...NO_LSM, resctrl: true })).toMatch(/^linux\.intelRdt: .*not supported by this tsrun yet/);
  });
});

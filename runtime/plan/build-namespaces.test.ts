import type { LinuxNamespace } from '../../spec/types';
import { buildInitPlan } from './build';
import { PlanError } from './plan-error';
import { baseSpec, specWith, testContext } from '../../test/helpers/plan-context';
import { formatIssue, validateConfig } from '../../spec/validate';

// Kernel values, written out so that a wrong constant in linux.ts shows up here.
const NEWTIME = 0x80;
const NEWNS = 0x20000;
const NEWCGROUP = 0x02000000;
const NEWUTS = 0x04000000;
const NEWIPC = 0x08000000;
const NEWUSER = 0x10000000;
const NEWPID = 0x20000000;
const NEWNET = 0x40000000;
const MS_PRIVATE = 1 << 18;
const MS_SLAVE = 1 << 19;

const USER_MAPS = {
  uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
  gidMappings: [
    { containerID: 0, hostID: 200000, size: 1000 },
    { containerID: 1000, hostID: 1000, size: 1 },
  ],
};

describe('new namespaces', () => {
  test('the default config clones pid, network, ipc, uts and mount namespaces', () => {
    const plan = buildInitPlan(baseSpec(), testContext());
    expect(plan.cloneFlags).toBe(NEWPID | NEWNET | NEWIPC | NEWUTS | NEWNS);
    expect(plan.stage1).toEqual([]);
  });

  test('a new cgroup namespace is an unshare in init, once init is in its cgroups', () => {
    const plan = buildInitPlan(baseSpec(), testContext());
    expect(plan.cloneFlags & NEWCGROUP).toBe(0);
    const unshare = plan.init.findIndex((s) => s.op === 'unshare');
    expect(plan.init[unshare]).toEqual({ op: 'unshare', flags: NEWCGROUP });
    // The three v1 hierarchies init joins itself, before; the v2 one the parent (no clone3 here).
    expect(plan.init.slice(0, unshare).map((s) => s.op)).toEqual(['joinCgroup', 'joinCgroup', 'joinCgroup']);
    expect(plan.parent.filter((s) => s.op === 'writePid')).toHaveLength(1);
  });

  test('no cgroup namespace, no unshare', () => {
    const plan = buildInitPlan(specWith((s) => (s.linux.namespaces = s.linux.namespaces.filter((n) => n.type !== 'cgroup'))), testContext());
    expect(plan.init.some((s) => s.op === 'unshare')).toBe(false);
  });

  test('a new time namespace is made in stage1 and gets its offsets before init is cloned', () => {
    const plan = buildInitPlan(
      specWith((s) => {
        s.linux.namespaces.push({ type: 'time' });
        s.linux.timeOffsets = { monotonic: { secs: 7881, nanosecs: 2718281 }, boottime: { secs: 1337, nanosecs: 3141519 } };
      }),
      testContext(),
    );
    expect(plan.cloneFlags & NEWTIME).toBe(0);
    expect(plan.stage1).toEqual([
      { op: 'unshare', flags: NEWTIME },
      { op: 'writeFile', path: '/proc/self/timens_offsets', data: 'monotonic 7881 2718281\nboottime 1337 3141519\n' },
    ]);
  });

  test('a time namespace without offsets is only unshared', () => {
    const plan = buildInitPlan(specWith((s) => s.linux.namespaces.push({ type: 'time' })), testContext());
    expect(plan.stage1).toEqual([{ op: 'unshare', flags: NEWTIME }]);
  });

  test('time offsets without a new time namespace are an error', () => {
    const spec = specWith((s) => (s.linux.timeOffsets = { monotonic: { secs: 1 } }));
    expect(() => buildInitPlan(spec, testContext())).toThrow('linux.timeOffsets: set, but the config makes no new time namespace');
  });
});

describe('user namespace', () => {
  const userSpec = () =>
    specWith((s) => {
      s.linux.namespaces.push({ type: 'user' });
      Object.assign(s.linux, USER_MAPS);
    });

  test('is cloned, and the parent writes the id maps after placing init in its cgroups', () => {
    const ctx = testContext();
    const plan = buildInitPlan(userSpec(), ctx);
    expect(plan.cloneFlags & NEWUSER).toBe(NEWUSER);
    expect(plan.parent).toEqual([
      ...ctx.cgroup.procsFiles.map((path) => ({ op: 'writePid', path })),
      { op: 'writeProcFile', name: 'uid_map', data: '0 100000 65536\n' },
      { op: 'writeProcFile', name: 'gid_map', data: '0 200000 1000\n1000 1000 1\n' },
    ]);
  });

  test('init becomes root in it before anything else', () => {
    const plan = buildInitPlan(userSpec(), testContext());
    expect(plan.init.slice(0, 2)).toEqual([{ op: 'becomeRoot' }, { op: 'unshare', flags: NEWCGROUP }]);
  });

  test('a new user namespace without maps is an error', () => {
    const spec = userSpec();
    delete spec.linux.uidMappings;
    expect(() => buildInitPlan(spec, testContext())).toThrow('linux.uidMappings: a new user namespace needs uid mappings');
    const spec2 = userSpec();
    spec2.linux.gidMappings = [];
    expect(() => buildInitPlan(spec2, testContext())).toThrow('linux.gidMappings: a new user namespace needs gid mappings');
  });

  test('maps without a user namespace are an error', () => {
    const spec = specWith((s) => Object.assign(s.linux, USER_MAPS));
    expect(() => buildInitPlan(spec, testContext())).toThrow('linux.uidMappings: set, but the config has no user namespace');
  });
});

describe('namespaces joined by path', () => {
  const joined: LinuxNamespace[] = [
    { type: 'cgroup', path: '/proc/42/ns/cgroup' },
    { type: 'mount', path: '/proc/42/ns/mnt' },
    { type: 'pid', path: '/proc/42/ns/pid' },
    { type: 'network', path: '/proc/42/ns/net' },
    { type: 'uts', path: '/proc/42/ns/uts' },
    { type: 'ipc', path: '/proc/42/ns/ipc' },
    { type: 'user', path: '/proc/42/ns/user' },
  ];

  test('are setns steps in stage1, the user namespace first, then in runc order', () => {
    const plan = buildInitPlan(specWith((s) => (s.linux.namespaces = [...joined])), testContext());
    expect(plan.stage1).toEqual([
      { op: 'setns', nstype: NEWUSER, path: '/proc/42/ns/user' },
      { op: 'setns', nstype: NEWIPC, path: '/proc/42/ns/ipc' },
      { op: 'setns', nstype: NEWUTS, path: '/proc/42/ns/uts' },
      { op: 'setns', nstype: NEWNET, path: '/proc/42/ns/net' },
      { op: 'setns', nstype: NEWPID, path: '/proc/42/ns/pid' },
      { op: 'setns', nstype: NEWNS, path: '/proc/42/ns/mnt' },
      { op: 'setns', nstype: NEWCGROUP, path: '/proc/42/ns/cgroup' },
    ]);
    expect(plan.cloneFlags).toBe(0);
    expect(plan.init.some((s) => s.op === 'unshare' || s.op === 'becomeRoot')).toBe(false);
    expect(plan.parent.some((s) => s.op === 'writeProcFile')).toBe(false);
  });

  test('a joined user namespace is entered before the new time namespace is made, the others after', () => {
    const plan = buildInitPlan(
      specWith((s) => {
        s.linux.namespaces = [{ type: 'network', path: '/proc/42/ns/net' }, { type: 'mount' }, { type: 'time' }, { type: 'user', path: '/proc/42/ns/user' }];
        s.hostname = '';
      }),
      testContext(),
    );
    expect(plan.stage1.map((s) => s.op)).toEqual(['setns', 'unshare', 'setns']);
    expect(plan.stage1[0]).toMatchObject({ nstype: NEWUSER });
    expect(plan.stage1[2]).toMatchObject({ nstype: NEWNET });
    expect(plan.cloneFlags).toBe(NEWNS);
  });

  test('a joined user namespace needs no maps', () => {
    const plan = buildInitPlan(specWith((s) => s.linux.namespaces.push({ type: 'user', path: '/proc/42/ns/user' })), testContext());
    expect(plan.cloneFlags & NEWUSER).toBe(0);
  });
});

describe('invalid namespace lists', () => {
  test('a type listed twice', () => {
    const spec = specWith((s) => s.linux.namespaces.push({ type: 'pid', path: '/proc/1/ns/pid' }));
    expect(() => buildInitPlan(spec, testContext())).toThrow('linux.namespaces[6].type: namespace type "pid" is listed twice');
  });

  test('an unknown type', () => {
    const spec = specWith((s) => s.linux.namespaces.push({ type: 'bogus' as LinuxNamespace['type'] }));
    expect(() => buildInitPlan(spec, testContext())).toThrow(PlanError);
    expect(() => buildInitPlan(spec, testContext())).toThrow('linux.namespaces[6].type: unknown namespace type "bogus"');
  });

});

describe('hostname and domainname', () => {
  test('are set in the container UTS namespace', () => {
    const plan = buildInitPlan(specWith((s) => (s.domainname = 'example.org')), testContext());
    expect(plan.init.filter((s) => s.op === 'sethostname' || s.op === 'setdomainname')).toEqual([
      { op: 'sethostname', name: 'tsrun' },
      { op: 'setdomainname', name: 'example.org' },
    ]);
  });

  test('need a UTS namespace', () => {
    const spec = specWith((s) => (s.linux.namespaces = s.linux.namespaces.filter((n) => n.type !== 'uts')));
    expect(() => buildInitPlan(spec, testContext())).toThrow('hostname: cannot be set without a UTS namespace');
  });

  test('an empty hostname sets nothing', () => {
    const plan = buildInitPlan(specWith((s) => (s.hostname = '')), testContext());
    expect(plan.init.some((s) => s.op === 'sethostname')).toBe(false);
  });
});

describe('parent', () => {
  test('writes init into every cgroup.procs file the cgroup manager gave, in order', () => {
    const ctx = testContext({ cgroup: { procsFiles: ['/sys/fs/cgroup/a/cgroup.procs', '/sys/fs/cgroup/b/cgroup.procs'], hierarchies: [] } });
    expect(buildInitPlan(baseSpec(), ctx).parent).toEqual([
      { op: 'writePid', path: '/sys/fs/cgroup/a/cgroup.procs' },
      { op: 'writePid', path: '/sys/fs/cgroup/b/cgroup.procs' },
    ]);
  });
});

describe('every namespace type × new, joined by path, absent (the spec allows each)', () => {
  const FLAGS: Record<string, number> = { user: NEWUSER, ipc: NEWIPC, uts: NEWUTS, network: NEWNET, pid: NEWPID, mount: NEWNS, cgroup: NEWCGROUP, time: NEWTIME };
  const MODES = ['new', 'joined', 'absent'] as const;
  const cases = Object.keys(FLAGS).flatMap((type) => MODES.map((mode) => [type, mode] as const));

  function specFor(type: string, mode: (typeof MODES)[number]) {
    return specWith((s) => {
      s.linux.namespaces = s.linux.namespaces.filter((n) => n.type !== type);
      if (mode === 'new') s.linux.namespaces.push({ type: type as LinuxNamespace['type'] });
      if (mode === 'joined') s.linux.namespaces.push({ type: type as LinuxNamespace['type'], path: `/run/ns/${type}` });
      if (type === 'user' && mode === 'new') Object.assign(s.linux, USER_MAPS);
      if (type === 'uts' && mode === 'absent') s.hostname = '';
    });
  }

  test.each(cases)('%s %s: a valid config, and a plan that makes, joins or leaves it', (type, mode) => {
    const spec = specFor(type, mode);
    expect(validateConfig(spec).map(formatIssue)).toEqual([]);
    const plan = buildInitPlan(spec, testContext());
    const flag = FLAGS[type];
    const cloned = (plan.cloneFlags & flag) !== 0;
    const unshared = [...plan.stage1, ...plan.init].some((s) => s.op === 'unshare' && (s.flags & flag) !== 0);
    const joins = plan.stage1.filter((s) => s.op === 'setns' && s.nstype === flag);
    expect({ made: cloned || unshared, joins }).toEqual({
      made: mode === 'new',
      joins: mode === 'joined' ? [{ op: 'setns', nstype: flag, path: `/run/ns/${type}` }] : [],
    });
    if (type === 'mount') {
      // Only in its own namespace does the container pivot and make the propagation of / private.
      expect(plan.init.filter((s) => s.op === 'pivotRoot' || s.op === 'chrootRoot').map((s) => s.op)).toEqual([mode === 'new' ? 'pivotRoot' : 'chrootRoot']);
      const rootChange = plan.init.findIndex((s) => s.op === 'pivotRoot' || s.op === 'chrootRoot');
      const propagatesRoot = plan.init.slice(0, rootChange).some((s) => s.op === 'mount' && s.target === '/' && s.source === null && (s.flags & (MS_PRIVATE | MS_SLAVE)) !== 0);
      expect(propagatesRoot).toBe(mode === 'new');
    }
    if (type === 'network') expect(plan.init.some((s) => s.op === 'configureNetDevice' && s.name === 'lo')).toBe(mode === 'new');
  });
});

import type { LinuxDevice, RootfsPropagation } from '../../spec/types';
import { bindMountSources, buildInitPlan } from './build';
import type { InitPlan, InitStep } from './types';
import { baseSpec, indexOf, mountsOn, specWith, stepsOf, testContext, V2_HIERARCHIES } from '../../test/helpers/plan-context';

// Kernel values, written out so that a wrong constant in linux.ts shows up here.
const RDONLY = 1;
const NOSUID = 2;
const NODEV = 4;
const NOEXEC = 8;
const REMOUNT = 32;
const BIND = 4096;
const REC = 16384;
const UNBINDABLE = 1 << 17;
const PRIVATE = 1 << 18;
const SLAVE = 1 << 19;
const SHARED = 1 << 20;
const RELATIME = 1 << 21;
const IFCHR = 0o020000;
const IFBLK = 0o060000;
const IFIFO = 0o010000;

const rootChange = (plan: InitPlan) => indexOf(plan, (s) => s.op === 'pivotRoot' || s.op === 'moveRoot');

describe('before the first container mount', () => {
  test('/ is made rprivate, the rootfs bound onto itself and opened as the root', () => {
    const plan = buildInitPlan(baseSpec(), testContext());
    const first = indexOf(plan, (s) => s.op === 'mount');
    expect(plan.init.slice(first, first + 3)).toEqual([
      { op: 'mount', source: null, target: '/', inRoot: false, fstype: null, flags: REC | PRIVATE, data: null, create: 'none', ignoreMissing: false },
      { op: 'mount', source: '/tmp/b/rootfs', target: '/tmp/b/rootfs', inRoot: false, fstype: null, flags: BIND | REC, data: null, create: 'none', ignoreMissing: false },
      { op: 'openRoot', path: '/tmp/b/rootfs' },
    ]);
    expect(indexOf(plan, (s) => s.op === 'mount' && s.inRoot)).toBeGreaterThan(first + 2);
  });

  test.each<[RootfsPropagation, number, number]>([
    ['slave', REC | SLAVE, SLAVE],
    ['rslave', REC | SLAVE, REC | SLAVE],
    ['shared', REC | SLAVE, SHARED],
    ['rshared', REC | SLAVE, REC | SHARED],
    ['private', REC | PRIVATE, PRIVATE],
    ['rprivate', REC | PRIVATE, REC | PRIVATE],
    ['unbindable', REC | PRIVATE, UNBINDABLE],
  ])('rootfsPropagation %s: / is %d until the root change, then %d', (word, before, after) => {
    const plan = buildInitPlan(specWith((s) => (s.linux.rootfsPropagation = word)), testContext());
    const onRoot = mountsOn(plan, '/');
    expect(onRoot[0].flags).toBe(before);
    const afterPivot = plan.init[rootChange(plan) + 1];
    expect(afterPivot).toMatchObject({ op: 'mount', target: '/', inRoot: false, source: null, flags: after });
  });

  test('without rootfsPropagation nothing changes / after the root change', () => {
    const plan = buildInitPlan(baseSpec(), testContext());
    const propagationChanges = mountsOn(plan, '/').filter((m) => m.flags & (PRIVATE | SLAVE | SHARED | UNBINDABLE));
    expect(propagationChanges).toHaveLength(1);
  });

  test('an unknown rootfsPropagation is an error', () => {
    const spec = specWith((s) => (s.linux.rootfsPropagation = 'sideways' as RootfsPropagation));
    expect(() => buildInitPlan(spec, testContext())).toThrow('linux.rootfsPropagation: unknown propagation "sideways"');
  });
});

describe('config mounts', () => {
  test('are mounted in order, inside the root, creating their mount points', () => {
    const plan = buildInitPlan(baseSpec(), testContext());
    const targets = stepsOf(plan, 'mount')
      .filter((m) => m.inRoot && m.create === 'dir' && m.fstype)
      .map((m) => m.target);
    expect(targets).toEqual(['/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/sys', '/sys/fs/cgroup']);
    expect(mountsOn(plan, '/proc')).toEqual([
      { op: 'mount', source: 'proc', target: '/proc', inRoot: true, fstype: 'proc', flags: 0, data: null, create: 'dir', ignoreMissing: false, directoryOnly: true },
    ]);
  });

  test('proc and sysfs only on a directory of the rootfs itself, never through a symlink (as runc); others may follow one', () => {
    const plan = buildInitPlan(baseSpec(), testContext());
    const directoryOnly = stepsOf(plan, 'mount').filter((m) => m.directoryOnly).map((m) => m.target);
    expect(directoryOnly).toEqual(['/proc', '/sys']);
  });

  test('flags and filesystem data reach the mount', () => {
    const plan = buildInitPlan(baseSpec(), testContext());
    expect(mountsOn(plan, '/dev/shm')[0]).toMatchObject({ source: 'shm', fstype: 'tmpfs', flags: NOSUID | NOEXEC | NODEV, data: 'mode=1777,size=65536k' });
    expect(mountsOn(plan, '/sys')[0]).toMatchObject({ fstype: 'sysfs', flags: NOSUID | NOEXEC | NODEV | RDONLY });
  });

  test('a read-only tmpfs is mounted writable and remounted read-only after the root change', () => {
    const plan = buildInitPlan(
      specWith((s) => s.mounts.push({ destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['ro', 'nosuid', 'size=1m'] })),
      testContext(),
    );
    const [mount, remount] = mountsOn(plan, '/run');
    expect(mount).toMatchObject({ inRoot: true, flags: NOSUID, data: 'size=1m' });
    expect(remount).toEqual({ op: 'mount', source: null, target: '/run', inRoot: false, fstype: null, flags: RDONLY | NOSUID | REMOUNT, data: null, create: 'none', ignoreMissing: false });
    expect(plan.init.indexOf(remount)).toBeGreaterThan(rootChange(plan));
  });

  test('a read-only /dev gets its devices first', () => {
    const plan = buildInitPlan(specWith((s) => s.mounts[1].options?.push('ro')), testContext());
    const [mount, remount] = mountsOn(plan, '/dev');
    expect(mount.flags & RDONLY).toBe(0);
    expect(remount.flags & (RDONLY | REMOUNT)).toBe(RDONLY | REMOUNT);
    expect(indexOf(plan, (s) => s.op === 'mknod')).toBeLessThan(plan.init.indexOf(remount));
  });

  test('a relative destination is taken from /', () => {
    const plan = buildInitPlan(specWith((s) => s.mounts.push({ destination: 'data/../srv', type: 'tmpfs', source: 'tmpfs' })), testContext());
    expect(mountsOn(plan, '/srv')).toHaveLength(1);
  });

  test('propagation options follow the mount as separate steps', () => {
    const plan = buildInitPlan(
      specWith((s) => s.mounts.push({ destination: '/mnt', type: 'tmpfs', source: 'tmpfs', options: ['rshared', 'nodev'] })),
      testContext(),
    );
    expect(mountsOn(plan, '/mnt').map((m) => [m.source, m.flags])).toEqual([
      ['tmpfs', NODEV],
      [null, REC | SHARED],
    ]);
  });

  test('an id-mapped mount needs both mappings, named by JSON path', () => {
    const spec = specWith((s) =>
      s.mounts.push({ destination: '/data', type: 'bind', source: '/srv', uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }] }),
    );
    expect(() => buildInitPlan(spec, testContext())).toThrow('mounts[7].gidMappings: an id-mapped mount needs gid mappings');
  });

  test('an id-mapped mount in a container with a user namespace is refused, named by JSON path', () => {
    const spec = specWith((s) => {
      s.linux.namespaces.push({ type: 'user' });
      s.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      s.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      s.mounts.push({ destination: '/data', type: 'bind', source: '/srv', options: ['rbind', 'idmap'] });
    });
    expect(() => buildInitPlan(spec, testContext())).toThrow('mounts[7].options: id-mapped mounts in a container with a user namespace are not supported yet');
  });

  test('idmap on a tmpfs names its place', () => {
    const spec = specWith((s) => s.mounts.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['ridmap'] }));
    expect(() => buildInitPlan(spec, testContext())).toThrow('mounts[7].options: id-mapped mounts must be bind mounts');
  });

  test('tmpcopyup marks the tmpfs mount for copy-up; a read-only one is still made writable first', () => {
    const plan = buildInitPlan(
      specWith((s) => s.mounts.push({ destination: '/etc', type: 'tmpfs', source: 'tmpfs', options: ['ro', 'nosuid', 'tmpcopyup', 'mode=755'] })),
      testContext(),
    );
    const [mount, remount] = mountsOn(plan, '/etc');
    expect(mount).toEqual({
      op: 'mount', source: 'tmpfs', target: '/etc', inRoot: true, fstype: 'tmpfs', flags: NOSUID, data: 'mode=755', create: 'dir', ignoreMissing: false, copyUp: true,
    });
    expect(remount).toMatchObject({ flags: RDONLY | NOSUID | REMOUNT });
    expect(remount.copyUp).toBeUndefined();
  });

  test('tmpcopyup is ignored on anything but a tmpfs (runc); notmpcopyup is the default', () => {
    const plan = buildInitPlan(
      specWith((s) => {
        s.mounts.push({ destination: '/data', type: 'bind', source: '/srv', options: ['rbind', 'tmpcopyup'] });
        s.mounts.push({ destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['notmpcopyup'] });
      }),
      testContext(),
    );
    expect(stepsOf(plan, 'mount').filter((m) => m.copyUp)).toEqual([]);
    expect(mountsOn(plan, '/run')[0].data).toBeNull();
  });
});

describe('bind mounts', () => {
  const withBind = (options: string[] | undefined, source = '/srv/data', type?: string) =>
    specWith((s) => s.mounts.push({ destination: '/data', source, type, options }));

  test('bind, then a remount for the flags', () => {
    const plan = buildInitPlan(withBind(['rbind', 'ro', 'nosuid']), testContext());
    expect(mountsOn(plan, '/data')).toEqual([
      { op: 'mount', source: '/srv/data', target: '/data', inRoot: true, fstype: null, flags: BIND | REC, data: null, create: 'dir', ignoreMissing: false },
      { op: 'mount', source: null, target: '/data', inRoot: true, fstype: null, flags: BIND | REMOUNT | RDONLY | NOSUID, data: null, create: 'none', ignoreMissing: false },
    ]);
  });

  test('"bind" is not recursive; without flags there is no remount', () => {
    const plan = buildInitPlan(withBind(['bind']), testContext());
    expect(mountsOn(plan, '/data').map((m) => m.flags)).toEqual([BIND]);
  });

  test('type "bind" alone makes a bind mount', () => {
    const plan = buildInitPlan(withBind(undefined, '/srv/data', 'bind'), testContext());
    expect(mountsOn(plan, '/data')).toMatchObject([{ source: '/srv/data', fstype: null, flags: BIND }]);
  });

  test('a relative source resolves against the bundle', () => {
    const plan = buildInitPlan(withBind(['rbind'], 'volumes/data'), testContext());
    expect(mountsOn(plan, '/data')[0].source).toBe('/tmp/b/volumes/data');
    expect(bindMountSources(withBind(['rbind'], 'volumes/data'), '/tmp/b')).toEqual(['/tmp/b/volumes/data']);
  });

  test('a source that is not a directory gets a file as its mount point', () => {
    const spec = specWith((s) => {
      s.mounts.push({ destination: '/etc/resolv.conf', source: '/etc/resolv.conf', options: ['rbind', 'ro'] });
      s.mounts.push({ destination: '/data', source: '/srv/data', options: ['rbind'] });
    });
    const plan = buildInitPlan(spec, testContext({ nonDirectoryBindSources: ['/etc/resolv.conf'] }));
    expect(mountsOn(plan, '/etc/resolv.conf')[0].create).toBe('file');
    expect(mountsOn(plan, '/data')[0].create).toBe('dir');
  });

  test('propagation options come after the remount', () => {
    const plan = buildInitPlan(withBind(['rbind', 'ro', 'rslave']), testContext());
    expect(mountsOn(plan, '/data').map((m) => m.flags)).toEqual([BIND | REC, BIND | REMOUNT | RDONLY, REC | SLAVE]);
  });

  test('a bind mount without a source is an error', () => {
    const spec = specWith((s) => s.mounts.push({ destination: '/data', options: ['rbind'] }));
    expect(() => buildInitPlan(spec, testContext())).toThrow('mounts[7].source: a bind mount needs a source');
  });
});

describe('cgroup mount', () => {
  const CGROUP_OPTS = NOSUID | NOEXEC | NODEV | RELATIME | RDONLY;

  test('on a hybrid host: a tmpfs with a bind of the container cgroup per hierarchy, symlinks, then read-only', () => {
    const plan = buildInitPlan(baseSpec(), testContext());
    const start = indexOf(plan, (s) => s.op === 'mount' && s.target === '/sys/fs/cgroup');
    const end = indexOf(plan, (s) => s.op === 'mknod');
    const steps = plan.init.slice(start, end).map((s) => {
      if (s.op === 'mount') return ['mount', s.source, s.target, s.fstype, s.flags, s.data];
      if (s.op === 'symlink') return ['symlink', s.target, s.linkTo];
      return [s.op];
    });
    expect(steps).toEqual([
      ['mount', 'tmpfs', '/sys/fs/cgroup', 'tmpfs', NOEXEC | NOSUID | NODEV, 'mode=755'],
      ['mount', '/sys/fs/cgroup/memory/tsrun/c1', '/sys/fs/cgroup/memory', null, BIND | REC, null],
      ['mount', null, '/sys/fs/cgroup/memory', null, BIND | REMOUNT | CGROUP_OPTS, null],
      ['mount', '/sys/fs/cgroup/cpu,cpuacct/tsrun/c1', '/sys/fs/cgroup/cpu,cpuacct', null, BIND | REC, null],
      ['mount', null, '/sys/fs/cgroup/cpu,cpuacct', null, BIND | REMOUNT | CGROUP_OPTS, null],
      ['mount', '/sys/fs/cgroup/systemd/tsrun/c1', '/sys/fs/cgroup/systemd', null, BIND | REC, null],
      ['mount', null, '/sys/fs/cgroup/systemd', null, BIND | REMOUNT | CGROUP_OPTS, null],
      ['mount', '/sys/fs/cgroup/unified/tsrun/c1', '/sys/fs/cgroup/unified', null, BIND | REC, null],
      ['mount', null, '/sys/fs/cgroup/unified', null, BIND | REMOUNT | CGROUP_OPTS, null],
      ['symlink', '/sys/fs/cgroup/cpu', 'cpu,cpuacct'],
      ['symlink', '/sys/fs/cgroup/cpuacct', 'cpu,cpuacct'],
      ['mount', null, '/sys/fs/cgroup', null, BIND | REMOUNT | RDONLY | NOEXEC | NOSUID | NODEV, null],
    ]);
  });

  test('a writable cgroup mount stays writable', () => {
    const plan = buildInitPlan(specWith((s) => (s.mounts[6].options = ['nosuid'])), testContext());
    expect(mountsOn(plan, '/sys/fs/cgroup').map((m) => m.fstype)).toEqual(['tmpfs']);
    expect(mountsOn(plan, '/sys/fs/cgroup/memory').map((m) => m.flags)).toEqual([BIND | REC, BIND | REMOUNT | NOSUID]);
  });

  test('on a pure v2 host with a cgroup namespace: cgroup2 itself', () => {
    const ctx = testContext({ cgroup: { procsFiles: ['/sys/fs/cgroup/tsrun/c1/cgroup.procs'], hierarchies: V2_HIERARCHIES } });
    const plan = buildInitPlan(baseSpec(), ctx);
    expect(stepsOf(plan, 'mount').filter((m) => m.target.startsWith('/sys/fs/cgroup'))).toEqual([
      { op: 'mount', source: 'cgroup', target: '/sys/fs/cgroup', inRoot: true, fstype: 'cgroup2', flags: CGROUP_OPTS, data: null, create: 'dir', ignoreMissing: false },
    ]);
  });

  test('on a pure v2 host without a cgroup namespace: a bind of the container cgroup', () => {
    const ctx = testContext({ cgroup: { procsFiles: ['/sys/fs/cgroup/tsrun/c1/cgroup.procs'], hierarchies: V2_HIERARCHIES } });
    const spec = specWith((s) => (s.linux.namespaces = s.linux.namespaces.filter((n) => n.type !== 'cgroup')));
    const plan = buildInitPlan(spec, ctx);
    expect(mountsOn(plan, '/sys/fs/cgroup').map((m) => [m.source, m.flags])).toEqual([
      ['/sys/fs/cgroup/tsrun/c1', BIND | REC],
      [null, BIND | REMOUNT | CGROUP_OPTS],
    ]);
  });
});

describe('/dev', () => {
  const DEFAULT_NODES = [
    ['/dev/null', 1, 3],
    ['/dev/zero', 1, 5],
    ['/dev/full', 1, 7],
    ['/dev/random', 1, 8],
    ['/dev/urandom', 1, 9],
    ['/dev/tty', 5, 0],
  ];

  test('a fresh /dev gets the default devices, mode 0666, owned by root', () => {
    const plan = buildInitPlan(baseSpec(), testContext());
    expect(stepsOf(plan, 'mknod')).toEqual(
      DEFAULT_NODES.map(([target, major, minor]) => ({ op: 'mknod', target, mode: IFCHR | 0o666, major, minor, uid: 0, gid: 0 })),
    );
  });

  test('and the symlinks, /dev/ptmx included because /dev/pts is mounted', () => {
    const plan = buildInitPlan(baseSpec(), testContext({ hostHasKcore: true }));
    expect(stepsOf(plan, 'symlink').filter((s) => s.target.startsWith('/dev/'))).toEqual([
      { op: 'symlink', target: '/dev/fd', linkTo: '/proc/self/fd', ignoreExisting: true },
      { op: 'symlink', target: '/dev/stdin', linkTo: '/proc/self/fd/0', ignoreExisting: true },
      { op: 'symlink', target: '/dev/stdout', linkTo: '/proc/self/fd/1', ignoreExisting: true },
      { op: 'symlink', target: '/dev/stderr', linkTo: '/proc/self/fd/2', ignoreExisting: true },
      { op: 'symlink', target: '/dev/core', linkTo: '/proc/kcore', ignoreExisting: true },
      { op: 'symlink', target: '/dev/ptmx', linkTo: 'pts/ptmx', ignoreExisting: true },
    ]);
  });

  test('no /dev/core link on a host without /proc/kcore', () => {
    const plan = buildInitPlan(baseSpec(), testContext({ hostHasKcore: false }));
    expect(stepsOf(plan, 'symlink').map((s) => s.target).filter((t) => t.startsWith('/dev/'))).toEqual(['/dev/fd', '/dev/stdin', '/dev/stdout', '/dev/stderr', '/dev/ptmx']);
  });

  test('a /dev/ptmx in linux.devices becomes the link into devpts, as runc makes it', () => {
    const ptmx: LinuxDevice = { type: 'c', path: '/dev/ptmx', major: 5, minor: 2, fileMode: 0o20666 };
    const kmsg: LinuxDevice = { type: 'c', path: '/dev/kmsg', major: 1, minor: 11, fileMode: 0o20644 };
    const plan = buildInitPlan(specWith((s) => (s.linux.devices = [ptmx, kmsg])), testContext());
    expect(stepsOf(plan, 'mknod').map((n) => n.target)).not.toContain('/dev/ptmx');
    expect(stepsOf(plan, 'symlink').filter((s) => s.target === '/dev/ptmx')).toEqual([
      { op: 'symlink', target: '/dev/ptmx', linkTo: 'pts/ptmx', ignoreExisting: true },
    ]);
    const noPts = buildInitPlan(
      specWith((s) => {
        s.mounts = s.mounts.filter((m) => m.destination !== '/dev/pts');
        s.linux.devices = [ptmx];
      }),
      testContext(),
    );
    expect(stepsOf(noPts, 'symlink').filter((s) => s.target === '/dev/ptmx')).toHaveLength(1);
  });

  test('a fileMode holding the file type bits (podman passes st_mode) keeps only the permission bits; the type comes from `type`', () => {
    const devices: LinuxDevice[] = [
      { type: 'c', path: '/dev/kmsg', major: 1, minor: 11, fileMode: 0o20644 },
      { type: 'b', path: '/dev/loop1', major: 7, minor: 1, fileMode: 0o60600 },
      { type: 'c', path: '/dev/odd', major: 1, minor: 3, fileMode: 0o60640 },
    ];
    const plan = buildInitPlan(specWith((s) => (s.linux.devices = devices)), testContext());
    expect(stepsOf(plan, 'mknod').slice(0, 3).map((n) => [n.target, n.mode])).toEqual([
      ['/dev/kmsg', IFCHR | 0o644],
      ['/dev/loop1', IFBLK | 0o600],
      ['/dev/odd', IFCHR | 0o640],
    ]);
  });

  test('no /dev/ptmx link without a /dev/pts mount', () => {
    const plan = buildInitPlan(specWith((s) => (s.mounts = s.mounts.filter((m) => m.destination !== '/dev/pts'))), testContext());
    expect(stepsOf(plan, 'symlink').some((s) => s.target === '/dev/ptmx')).toBe(false);
  });

  test('devices come after every config mount and before the root change', () => {
    const plan = buildInitPlan(baseSpec(), testContext());
    const lastConfigMount = Math.max(...stepsOf(plan, 'mount').filter((m) => m.inRoot).map((m) => plan.init.indexOf(m)));
    const devSteps = plan.init.filter((s) => s.op === 'mknod' || (s.op === 'symlink' && s.target.startsWith('/dev/')));
    for (const s of devSteps) {
      expect(plan.init.indexOf(s)).toBeGreaterThan(lastConfigMount);
      expect(plan.init.indexOf(s)).toBeLessThan(rootChange(plan));
    }
  });

  test('linux.devices are made with their mode and owner, and replace a default of the same path', () => {
    const devices: LinuxDevice[] = [
      { type: 'c', path: '/dev/fuse', major: 10, minor: 229, fileMode: 0o600, uid: 1000, gid: 1001 },
      { type: 'b', path: '/dev/loop0', major: 7, minor: 0 },
      { type: 'p', path: '/dev/myfifo' },
      { type: 'c', path: '/dev/null', major: 1, minor: 3, fileMode: 0o640 },
    ];
    const plan = buildInitPlan(specWith((s) => (s.linux.devices = devices)), testContext());
    const nodes = stepsOf(plan, 'mknod');
    expect(nodes.slice(0, 4)).toEqual([
      { op: 'mknod', target: '/dev/fuse', mode: IFCHR | 0o600, major: 10, minor: 229, uid: 1000, gid: 1001 },
      { op: 'mknod', target: '/dev/loop0', mode: IFBLK | 0o666, major: 7, minor: 0, uid: 0, gid: 0 },
      { op: 'mknod', target: '/dev/myfifo', mode: IFIFO | 0o666, major: 0, minor: 0, uid: 0, gid: 0 },
      { op: 'mknod', target: '/dev/null', mode: IFCHR | 0o640, major: 1, minor: 3, uid: 0, gid: 0 },
    ]);
    expect(nodes.filter((n) => n.target === '/dev/null')).toHaveLength(1);
    expect(nodes).toHaveLength(4 + 5);
  });

  test('in a user namespace, devices are host nodes bound onto files; fifos are still made', () => {
    const spec = specWith((s) => {
      s.linux.namespaces.push({ type: 'user' });
      s.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      s.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      s.linux.devices = [
        { type: 'c', path: '/dev/fuse', major: 10, minor: 229 },
        { type: 'p', path: '/dev/myfifo' },
      ];
    });
    const plan = buildInitPlan(spec, testContext());
    expect(stepsOf(plan, 'mknod').map((n) => n.target)).toEqual(['/dev/myfifo']);
    for (const target of ['/dev/fuse', ...DEFAULT_NODES.map(([t]) => t as string)]) {
      expect(mountsOn(plan, target)).toEqual([
        { op: 'mount', source: target, target, inRoot: true, fstype: null, flags: BIND, data: null, create: 'file', ignoreMissing: false },
      ]);
    }
  });

  test('a /dev bound from elsewhere is left alone', () => {
    const spec = specWith((s) => {
      s.mounts[1] = { destination: '/dev', source: '/dev', options: ['rbind'] };
      s.linux.devices = [{ type: 'c', path: '/dev/fuse', major: 10, minor: 229 }];
    });
    const plan = buildInitPlan(spec, testContext());
    expect(stepsOf(plan, 'mknod')).toEqual([]);
    expect(stepsOf(plan, 'symlink').some((s) => s.target.startsWith('/dev/'))).toBe(false);
  });

  test('without a /dev mount only linux.devices are made, in the rootfs /dev', () => {
    const spec = specWith((s) => {
      s.mounts = s.mounts.filter((m) => !m.destination.startsWith('/dev'));
      s.linux.devices = [{ type: 'c', path: '/dev/fuse', major: 10, minor: 229 }];
    });
    const plan = buildInitPlan(spec, testContext());
    expect(stepsOf(plan, 'mknod').map((n) => n.target)).toEqual(['/dev/fuse']);
    expect(stepsOf(plan, 'symlink').some((s) => s.target.startsWith('/dev/'))).toBe(false);
  });

  test.each<[LinuxDevice, string]>([
    [{ type: 'x' as LinuxDevice['type'], path: '/dev/x', major: 1, minor: 1 }, 'linux.devices[0].type: unknown device type "x" (one of c, u, b, p)'],
    [{ type: 'c', path: '/dev/x', major: 1 }, 'linux.devices[0]: device /dev/x of type "c" needs major and minor numbers'],
  ])('an invalid device is an error: %j', (device, message) => {
    const spec = specWith((s) => (s.linux.devices = [device]));
    expect(() => buildInitPlan(spec, testContext())).toThrow(message);
  });
});

describe('the root change and after', () => {
  test('pivot_root, or moveRoot with --no-pivot', () => {
    expect(stepsOf(buildInitPlan(baseSpec(), testContext()), 'pivotRoot')).toHaveLength(1);
    const plan = buildInitPlan(baseSpec(), testContext({ noPivot: true }));
    expect(stepsOf(plan, 'pivotRoot')).toHaveLength(0);
    expect(stepsOf(plan, 'moveRoot')).toHaveLength(1);
  });

  test('the working directory is made before the root change and entered after it', () => {
    const plan = buildInitPlan(specWith((s) => (s.process.cwd = '/home/app')), testContext());
    expect(plan.init[rootChange(plan) - 1]).toEqual({ op: 'mkdir', target: '/home/app', mode: 0o755 });
    expect(indexOf(plan, (s) => s.op === 'chdir' && s.path === '/home/app')).toBeGreaterThan(rootChange(plan));
  });

  test('read-only paths: bound onto themselves and remounted read-only, skipped when missing', () => {
    const plan = buildInitPlan(baseSpec(), testContext());
    expect(mountsOn(plan, '/proc/sys')).toEqual([
      { op: 'mount', source: '/proc/sys', target: '/proc/sys', inRoot: false, fstype: null, flags: BIND | REC, data: null, create: 'none', ignoreMissing: true },
      { op: 'mount', source: null, target: '/proc/sys', inRoot: false, fstype: null, flags: BIND | REMOUNT | RDONLY, data: null, create: 'none', ignoreMissing: true },
    ]);
    expect(plan.init.indexOf(mountsOn(plan, '/proc/sys')[0])).toBeGreaterThan(rootChange(plan));
  });

  test('masked paths, after the root change, in config order', () => {
    const plan = buildInitPlan(baseSpec(), testContext());
    expect(stepsOf(plan, 'maskPath').map((m) => m.path)).toEqual(baseSpec().linux.maskedPaths);
    expect(indexOf(plan, (s) => s.op === 'maskPath')).toBeGreaterThan(rootChange(plan));
  });

  test('a read-only root is remounted read-only after the masks', () => {
    const plan = buildInitPlan(baseSpec(), testContext());
    const remount = mountsOn(plan, '/').find((m) => m.flags & REMOUNT);
    expect(remount).toEqual({ op: 'mount', source: null, target: '/', inRoot: false, fstype: null, flags: BIND | REMOUNT | RDONLY, data: null, create: 'none', ignoreMissing: false });
    const lastMask = Math.max(...stepsOf(plan, 'maskPath').map((m) => plan.init.indexOf(m)));
    expect(plan.init.indexOf(remount as InitStep)).toBeGreaterThan(lastMask);
  });

  test('a writable root stays writable', () => {
    const plan = buildInitPlan(specWith((s) => (s.root.readonly = false)), testContext());
    expect(mountsOn(plan, '/').some((m) => m.flags & REMOUNT)).toBe(false);
  });
});

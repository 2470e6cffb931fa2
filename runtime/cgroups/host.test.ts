import * as fs from 'fs';
import { cgroupHostFrom, detectCgroupHost, parseCgroupMounts, parseProcCgroup } from './host';
import {
  HYBRID_MOUNTINFO,
  HYBRID_SELF_CGROUP,
  SUBTREE_MOUNTINFO,
  SUBTREE_SELF_CGROUP,
  V1_MOUNTINFO,
  V1_SELF_CGROUP,
  V2_MOUNTINFO,
  V2_SELF_CGROUP,
} from '../../test/helpers/cgroup-testdata';

describe('parseCgroupMounts', () => {
  test('keeps only cgroup and cgroup2 mounts, with root, mountpoint and superblock options', () => {
    const mounts = parseCgroupMounts(V1_MOUNTINFO);
    expect(mounts.map((m) => m.mountpoint)).toEqual([
      '/sys/fs/cgroup/systemd',
      '/sys/fs/cgroup/cpu,cpuacct',
      '/sys/fs/cgroup/memory',
      '/sys/fs/cgroup/pids',
    ]);
    expect(mounts[1]).toEqual({
      fstype: 'cgroup',
      root: '/',
      mountpoint: '/sys/fs/cgroup/cpu,cpuacct',
      superOptions: ['rw', 'cpu', 'cpuacct'],
    });
  });

  test('decodes the octal escapes of mountinfo', () => {
    const [m] = parseCgroupMounts('50 1 0:40 /a\\040b /mnt/my\\040cgroups rw - cgroup2 cgroup2 rw\n');
    expect(m.root).toBe('/a b');
    expect(m.mountpoint).toBe('/mnt/my cgroups');
  });
});

describe('parseProcCgroup', () => {
  test('splits id, controllers and a path that may hold colons', () => {
    expect(parseProcCgroup('3:cpu,cpuacct:/a:b\n0::/\n')).toEqual([
      { hierarchyId: 3, controllers: ['cpu', 'cpuacct'], path: '/a:b' },
      { hierarchyId: 0, controllers: [], path: '/' },
    ]);
  });
});

describe('cgroupHostFrom', () => {
  test('this host as captured: hybrid, nested memory cgroup, unified last', () => {
    const host = detectCgroupHost(HYBRID_MOUNTINFO, HYBRID_SELF_CGROUP);
    expect(host.layout).toBe('hybrid');
    expect(host.hierarchies.map((h) => [h.version, h.mountpoint, h.controllers.join(','), h.ownCgroup])).toEqual([
      [1, '/sys/fs/cgroup/systemd', 'name=systemd', '/'],
      [1, '/sys/fs/cgroup/pids', 'pids', '/'],
      [1, '/sys/fs/cgroup/blkio', 'blkio', '/'],
      [1, '/sys/fs/cgroup/freezer', 'freezer', '/'],
      [1, '/sys/fs/cgroup/devices', 'devices', '/'],
      [1, '/sys/fs/cgroup/memory', 'memory', '/process_api/57bb66223fedc9f26f843a9aecb4474b'],
      [1, '/sys/fs/cgroup/cpuset', 'cpuset', '/'],
      [1, '/sys/fs/cgroup/cpuacct', 'cpuacct', '/'],
      [1, '/sys/fs/cgroup/cpu', 'cpu', '/'],
      [2, '/sys/fs/cgroup/unified', '', '/'],
    ]);
  });

  test('a v2-only host has the one unified hierarchy', () => {
    const host = detectCgroupHost(V2_MOUNTINFO, V2_SELF_CGROUP);
    expect(host).toEqual({
      layout: 'v2',
      hierarchies: [
        { version: 2, mountpoint: '/sys/fs/cgroup', root: '/', controllers: [], ownCgroup: '/user.slice/user-0.slice/session-3.scope' },
      ],
    });
  });

  test('a v1-only host: co-mounted controllers, named hierarchy options, unmounted hierarchies skipped', () => {
    const host = detectCgroupHost(V1_MOUNTINFO, V1_SELF_CGROUP);
    expect(host.layout).toBe('v1');
    expect(host.hierarchies.map((h) => [h.mountpoint, h.controllers, h.ownCgroup])).toEqual([
      ['/sys/fs/cgroup/pids', ['pids'], '/user.slice/user-0.slice/session-1.scope'],
      ['/sys/fs/cgroup/memory', ['memory'], '/user.slice/user-0.slice/session-1.scope'],
      ['/sys/fs/cgroup/cpu,cpuacct', ['cpu', 'cpuacct'], '/user.slice'],
      ['/sys/fs/cgroup/systemd', ['name=systemd'], '/user.slice/user-0.slice/session-1.scope'],
    ]);
  });

  test('a mount of a subtree keeps its root', () => {
    const host = detectCgroupHost(SUBTREE_MOUNTINFO, SUBTREE_SELF_CGROUP);
    expect(host.hierarchies.map((h) => [h.mountpoint, h.root, h.ownCgroup])).toEqual([
      ['/sys/fs/cgroup/memory', '/docker/abc', '/docker/abc/worker'],
      ['/sys/fs/cgroup/pids', '/docker/abc', '/docker/abc'],
    ]);
  });

  test('of two mounts of one hierarchy, the one that shows our own cgroup wins', () => {
    const mounts = parseCgroupMounts(
      '60 1 0:32 /other /mnt/a rw - cgroup cgroup rw,memory\n61 1 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n',
    );
    const host = cgroupHostFrom(mounts, parseProcCgroup('4:memory:/mine\n'));
    expect(host.hierarchies[0].mountpoint).toBe('/sys/fs/cgroup/memory');
  });

  test('no cgroup mount at all is an error that says so', () => {
    expect(() => detectCgroupHost('22 1 0:21 / /proc rw - proc proc rw\n', '0::/\n')).toThrow(
      'no cgroup hierarchy is mounted: /proc/self/mountinfo shows no cgroup or cgroup2 mount',
    );
  });
});

describe('detectCgroupHost on this machine', () => {
  test('reads /proc/self and finds every mounted hierarchy', () => {
    const host = detectCgroupHost();
    const cgroupMounts = parseCgroupMounts(fs.readFileSync('/proc/self/mountinfo', 'utf8'));
    expect(host.hierarchies.map((h) => h.mountpoint).sort()).toEqual(cgroupMounts.map((m) => m.mountpoint).sort());
  });
});

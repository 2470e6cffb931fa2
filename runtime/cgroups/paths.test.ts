import { detectCgroupHost } from './host';
import { parseCgroupsPath, resolveCgroupDirs } from './paths';
import { HYBRID_MOUNTINFO, HYBRID_SELF_CGROUP, SUBTREE_MOUNTINFO, SUBTREE_SELF_CGROUP, V2_MOUNTINFO, V2_SELF_CGROUP } from '../../test/helpers/cgroup-testdata';

const hybrid = detectCgroupHost(HYBRID_MOUNTINFO, HYBRID_SELF_CGROUP);
const v2 = detectCgroupHost(V2_MOUNTINFO, V2_SELF_CGROUP);
const subtree = detectCgroupHost(SUBTREE_MOUNTINFO, SUBTREE_SELF_CGROUP);

const dirs = (targets: { dir: string }[]) => targets.map((t) => t.dir);

describe('parseCgroupsPath', () => {
  test('normalizes empty, "." and inner ".." components', () => {
    expect(parseCgroupsPath('/a//./b/../c/', 'p')).toEqual({ absolute: true, segments: ['a', 'c'] });
    expect(parseCgroupsPath('a/b', 'p')).toEqual({ absolute: false, segments: ['a', 'b'] });
  });

  test('rejects ".." that leads out of the starting cgroup', () => {
    expect(() => parseCgroupsPath('../x', 'linux.cgroupsPath')).toThrow(
      `linux.cgroupsPath "../x" leads out of the runtime's own cgroup through ".."`,
    );
    expect(() => parseCgroupsPath('/a/../../etc', 'linux.cgroupsPath')).toThrow(
      'linux.cgroupsPath "/a/../../etc" leads out of the hierarchy root through ".."',
    );
  });

  test('rejects a path that names the starting cgroup itself', () => {
    expect(() => parseCgroupsPath('/', 'linux.cgroupsPath')).toThrow('linux.cgroupsPath "/" names the root cgroup itself');
    expect(() => parseCgroupsPath('a/..', 'linux.cgroupsPath')).toThrow(`linux.cgroupsPath "a/.." names the runtime's own cgroup itself`);
  });

  test('rejects the systemd slice:prefix:name form', () => {
    expect(() => parseCgroupsPath('system.slice:docker:abc', 'linux.cgroupsPath')).toThrow(
      'linux.cgroupsPath "system.slice:docker:abc" is in the systemd "slice:prefix:name" form: the systemd cgroup driver is not supported yet',
    );
    expect(() => parseCgroupsPath(':runc:abc', 'linux.cgroupsPath')).toThrow('systemd');
    expect(parseCgroupsPath('/a:b/c', 'p').segments).toEqual(['a:b', 'c']);
  });
});

describe('resolveCgroupDirs', () => {
  test('relative: beneath our own cgroup in each hierarchy (the nested memory cgroup differs)', () => {
    const targets = resolveCgroupDirs(hybrid, 'c1', 'pods/c1');
    expect(dirs(targets)).toContain('/sys/fs/cgroup/memory/process_api/57bb66223fedc9f26f843a9aecb4474b/pods/c1');
    expect(dirs(targets)).toContain('/sys/fs/cgroup/pids/pods/c1');
    expect(dirs(targets)).toContain('/sys/fs/cgroup/unified/pods/c1');
    expect(targets).toHaveLength(hybrid.hierarchies.length);
  });

  test('absolute: from the top of every hierarchy', () => {
    expect(dirs(resolveCgroupDirs(hybrid, 'c1', '/pods/c1'))).toEqual(hybrid.hierarchies.map((h) => `${h.mountpoint}/pods/c1`));
  });

  test('absent or empty: the container id, relative (as runc)', () => {
    for (const given of [undefined, '']) {
      expect(dirs(resolveCgroupDirs(hybrid, 'abc', given))).toEqual(dirs(resolveCgroupDirs(hybrid, 'abc', 'abc')));
    }
  });

  test('a bad default (an id of "..") is named as the default path', () => {
    expect(() => resolveCgroupDirs(hybrid, '..', undefined)).toThrow('the default cgroup path (the container id) ".." leads out');
  });

  test('v2-only: relative paths start from the parent of our own cgroup, which holds processes', () => {
    expect(dirs(resolveCgroupDirs(v2, 'abc', undefined))).toEqual(['/sys/fs/cgroup/user.slice/user-0.slice/abc']);
    expect(dirs(resolveCgroupDirs(v2, 'abc', '/machine/abc'))).toEqual(['/sys/fs/cgroup/machine/abc']);
  });

  test('a subtree mount: relative paths go below our cgroup as the mount shows it', () => {
    expect(dirs(resolveCgroupDirs(subtree, 'abc', 'x'))).toEqual(['/sys/fs/cgroup/memory/worker/x', '/sys/fs/cgroup/pids/x']);
    expect(dirs(resolveCgroupDirs(subtree, 'abc', '/x'))).toEqual(['/sys/fs/cgroup/memory/x', '/sys/fs/cgroup/pids/x']);
  });

  test('a relative path when our own cgroup is outside what the mount shows', () => {
    const host = detectCgroupHost(SUBTREE_MOUNTINFO, '4:memory:/elsewhere\n3:pids:/docker/abc\n');
    expect(() => resolveCgroupDirs(host, 'abc', 'x')).toThrow(
      `linux.cgroupsPath "x" is relative, but this process's cgroup /elsewhere lies outside what /sys/fs/cgroup/memory shows (/docker/abc)`,
    );
  });
});

/**
 * Recursive mount attributes (rro, rnosuid, ... through mount_setattr(2)) and the propagation of
 * a bind mount, seen from inside the container in /proc/self/mountinfo: per-mount options for
 * every mount of a tree, the shared:N tag of an rshared bind.
 */
import * as fs from 'fs';
import * as path from 'path';
import { containerFixtures } from '../helpers/fixtures';
import type { Config } from '../helpers/bundle';
import { uniqueId } from '../helpers/tsrun';

const fx = containerFixtures();

interface MountLine {
  mountPoint: string;
  /** Per-mount options ("ro,nosuid,relatime"). */
  options: string[];
  /** Optional fields ("shared:3", "master:1"). */
  optional: string[];
}

/** The mountinfo lines of `text` (other output lines are skipped). */
function parseMountinfo(text: string): MountLine[] {
  return text
    .split('\n')
    .filter((line) => /^\d+ \d+ \d+:\d+ /.test(line))
    .map((line) => {
      const [before] = line.split(' - ');
      const fields = before.split(' ');
      return { mountPoint: fields[4], options: fields[5].split(','), optional: fields.slice(6) };
    });
}

/** Run `sh -c script` in a container of the default config edited by `edit`; its stdout. */
function runScript(script: string, edit: (c: Config, bundleDir: string) => void): string {
  const b = fx.bundle(['sh', '-c', script]);
  edit(b.config, b.dir);
  b.save();
  const r = fx.tsrun.cmd(['run', '-b', b.dir, fx.tsrun.track(uniqueId('mattr'))]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
}

/** The mounts at and below `at` that the container sees. */
function mountsUnder(stdout: string, at: string): MountLine[] {
  return parseMountinfo(stdout).filter((m) => m.mountPoint === at || m.mountPoint.startsWith(`${at}/`));
}

/** A host tree with mounts below it (the cgroup hierarchies on a v1 or hybrid host, else /sys). */
const TREE = fs.readFileSync('/proc/self/mountinfo', 'utf8').includes(' /sys/fs/cgroup/') ? '/sys/fs/cgroup' : '/sys';

function bindTree(options: string[]): MountLine[] {
  const out = runScript('cat /proc/self/mountinfo', (c) => {
    c.mounts.push({ destination: '/conf-tree', type: 'bind', source: TREE, options });
  });
  const tree = mountsUnder(out, '/conf-tree');
  expect(tree.length).toBeGreaterThan(1);
  return tree;
}

test('rro makes an rbind mount read-only all the way down; ro alone only the top', () => {
  const rro = bindTree(['rbind', 'rro']);
  expect(rro.filter((m) => !m.options.includes('ro'))).toEqual([]);
  const ro = bindTree(['rbind', 'ro']);
  expect(ro.find((m) => m.mountPoint === '/conf-tree')?.options).toContain('ro');
  expect(ro.filter((m) => m.options.includes('rw')).length).toBeGreaterThan(0);
});

test('rnosuid, rnodev, rnoexec, rnoatime reach every mount of the tree; rrw clears what ro set', () => {
  const tree = bindTree(['rbind', 'ro', 'rrw', 'rnosuid', 'rnodev', 'rnoexec', 'rnoatime']);
  for (const m of tree) {
    expect({ at: m.mountPoint, options: m.options }).toEqual({ at: m.mountPoint, options: expect.arrayContaining(['rw', 'nosuid', 'nodev', 'noexec', 'noatime']) });
  }
});

test('rro on a tmpfs waits until the mounts inside it are made, then covers them: writes fail with EROFS', () => {
  const out = runScript('cat /proc/self/mountinfo; touch /scratch/f 2>&1; touch /scratch/data/f 2>&1; echo done', (c, dir) => {
    fs.mkdirSync(path.join(dir, 'data'));
    c.mounts.push({ destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['rro'] });
    c.mounts.push({ destination: '/scratch/data', type: 'bind', source: path.join(dir, 'data'), options: ['rbind', 'rw'] });
  });
  const scratch = mountsUnder(out, '/scratch');
  expect(scratch.map((m) => m.mountPoint)).toEqual(['/scratch', '/scratch/data']);
  expect(scratch.every((m) => m.options.includes('ro'))).toBe(true);
  expect(out.match(/Read-only file system/g)).toHaveLength(2);
  expect(out).toMatch(/done\n$/);
});

test('an rshared bind is in a peer group (shared:N); an rprivate one in none', () => {
  const out = runScript('cat /proc/self/mountinfo', (c, dir) => {
    for (const [name, propagation] of [['a', 'rshared'], ['b', 'rprivate']]) {
      fs.mkdirSync(path.join(dir, name));
      c.mounts.push({ destination: `/conf-${name}`, type: 'bind', source: path.join(dir, name), options: ['rbind', 'rw', propagation] });
    }
  });
  const shared = mountsUnder(out, '/conf-a')[0];
  const priv = mountsUnder(out, '/conf-b')[0];
  expect(shared.optional.some((o) => /^shared:\d+$/.test(o))).toBe(true);
  expect(priv.optional).toEqual([]);
});

test('rootfsPropagation still has the last word on / and its mounts (as runc: applied after the root change)', () => {
  const out = runScript('cat /proc/self/mountinfo', (c, dir) => {
    fs.mkdirSync(path.join(dir, 'a'));
    c.linux.rootfsPropagation = 'rprivate';
    c.mounts.push({ destination: '/conf-a', type: 'bind', source: path.join(dir, 'a'), options: ['rbind', 'rshared'] });
  });
  expect(mountsUnder(out, '/conf-a')[0].optional).toEqual([]);
  const shared = runScript('cat /proc/self/mountinfo', (c) => {
    c.linux.rootfsPropagation = 'shared';
  });
  expect(parseMountinfo(shared).find((m) => m.mountPoint === '/')?.optional.some((o) => o.startsWith('shared:'))).toBe(true);
});

describe('id-mapped bind mounts', () => {
  /** A host directory holding `file`, owned 0:0 by the test (root). */
  function hostData(dir: string): string {
    const source = path.join(dir, 'idmap-data');
    fs.mkdirSync(source);
    fs.writeFileSync(path.join(source, 'file'), 'x');
    return source;
  }

  test('a file owned 0:0 on the host shows the mapped owner through an idmap bind', () => {
    const out = runScript('stat -c %u:%g /conf-data/file', (c, dir) => {
      c.mounts.push({
        destination: '/conf-data',
        type: 'bind',
        source: hostData(dir),
        options: ['rbind', 'idmap'],
        uidMappings: [{ containerID: 0, hostID: 1234, size: 1 }],
        gidMappings: [{ containerID: 0, hostID: 5678, size: 1 }],
      });
    });
    expect(out.trim()).toBe('1234:5678');
  });

  test('without idmap the same bind shows the host owner', () => {
    const out = runScript('stat -c %u:%g /conf-data/file', (c, dir) => {
      c.mounts.push({ destination: '/conf-data', type: 'bind', source: hostData(dir), options: ['rbind'] });
    });
    expect(out.trim()).toBe('0:0');
  });

  test('mappings on a tmpfs are refused with their JSON path', () => {
    const b = fx.bundle(['true']);
    b.config.mounts.push({
      destination: '/conf-data',
      type: 'tmpfs',
      source: 'tmpfs',
      uidMappings: [{ containerID: 0, hostID: 1234, size: 1 }],
      gidMappings: [{ containerID: 0, hostID: 1234, size: 1 }],
    });
    b.save();
    const r = fx.tsrun.cmd(['run', '-b', b.dir, fx.tsrun.track(uniqueId('mattr'))]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/mounts\[\d+\]\.uidMappings: id-mapped mounts must be bind mounts/);
  });
});

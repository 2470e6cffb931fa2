/**
 * Bad input: every case exits non-zero with one line on stderr saying what and where, and leaves
 * no state directory, no cgroup and no process behind.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Bundle, Config } from '../helpers/bundle';
import { containerFixtures } from '../helpers/fixtures';
import { uniqueId } from '../helpers/tsrun';

const fx = containerFixtures();


/** A bundle with its own absolute cgroupsPath, so the test can tell whether any cgroup was left. */
function bundleWithCgroup(args: string[], edit?: (c: Config) => void): Bundle & { cgroupsPath: string } {
  const cgroupsPath = `/tsrun-test-${uniqueId('bad')}`;
  const b = fx.bundle(args, (c) => {
    Object.assign(c.linux, { cgroupsPath });
    edit?.(c);
  });
  return Object.assign(b, { cgroupsPath });
}

function cgroupLeft(cgroupsPath: string): string[] {
  return fs.readdirSync('/sys/fs/cgroup').filter((h) => fs.existsSync(path.join('/sys/fs/cgroup', h, cgroupsPath)));
}

/** create must fail with exactly one line matching `pattern` and leave nothing behind. */
function expectCleanFailure(args: string[], pattern: RegExp, cgroupsPath?: string): void {
  const before = fs.existsSync(fx.tsrun.root) ? fs.readdirSync(fx.tsrun.root) : [];
  const r = fx.tsrun.cmd(args);
  expect(r.code).toBe(1);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(pattern);
  expect(fs.existsSync(fx.tsrun.root) ? fs.readdirSync(fx.tsrun.root) : []).toEqual(before);
  if (cgroupsPath) expect(cgroupLeft(cgroupsPath)).toEqual([]);
}

test('a missing bundle', () => {
  expectCleanFailure(['create', '-b', '/nonexistent/bundle', uniqueId('b')], /\/nonexistent\/bundle/);
});

test('a bundle without config.json', () => {
  const b = fx.bundle(['true']);
  fs.rmSync(path.join(b.dir, 'config.json'));
  expectCleanFailure(['create', '-b', b.dir, uniqueId('b')], /config\.json.*(ENOENT|no such file)/i);
});

test('a config.json that cannot be read (a directory)', () => {
  const b = fx.bundle(['true']);
  fs.rmSync(path.join(b.dir, 'config.json'));
  fs.mkdirSync(path.join(b.dir, 'config.json'));
  expectCleanFailure(['create', '-b', b.dir, uniqueId('b')], /config\.json.*EISDIR/i);
});

test('invalid JSON names the position', () => {
  const b = fx.bundle(['true']);
  fs.writeFileSync(path.join(b.dir, 'config.json'), '{"ociVersion": "1.3.0",\n  "process": }');
  expectCleanFailure(['create', '-b', b.dir, uniqueId('b')], /config\.json.*(line 2|2:)/i);
});

test('a schema violation names the JSON path', () => {
  const b = bundleWithCgroup([]);
  expectCleanFailure(['create', '-b', b.dir, uniqueId('b')], /process\.args/, b.cgroupsPath);
});

test('an unknown namespace names the entry and the value', () => {
  const b = bundleWithCgroup(['true'], (c) => {
    (c.linux.namespaces as { type: string }[]).push({ type: 'nett' });
  });
  expectCleanFailure(['create', '-b', b.dir, uniqueId('b')], /linux\.namespaces\[6\]\.type.*nett/, b.cgroupsPath);
});

test('an id of 4294967295 ((uid_t) -1: the process would run as root) names its JSON path', () => {
  const b = bundleWithCgroup(['id', '-u'], (c) => (c.process.user.uid = 4294967295));
  expectCleanFailure(['run', '-b', b.dir, uniqueId('b')], /process\.user\.uid: must be an id from 0 to 4294967294/, b.cgroupsPath);
});

test('linux.resources.unified may not write cgroup.procs (it moved host processes in) nor leave the cgroup by "/"', () => {
  for (const key of ['cgroup.procs', 'cgroup.kill', '../cgroup.procs']) {
    const b = bundleWithCgroup(['true'], (c) => (c.linux.resources = { unified: { [key]: '1' } }));
    expectCleanFailure(['run', '-b', b.dir, uniqueId('b')], new RegExp(`linux\\.resources\\.unified\\[\\\\"${key.replace(/\./g, '\\.')}\\\\"\\]: `), b.cgroupsPath);
  }
});

test('an id that exists already; ids with / or ..', () => {
  const b = fx.bundle(['sleep', '60']);
  const id = fx.tsrun.track(uniqueId('dup'));
  expect(fx.tsrun.cmd(['create', '-b', b.dir, id]).code).toBe(0);
  const pid = fx.tsrun.state(id).pid;
  expectCleanFailure(['create', '-b', b.dir, id], /container with given ID already exists/);
  expect(fx.tsrun.state(id)).toMatchObject({ status: 'created', pid });
  expectCleanFailure(['create', '-b', b.dir, 'a/b'], /invalid container ID format/);
  expectCleanFailure(['create', '-b', b.dir, '..'], /invalid container ID format/);
});

test('a rootfs that does not exist', () => {
  const b = bundleWithCgroup(['true']);
  fs.rmSync(b.rootfs, { recursive: true });
  expectCleanFailure(['create', '-b', b.dir, uniqueId('b')], new RegExp(`rootfs \\(${b.rootfs}\\) does not exist`), b.cgroupsPath);
});

test('an executable that is not in the rootfs', () => {
  const b = bundleWithCgroup(['nonexistent-binary']);
  expectCleanFailure(['create', '-b', b.dir, uniqueId('b')], /exec: \\?"nonexistent-binary\\?": executable file not found in \$PATH/, b.cgroupsPath);
});

test('a mount the kernel refuses names the mount, the rootfs and the errno', () => {
  const b = bundleWithCgroup(['true'], (c) => {
    c.mounts.push({ destination: '/data', type: 'no-such-fs', source: 'x' } as (typeof c.mounts)[number]);
  });
  expectCleanFailure(['create', '-b', b.dir, uniqueId('b')], /mount.*\/data.*ENODEV/, b.cgroupsPath);
});

test('the run command fails the same way and leaves nothing', () => {
  const b = bundleWithCgroup(['nonexistent-binary']);
  expectCleanFailure(['run', '-b', b.dir, uniqueId('b')], /tsrun run failed: .*executable file not found/, b.cgroupsPath);
});

test('commands on a missing container, and unknown flags, fail with runc\'s words', () => {
  for (const cmd of ['start', 'state', 'kill', 'delete']) {
    const r = fx.tsrun.cmd([cmd, 'missing']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('container does not exist');
  }
  const r = fx.tsrun.cmd(['create', '--no-such-flag', 'x']);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('flag provided but not defined: -no-such-flag');
});

/**
 * Init gets into its cgroups by itself (a v1 `tasks` write of "0", clone3 into the v2
 * directory) or, in a user namespace, by the parent's pid write (runtime/plan/build.ts
 * cgroupJoin). Whichever way: seen from the host, init is in the container's cgroup of every
 * hierarchy and alone there; seen from inside a new cgroup namespace, each one is its root, as
 * runc shows it; a pids limit of 1 leaves room for init (nothing else was ever charged there).
 * Where clone3 is refused (a seccomp profile that answers it ENOSYS, as Docker's and podman's
 * defaults do; faked here with strace's fault injection) the parent places init instead.
 */
import * as fs from 'fs';
import { execFileSync, spawnSync } from 'child_process';
import type { Config } from '../helpers/bundle';
import { cgroupDirsOf } from '../helpers/cgroup-membership';
import { containerFixtures } from '../helpers/fixtures';
import { TSRUN, uniqueId } from '../helpers/tsrun';

const fx = containerFixtures();

const userNamespace = (c: Config) => {
  c.linux.namespaces.push({ type: 'user' });
  Object.assign(c.linux, {
    uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
    gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
  });
};

test.each<[string, (c: Config) => void]>([
  ['init joins them itself', () => undefined],
  ['in a user namespace, the parent places it', userNamespace],
])('%s: init is in the container’s cgroup of every hierarchy, and alone', (_what, edit) => {
  const b = fx.bundle(['sleep', '600'], edit);
  const id = fx.tsrun.track(uniqueId('cgjoin'));
  const r = fx.tsrun.cmd(['run', '-d', '-b', b.dir, id]);
  expect([r.code, r.stderr]).toEqual([0, '']);
  const state = fx.tsrun.state(id) as { pid: number };
  const record = JSON.parse(fs.readFileSync(`${fx.tsrun.root}/${id}/state.json`, 'utf8')).cgroups;
  expect(record.hierarchies.length).toBeGreaterThan(0);
  expect(cgroupDirsOf(state.pid, record)).toEqual(record.hierarchies.map((h: { dir: string }) => h.dir));
  for (const h of record.hierarchies) expect(fs.readFileSync(`${h.dir}/cgroup.procs`, 'utf8').trim()).toBe(String(state.pid));
});

const runcAvailable = (() => {
  try {
    execFileSync('runc', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const withRunc = runcAvailable ? test : test.skip;
if (!runcAvailable) console.warn('skipped: runc is not installed, the cgroup namespace view is not compared');

withRunc('inside a new cgroup namespace every hierarchy shows its root, as runc shows it', () => {
  const script = 'cat /proc/self/cgroup';
  const edit = (c: Config) => {
    if (!c.linux.namespaces.some((n) => n.type === 'cgroup')) c.linux.namespaces.push({ type: 'cgroup' });
  };
  const ours = fx.inside(script, edit);
  const b = fx.bundle(['sh', '-c', script], edit);
  const runcRoot = fs.mkdtempSync('/tmp/tsrun-cgjoin-runc-');
  try {
    const theirs = execFileSync('runc', ['--root', runcRoot, 'run', '-b', b.dir, uniqueId('cgjoin-runc')], { encoding: 'utf8' });
    expect(ours.split('\n').sort()).toEqual(theirs.split('\n').sort());
    expect(ours.trim().split('\n').every((l) => l.endsWith(':/'))).toBe(true);
  } finally {
    fs.rmSync(runcRoot, { recursive: true, force: true });
  }
});

test('a pids limit of 1: init alone is charged, and runs', () => {
  const out = fx.inside('echo ran', (c) => {
    c.process.args = ['/bin/echo', 'ran'];
    c.linux.resources = { ...c.linux.resources, pids: { limit: 1 } };
  });
  expect(out).toBe('ran\n');
});

const straceAvailable = spawnSync('strace', ['-V'], { stdio: 'ignore' }).status === 0;
if (!straceAvailable) console.warn('skipped: strace is not installed, a refused clone3 cannot be injected');

(straceAvailable ? test : test.skip)('clone3 refused with ENOSYS: init is still in every hierarchy, the v2 one by the parent', () => {
  const b = fx.bundle(['cat', '/proc/self/cgroup'], (c) => {
    c.linux.namespaces = c.linux.namespaces.filter((n) => n.type !== 'cgroup');
  });
  const id = fx.tsrun.track(uniqueId('cgjoin-enosys'));
  const log = `${b.dir}/strace.log`;
  const r = spawnSync('strace', ['-f', '-qq', '-o', log, '-e', 'trace=clone3', '-e', 'inject=clone3:error=ENOSYS', TSRUN, '--root', fx.tsrun.root, 'run', '-b', b.dir, id], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect([r.status, r.stderr]).toEqual([0, '']);
  // The clone of init asked for its cgroup and was refused, as a seccomp profile would.
  expect(fs.readFileSync(log, 'utf8')).toMatch(/clone3\(\{flags=[^}]*CLONE_INTO_CGROUP[^\n]*ENOSYS[^\n]*INJECTED/);
  const lines = r.stdout.trim().split('\n');
  expect(lines.length).toBeGreaterThan(1);
  for (const line of lines) expect(line).toMatch(new RegExp(`:/(.*/)?${id}$`));
  expect(lines).toContain(`0::/${id}`);
});

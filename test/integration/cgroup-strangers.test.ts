/**
 * A process moved into a container's cgroup from outside is not the container's: `kill --all`
 * and `delete --force` leave it alone (runtime/state/own-processes.ts has the rule), and delete
 * says why the cgroup cannot go. The only process moved is a sleep this test started, and the
 * test moves it back to where it was and kills it.
 */
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type { CgroupRecord } from '../../runtime/cgroups/manager';
import { cgroupDirsOf } from '../helpers/cgroup-membership';
import { containerFixtures } from '../helpers/fixtures';
import { processExists, sleep, uniqueId } from '../helpers/tsrun';

const fx = containerFixtures();
const strangers: ChildProcess[] = [];

afterEach(() => {
  for (const s of strangers.splice(0)) if (s.exitCode === null && s.signalCode === null) s.kill('SIGKILL');
});

function runningContainer(): { id: string; pid: number; cgroups: CgroupRecord } {
  const b = fx.bundle(['sleep', '600']);
  const id = fx.tsrun.track(uniqueId('strangers'));
  const r = fx.tsrun.cmd(['run', '-d', '-b', b.dir, id]);
  expect([r.code, r.stderr]).toEqual([0, '']);
  const state = JSON.parse(fs.readFileSync(path.join(fx.tsrun.root, id, 'state.json'), 'utf8'));
  return { id, pid: state.pid, cgroups: state.cgroups };
}

/** A sleep of this test's own, moved into every hierarchy of the container's cgroup; `home` undoes it. */
function strangerIn(cgroups: CgroupRecord): { pid: number; home: () => void } {
  const s = spawn('sleep', ['600'], { stdio: 'ignore' });
  strangers.push(s);
  const pid = s.pid!;
  const origin = cgroupDirsOf(pid, cgroups);
  for (const h of cgroups.hierarchies) fs.writeFileSync(path.join(h.dir, 'cgroup.procs'), String(pid));
  expect(cgroupDirsOf(pid, cgroups)).toEqual(cgroups.hierarchies.map((h) => h.dir));
  return {
    pid,
    home: () => {
      origin.forEach((dir) => fs.writeFileSync(path.join(dir, 'cgroup.procs'), String(pid)));
      s.kill('SIGKILL');
    },
  };
}

async function until(what: string, done: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !done(); i++) await sleep(10);
  if (!done()) throw new Error(`timed out waiting for ${what}`);
}

const mustRemain = (id: string, pid: number, cgroups: CgroupRecord) => {
  expect(processExists(pid)).toBe(true);
  expect(fs.existsSync(path.join(fx.tsrun.root, id, 'state.json'))).toBe(true);
  for (const h of cgroups.hierarchies) expect(fs.readFileSync(path.join(h.dir, 'cgroup.procs'), 'utf8').split('\n')).toContain(String(pid));
};

test('kill --all signals the container, not a host process written into its cgroup', async () => {
  const { id, pid: init, cgroups } = runningContainer();
  const stranger = strangerIn(cgroups);
  const k = fx.tsrun.cmd(['kill', '--all', id, 'KILL']);
  expect([k.code, k.stderr]).toEqual([0, '']);
  await until('the init to die', () => !processExists(init));
  await sleep(100);
  mustRemain(id, stranger.pid, cgroups);

  const d = fx.tsrun.cmd(['delete', '--force', id]);
  expect(d.code).not.toBe(0);
  expect(d.stderr).toContain(`holds processes the container did not start (pid ${stranger.pid}), moved in from outside: they were not signalled`);
  expect(d.stderr).not.toMatch(/\n\s+at |TypeError/);
  mustRemain(id, stranger.pid, cgroups);

  stranger.home();
  const again = fx.tsrun.cmd(['delete', id]);
  expect([again.code, again.stderr]).toEqual([0, '']);
  for (const h of cgroups.hierarchies) expect(fs.existsSync(h.dir)).toBe(false);
});

test('delete --force of a running container kills its processes, and leaves a stranger alone', async () => {
  const { id, pid: init, cgroups } = runningContainer();
  const exec = fx.tsrun.cmd(['exec', '-d', id, 'sleep', '500']);
  expect(exec.code).toBe(0);
  const stranger = strangerIn(cgroups);
  const before = fs.readFileSync(path.join(cgroups.hierarchies[0].dir, 'cgroup.procs'), 'utf8').trim().split('\n').map(Number);
  expect(before.length).toBe(3);

  const d = fx.tsrun.cmd(['delete', '--force', id]);
  expect(d.code).not.toBe(0);
  expect(d.stderr).toContain(`(pid ${stranger.pid})`);
  // The init and the exec'd sleep are gone; the stranger is the cgroup's only process.
  expect(processExists(init)).toBe(false);
  await until('the container processes to leave', () => fs.readFileSync(path.join(cgroups.hierarchies[0].dir, 'cgroup.procs'), 'utf8').trim() === String(stranger.pid));
  mustRemain(id, stranger.pid, cgroups);

  stranger.home();
  const again = fx.tsrun.cmd(['delete', '--force', id]);
  expect([again.code, again.stderr]).toEqual([0, '']);
  expect(fs.existsSync(path.join(fx.tsrun.root, id))).toBe(false);
});

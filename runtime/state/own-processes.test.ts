/**
 * The rule by which kill --all and delete tell the container's processes from ones moved into
 * its cgroup, on real processes in namespaces of their own (unshare(1): a pid namespace, and a
 * mount namespace with private propagation in which nothing is mounted).
 */
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import { isContainers, ownerOf, readInitNamespaces, strangers } from './own-processes';

const children: ChildProcess[] = [];
/** Processes the tests found beneath their children: killing unshare(1) alone would orphan them. */
const descendants: number[] = [];

afterEach(() => {
  for (const pid of descendants.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

function start(cmd: string, args: string[]): ChildProcess {
  const c = spawn(cmd, args, { stdio: 'ignore' });
  children.push(c);
  return c;
}

/** Pids of the children of `pid` (the processes unshare --fork made), once there are `n`. */
async function childrenOf(pid: number, n = 1): Promise<number[]> {
  for (let i = 0; i < 500; i++) {
    let kids: number[] = [];
    try {
      kids = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      // not there yet
    }
    if (kids.length >= n) {
      descendants.push(...kids);
      return kids;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no child of ${pid}`);
}

const unshare = spawnSync('unshare', ['--pid', '--fork', 'true']).status === 0;
const maybe = unshare ? test : test.skip;

maybe('in a pid namespace of its own: the init, its descendants (nested namespaces too), not a host process', async () => {
  // "init" is sh, pid 1 of the new namespace; it runs a sleep, and a sleep in a pid namespace nested in its own.
  const u = start('unshare', ['--pid', '--fork', '--kill-child', 'sh', '-c', 'sleep 60 & unshare --pid --fork sleep 60 & wait']);
  const [init] = await childrenOf(u.pid!);
  const recorded = readInitNamespaces(init);
  expect(recorded.pid).toMatch(/^\d+:\d+$/);
  // No mount namespace was made: only the pid namespace tells the container's processes.
  expect(recorded.mnt).toBeUndefined();
  const [first, nestedUnshare] = await childrenOf(init, 2);
  const [nested] = await childrenOf(nestedUnshare);
  for (const pid of [init, first, nestedUnshare, nested]) expect([pid, ownerOf(pid, recorded)]).toEqual([pid, 'container']);

  const host = start('sleep', ['60']);
  // The unshare(1) that made the namespace is outside it, as tsrun is: a stranger too.
  for (const pid of [host.pid!, u.pid!, process.pid, 1]) expect([pid, ownerOf(pid, recorded)]).toEqual([pid, 'stranger']);
  expect(isContainers(recorded)(host.pid!)).toBe(false);
  expect(strangers([init, host.pid!, nested], recorded)).toEqual([host.pid]);

  host.kill('SIGKILL');
  await new Promise((r) => host.once('exit', r));
  expect(ownerOf(host.pid!, recorded)).toBe('gone');
});

maybe('in a mount namespace of its own (no pid namespace): what runs in it or descends from it', async () => {
  const u = start('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', 'sleep 60 & wait']);
  const init = u.pid!;
  const [child] = await childrenOf(init);
  const recorded = readInitNamespaces(init);
  expect(recorded).toEqual({ mnt: expect.stringMatching(/^\d+:\d+$/) });
  expect(ownerOf(child, recorded)).toBe('container');
  const host = start('sleep', ['60']);
  expect(ownerOf(host.pid!, recorded)).toBe('stranger');
});

test('without recorded namespaces (a container of an older tsrun, or one sharing every namespace) every process counts', () => {
  expect(readInitNamespaces(process.pid)).toEqual({});
  expect(ownerOf(process.pid, {})).toBe('container');
  expect(ownerOf(1, undefined)).toBe('container');
});

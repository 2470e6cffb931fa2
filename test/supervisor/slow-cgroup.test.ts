/**
 * A slow cgroup does not stall tsrund: while Tasks.Pause waits for a freezer (up to its 5 s
 * timeout), or Tasks.Delete for a cgroup to empty (up to 3 s), other RPCs are answered.
 *
 * The slow cgroups are real: inside the container a FUSE file system is mounted whose server
 * never answers (nobody reads /dev/fuse), so a `stat` in it waits for the connection's INIT
 * holding the root directory's lock shared, and a `mkdir` there waits for that lock exclusively,
 * in an uninterruptible sleep that neither a freezer nor SIGKILL interrupts. Pause: both are in
 * the container, the freezer stays FREEZING; SIGKILL ends the `stat`, then the `mkdir`. Delete:
 * the `stat` is the test's own (nsenter'd into the container's mount namespace only), so the
 * `mkdir` outlives the init and keeps the cgroup busy until the test kills its `stat`.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { failure } from './daemon';
import { useDaemon } from './fixtures';

jest.setTimeout(60_000);

const { c, bundle } = useDaemon();

const FUSE = { major: 10, minor: 229 };
const SCRIPT = [
  'exec 3<>/dev/fuse',
  'mount -t fuse -o fd=3,rootmode=40000,user_id=0,group_id=0 slow /tmp',
  'stat /tmp/x &',
  'sleep 0.2',
  'mkdir /tmp/d &',
  'exec sleep 600',
].join('\n');

const wchan = (pid: number) => {
  try {
    return fs.readFileSync(`/proc/${pid}/wchan`, 'utf8');
  } catch {
    return ''; // gone meanwhile
  }
};

async function until(what: string, holds: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await holds()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The process of the task that sleeps uninterruptibly on the directory lock. */
async function stuckProcess(id: string): Promise<number> {
  let stuck = 0;
  await until(`a process of ${id} stuck on the FUSE directory lock`, async () => {
    stuck = (await c().listPids(id)).find((pid) => wchan(pid) === 'filename_create') ?? 0;
    return stuck !== 0;
  });
  return stuck;
}

/** A bundle running `script` with /dev/fuse and the capability to mount it. */
function fuseBundle(script: string) {
  const b = bundle(['sh', '-c', script]);
  const caps = b.config.process.capabilities;
  for (const set of ['bounding', 'effective', 'permitted'] as const) caps[set] = [...(caps[set] ?? []), 'CAP_SYS_ADMIN'];
  b.config.linux.devices = [{ path: '/dev/fuse', type: 'c', ...FUSE, fileMode: 0o600, uid: 0, gid: 0 }];
  b.config.linux.resources.devices!.push({ allow: true, type: 'c', ...FUSE, access: 'rwm' });
  return b;
}

/** True while `pid`'s freezer is asked to freeze and has not frozen (v1 FREEZING; v2 cgroup.freeze 1, frozen 0). */
function freezing(pid: number): boolean {
  const lines = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n');
  const v1 = lines.find((l) => /^\d+:freezer:/.test(l));
  if (v1) return fs.readFileSync(path.join('/sys/fs/cgroup/freezer', v1.split(':')[2], 'freezer.state'), 'utf8').trim() === 'FREEZING';
  const v2 = path.join('/sys/fs/cgroup', lines.find((l) => l.startsWith('0::'))!.slice(3));
  const asked = fs.readFileSync(path.join(v2, 'cgroup.freeze'), 'utf8').trim() === '1';
  return asked && /^frozen 0$/m.test(fs.readFileSync(path.join(v2, 'cgroup.events'), 'utf8'));
}

/**
 * Send `slow` (named `name`), wait until `inFlight` shows tsrund is waiting on the cgroup, then
 * send Version and Tasks.List: their answers come before the slow call's. Resolves with how the
 * slow call failed (null: it succeeded).
 */
async function answeredMeanwhile(name: string, slow: () => Promise<unknown>, inFlight: () => boolean | Promise<boolean>, id: string) {
  const answered: string[] = [];
  const outcome = failure(slow()).finally(() => answered.push(name));
  await until(`${name} to wait on the cgroup`, inFlight);
  await c().version().then(() => answered.push('Version'));
  const listed = await c().listTasks();
  answered.push('Tasks.List');
  expect(listed.map((t) => t.id)).toContain(id);
  const result = await outcome;
  expect(answered).toEqual(['Version', 'Tasks.List', name]);
  return result;
}

test('Version and Tasks.List are answered while Tasks.Pause waits for a cgroup that cannot freeze', async () => {
  const b = fuseBundle(SCRIPT);
  b.save();
  await c().createContainer({ id: 'slow-freeze', bundle: b.dir });
  await c().createTask('slow-freeze');
  await c().startTask('slow-freeze');
  try {
    const stuck = await stuckProcess('slow-freeze');

    // In flight once the freezer is FREEZING; it gives up at its timeout (tsrund's log says "did not freeze within 5000 ms").
    const paused = await answeredMeanwhile('Tasks.Pause', () => c().pause('slow-freeze'), () => freezing(stuck), 'slow-freeze');
    expect(paused).not.toBeNull();
    // The timed-out freeze thawed the cgroup again.
    expect((await c().getTask('slow-freeze')).status).toBe('RUNNING');
  } finally {
    await c().deleteTask('slow-freeze', { force: true });
    await c().deleteContainer('slow-freeze');
  }
});

test('Version and Tasks.List are answered while Tasks.Delete waits for a cgroup a process cannot leave', async () => {
  // No pid namespace: the init can exit (and be reported) while the mkdir still sleeps in the cgroup.
  const b = fuseBundle(
    [
      'exec 3<>/dev/fuse',
      'mount -t fuse -o fd=3,rootmode=40000,user_id=0,group_id=0 slow /tmp',
      'until [ -e /dev/shm/go ]; do sleep 0.05; done',
      'mkdir /tmp/d &',
      'exec sleep 600',
    ].join('\n'),
  );
  b.config.linux.namespaces = b.config.linux.namespaces.filter((n) => n.type !== 'pid');
  b.save();
  await c().createContainer({ id: 'slow-delete', bundle: b.dir });
  const init = (await c().createTask('slow-delete')).pid;
  await c().startTask('slow-delete');
  const holder = spawn('nsenter', ['-t', String(init), '-m', 'stat', '/tmp/x'], { stdio: 'ignore' });
  const holderGone = new Promise((resolve) => holder.once('exit', resolve));
  try {
    await until('the FUSE mount', () => fs.readFileSync(`/proc/${init}/mountinfo`, 'utf8').includes(' /tmp rw'));
    await until("the test's stat to wait on the FUSE connection", () => wchan(holder.pid!) === 'fuse_get_req');
    fs.writeFileSync(`/proc/${init}/root/dev/shm/go`, '');
    await stuckProcess('slow-delete');

    // In flight once the init is gone, waiting for the mkdir to leave the cgroup; it gives up at
    // its timeout (tsrund's log says "could not remove ... EBUSY").
    const deleted = await answeredMeanwhile(
      'Tasks.Delete',
      () => c().deleteTask('slow-delete', { force: true }),
      async () => (await c().getTask('slow-delete')).status === 'STOPPED',
      'slow-delete',
    );
    expect(deleted).not.toBeNull();
  } finally {
    holder.kill('SIGKILL');
    await holderGone;
    await until('the delete to succeed', () => c().deleteTask('slow-delete', { force: true }).then(() => true, () => false));
    await c().deleteContainer('slow-delete');
  }
});

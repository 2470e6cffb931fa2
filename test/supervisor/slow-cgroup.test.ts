/**
 * A cgroup that cannot freeze at once does not stall tsrund: while Tasks.Pause waits for the
 * freezer (up to its 5 s timeout), other RPCs are answered.
 *
 * The slow cgroup is real: inside the container a FUSE file system is mounted whose server never
 * answers (nobody reads /dev/fuse), so a `stat` in it waits for the connection's INIT and holds
 * the root directory's lock shared, and a `mkdir` there waits for that lock exclusively, in an
 * uninterruptible sleep that no freezer can interrupt: the freezer stays FREEZING. SIGKILL ends
 * the `stat`, then the `mkdir`, and the FUSE connection goes with its last fd.
 */
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

const wchan = (pid: number) => fs.readFileSync(`/proc/${pid}/wchan`, 'utf8');

/** The process of the task that sleeps uninterruptibly on the directory lock. */
async function stuckProcess(id: string): Promise<number> {
  for (let i = 0; i < 200; i++) {
    for (const pid of await c().listPids(id)) {
      try {
        if (wchan(pid) === 'filename_create') return pid;
      } catch {
        continue; // gone meanwhile
      }
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no process of ${id} got stuck on the FUSE directory lock`);
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

test('Version and Tasks.List are answered while Tasks.Pause waits for a cgroup that cannot freeze', async () => {
  const b = bundle(['sh', '-c', SCRIPT]);
  const caps = b.config.process.capabilities;
  for (const set of ['bounding', 'effective', 'permitted'] as const) caps[set] = [...(caps[set] ?? []), 'CAP_SYS_ADMIN'];
  b.config.linux.devices = [{ path: '/dev/fuse', type: 'c', ...FUSE, fileMode: 0o600, uid: 0, gid: 0 }];
  b.config.linux.resources.devices!.push({ allow: true, type: 'c', ...FUSE, access: 'rwm' });
  b.save();
  await c().createContainer({ id: 'slow-freeze', bundle: b.dir });
  await c().createTask('slow-freeze');
  await c().startTask('slow-freeze');
  try {
    const stuck = await stuckProcess('slow-freeze');

    const answered: string[] = [];
    const pause = failure(c().pause('slow-freeze')).finally(() => answered.push('Tasks.Pause'));
    while (!freezing(stuck)) await new Promise((r) => setTimeout(r, 10));
    // The Pause is in flight now, waiting for the freezer.
    await c().version().then(() => answered.push('Version'));
    const listed = await c().listTasks();
    answered.push('Tasks.List');
    expect(listed.map((t) => t.id)).toContain('slow-freeze');

    // It gave up at its timeout (tsrund's log says "did not freeze within 5000 ms").
    expect(await pause).not.toBeNull();
    expect(answered).toEqual(['Version', 'Tasks.List', 'Tasks.Pause']);
    // The timed-out freeze thawed the cgroup again.
    expect((await c().getTask('slow-freeze')).status).toBe('RUNNING');
  } finally {
    await c().deleteTask('slow-freeze', { force: true });
    await c().deleteContainer('slow-freeze');
  }
});

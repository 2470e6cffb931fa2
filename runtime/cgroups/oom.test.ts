/**
 * The OOM watch `tsrun events` runs through the addon (and tsrund's monitors run in C), on a real
 * memory cgroup of this host (run as root): an OOM kill is reported, and the cgroup's removal ends
 * the watch. The cgroup is named "tsrun-test-oom-..." and removed after the test.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { detectCgroupHost } from './host';
import { oomCount, oomWatchOf, OomWatcher } from './oom';
import type { CgroupManager } from './manager';

const host = detectCgroupHost();
const memory = host.hierarchies.find((h) => h.version === 1 && h.controllers.includes('memory'));

/** A manager with only what the watch decision reads: the memory cgroup's directory. */
const withMemoryAt = (dir: { version: 1 | 2; dir: string } | null) => ({ controllerDir: (c: string) => (c === 'memory' ? dir : null) }) as CgroupManager;

test('v1 memory cgroups are watched through memory.oom_control, v2 ones through memory.events, others not at all', () => {
  expect(oomWatchOf(withMemoryAt({ version: 1, dir: '/sys/fs/cgroup/memory/c' }))).toEqual({ mechanism: 'control', dir: '/sys/fs/cgroup/memory/c' });
  expect(oomWatchOf(withMemoryAt({ version: 2, dir: '/sys/fs/cgroup/c' }))).toEqual({ mechanism: 'events', dir: '/sys/fs/cgroup/c' });
  expect(oomWatchOf(withMemoryAt(null))).toBeNull();
});

(memory ? test : test.skip)('an OOM kill in a v1 memory cgroup is reported, and removing the cgroup ends the watch', async () => {
  const dir = path.join(memory!.mountpoint, `tsrun-test-oom-${process.pid}`);
  fs.mkdirSync(dir);
  const cgroups = withMemoryAt({ version: 1, dir });
  let watcher: OomWatcher | null = null;
  try {
    fs.writeFileSync(path.join(dir, 'memory.limit_in_bytes'), String(16 << 20));
    watcher = OomWatcher.open(oomWatchOf(cgroups)!);
    expect(await watcher.next(50)).toBe(0);
    const hog = spawn('sh', ['-c', `echo $$ > ${dir}/cgroup.procs; x=$(head -c 67108864 /dev/zero | tr "\\0" a)`], { stdio: 'ignore' });
    const exited = new Promise((resolve) => hog.once('exit', resolve));
    let ooms = 0;
    for (let i = 0; i < 100 && ooms === 0; i++) ooms += (await watcher.next(100)) ?? 0;
    await exited;
    expect(ooms).toBeGreaterThanOrEqual(1);
    expect(oomCount(cgroups)).toBeGreaterThanOrEqual(1);

    // The shell's pipeline (head, tr) outlives it a moment: the cgroup can go once they are gone.
    expect(await emptied(dir)).toBe(true);
    fs.rmdirSync(dir);
    expect(await watcher.next(1000)).toBeNull();
  } finally {
    watcher?.close();
    if (fs.existsSync(dir)) {
      // Only this test's processes can be in the cgroup it made.
      for (const pid of members(dir)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err; // gone meanwhile
        }
      }
      await emptied(dir);
      fs.rmdirSync(dir);
    }
  }
});

function members(dir: string): number[] {
  return fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
}

/** Whether the cgroup has no process left within 5 s. */
async function emptied(dir: string): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (members(dir).length === 0) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

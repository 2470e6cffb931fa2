/**
 * OOM events as they happen: a container whose memory limit (set through Containers.Create's
 * resources override) is exceeded by a child process gets an `oom` event on the Events stream
 * while its init still runs, from its monitor's watch on the memory cgroup (v1: eventfd on
 * cgroup.event_control; v2: memory.events).
 */
import type { Event } from '../../supervisor/api/types';
import { useDaemon } from './fixtures';

jest.setTimeout(60_000);

const { c, bundle } = useDaemon();

const LIMIT = 32 << 20;

test('an OOM kill inside a running container is published at once, with the container id', async () => {
  const b = bundle(['true']);
  // The inner shell grows a 256 MiB string and is OOM-killed; the init goes on sleeping. The hog
  // volunteers as the OOM killer's first choice (raising oom_score_adj needs no privilege): with
  // an equal score a busy host can pick the init instead, whichever is scanned first.
  const hog = 'echo 1000 > /proc/self/oom_score_adj; x=$(head -c 268435456 /dev/zero | tr "\\0" a); echo survived';
  await c().createContainer({
    id: 'oom-live',
    bundle: b.dir,
    overrides: { args: ['sh', '-c', `sh -c '${hog}'; echo "inner status $?"; exec sleep 600`], resources: { memoryLimit: LIMIT, cpuShares: 0, cpuQuota: 0, cpuPeriod: 0, pidsLimit: 0, cpusetCpus: '', memorySwap: 0 } },
  });
  const events: Event[] = [];
  const stream = c().subscribe({ ids: ['oom-live'], types: ['oom', 'exit'] });
  const firstOom = (async () => {
    for await (const e of stream) {
      events.push(e);
      if (e.type === 'oom') return e;
    }
    return null;
  })();
  await new Promise((r) => setTimeout(r, 50));
  const pid = (await c().createTask('oom-live')).pid;
  await c().startTask('oom-live');

  const oom = await firstOom;
  stream.cancel();
  expect(oom).toMatchObject({ type: 'oom', id: 'oom-live', pid });
  // Published while the task runs: not at its exit.
  expect(events.map((e) => e.type)).toEqual(['oom']);
  expect((await c().getTask('oom-live')).status).toBe('RUNNING');
  expect((await c().stats('oom-live')).memoryLimitBytes).toBe(LIMIT);

  let text = '';
  for (let i = 0; i < 100 && !text.includes('inner status'); i++) {
    text = '';
    for await (const e of c().logs('oom-live')) text += `${e.text}\n`;
    await new Promise((r) => setTimeout(r, 50));
  }
  expect(text).toContain('inner status 137\n');
  await c().deleteTask('oom-live', { force: true });
  await c().deleteContainer('oom-live');
});

test('a cgroup that runs out of memory again and again: the container keeps its monitor and its own exit code', async () => {
  // Each OOM kill raises from one to hundreds of notifications, more on a busy host (v1's
  // eventfd counts every charge that failed). Twenty in a row made the monitor's socket
  // overflow with OOM frames; dropped, the task read as lost (255) though it ran on.
  const hog = 'echo 1000 > /proc/self/oom_score_adj; head -c 268435456 /dev/zero | tail -n 1';
  const b = bundle(['true']);
  await c().createContainer({
    id: 'oom-storm',
    bundle: b.dir,
    overrides: { args: ['sh', '-c', `for i in $(seq 60); do sh -c '${hog}'; done; exit 7`], resources: { memoryLimit: LIMIT, cpuShares: 0, cpuQuota: 0, cpuPeriod: 0, pidsLimit: 0, cpusetCpus: '', memorySwap: 0 } },
  });
  const types: string[] = [];
  const stream = c().subscribe({ ids: ['oom-storm'], types: ['oom', 'exit'] });
  const seen = (async () => {
    for await (const e of stream) {
      types.push(e.type);
      if (e.type === 'exit') return e;
    }
    return null;
  })();
  await new Promise((r) => setTimeout(r, 50));
  await c().createTask('oom-storm');
  await c().startTask('oom-storm');
  expect((await c().wait('oom-storm')).exitStatus).toBe(7);
  expect(await seen).toMatchObject({ type: 'exit', exitStatus: 7 });
  stream.cancel();
  // One event per kill at least (the exit counts the cgroup's kills); never one per notification.
  const ooms = types.filter((t) => t === 'oom').length;
  expect(ooms).toBeGreaterThanOrEqual(20);
  expect(ooms).toBeLessThan(200);
  await c().deleteTask('oom-storm', { force: true });
  await c().deleteContainer('oom-storm');
});

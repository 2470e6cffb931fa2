/**
 * Load and crash survival: 100 containers at once through the API, and tsrund killed with
 * SIGKILL while in use, then restarted: every container accounted for with its real exit code,
 * and nothing (monitor, process, cgroup, task directory) left after removal.
 */
import * as fs from 'fs';
import * as path from 'path';
import { alive } from './daemon';
import { useDaemonPerTest } from './fixtures';

jest.setTimeout(180_000);

const fixture = useDaemonPerTest();

/** The cgroup directories of `pid`'s task as its record names them (read before removal). */
function taskCgroupDirs(state: string, id: string): string[] {
  const record = JSON.parse(fs.readFileSync(path.join(state, 'tasks', id, 'task.json'), 'utf8'));
  return record.cgroups.hierarchies.map((h: { dir: string }) => h.dir);
}

test('100 containers started concurrently: all listed, every exit code right, nothing left', async () => {
  const { daemon, bundle: b } = fixture;
  await daemon.start();
  const c = daemon.client;
  const ids = Array.from({ length: 100 }, (_, i) => `load-${i}`);
  await Promise.all(
    ids.map(async (id, i) => {
      await c.createContainer({ id, bundle: b.dir, overrides: { args: ['sh', '-c', `sleep 1; exit ${i}`] }, labels: { batch: 'load' } });
      await c.createTask(id);
      await c.startTask(id);
    }),
  );
  expect((await c.listContainers(['batch=load'])).length).toBe(100);
  const tasks = await c.listTasks();
  expect(tasks.filter((t) => t.id.startsWith('load-')).length).toBe(100);
  const monitors = tasks.map((t) => t.monitorPid);
  const cgroupDirs = ids.flatMap((id) => taskCgroupDirs(daemon.state, id));

  const exits = await Promise.all(ids.map((id) => c.wait(id)));
  expect(exits.map((e) => e.exitStatus)).toEqual(ids.map((_, i) => i));
  await Promise.all(ids.map(async (id) => (await c.deleteTask(id), await c.deleteContainer(id))));

  expect(await c.listContainers(['batch=load'])).toEqual([]);
  expect(fs.readdirSync(path.join(daemon.state, 'tasks'))).toEqual([]);
  const deadline = Date.now() + 5000;
  while (monitors.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  expect(monitors.filter(alive)).toEqual([]);
  expect(cgroupDirs.filter((d) => fs.existsSync(d))).toEqual([]);
});

test('kill -9 of tsrund in use, restart: every container accounted for, no exit lost', async () => {
  const { daemon, bundle: b } = fixture;
  await daemon.start();
  let c = daemon.client;
  // Long runners, ones that exit while tsrund is down, ones that exited before it died.
  const specs = [
    ...Array.from({ length: 10 }, (_, i) => ({ id: `crash-long-${i}`, cmd: 'sleep 60', code: 137 })),
    ...Array.from({ length: 10 }, (_, i) => ({ id: `crash-mid-${i}`, cmd: `sleep 2; exit ${20 + i}`, code: 20 + i })),
    ...Array.from({ length: 5 }, (_, i) => ({ id: `crash-done-${i}`, cmd: `exit ${40 + i}`, code: 40 + i })),
  ];
  const start = async (s: (typeof specs)[number]) => {
    await c.createContainer({ id: s.id, bundle: b.dir, overrides: { args: ['sh', '-c', s.cmd] } });
    await c.createTask(s.id);
    await c.startTask(s.id);
  };
  await Promise.all(specs.map(start));
  await Promise.all(specs.filter((s) => s.id.startsWith('crash-done')).map((s) => c.wait(s.id)));
  const before = await c.listTasks();
  const monitors = before.map((t) => t.monitorPid);

  // Heavy use at the moment of death: creates in flight.
  const inFlight = Array.from({ length: 10 }, (_, i) =>
    start({ id: `crash-flight-${i}`, cmd: 'sleep 60', code: 137 }).catch(() => 'failed'),
  );
  await new Promise((r) => setTimeout(r, 30));
  expect((await daemon.signal('SIGKILL')).signal).toBe('SIGKILL');
  await Promise.all(inFlight);
  // The mid ones exit while no tsrund runs.
  await new Promise((r) => setTimeout(r, 2500));
  for (const pid of monitors) expect(alive(pid)).toBe(true);

  await daemon.start();
  c = daemon.reconnect();
  const after = await c.listTasks();
  for (const s of specs) {
    const t = after.find((x) => x.id === s.id);
    expect(t).toBeDefined();
    if (s.id.startsWith('crash-long')) expect(t!.status).toBe('RUNNING');
    else expect(t).toMatchObject({ status: 'STOPPED', exitStatus: s.code });
  }
  // A create that tsrund died in either finished (a task is listed) or left nothing behind.
  const flightIds = new Set(after.filter((t) => t.id.startsWith('crash-flight')).map((t) => t.id));
  for (const id of fs.readdirSync(path.join(daemon.state, 'tasks'))) expect(after.some((t) => t.id === id)).toBe(true);
  for (const id of flightIds) expect(['CREATED', 'RUNNING']).toContain(after.find((t) => t.id === id)!.status);

  for (const s of specs.filter((x) => x.id.startsWith('crash-mid'))) expect((await c.wait(s.id)).exitStatus).toBe(s.code);
  const cgroupDirs = after.flatMap((t) => taskCgroupDirs(daemon.state, t.id));
  const allMonitors = after.map((t) => t.monitorPid);
  for (const t of after) {
    const d = await c.deleteTask(t.id, { force: true });
    const s = specs.find((x) => x.id === t.id);
    if (s) expect(d.exitStatus).toBe(s.code);
  }
  for (const k of await c.listContainers()) await c.deleteContainer(k.id);
  const deadline = Date.now() + 5000;
  while (allMonitors.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  expect(allMonitors.filter(alive)).toEqual([]);
  expect(cgroupDirs.filter((d) => fs.existsSync(d))).toEqual([]);
  expect(fs.readdirSync(path.join(daemon.state, 'tasks'))).toEqual([]);
});

test('SIGTERM leaves running containers running; the next tsrund finds them', async () => {
  const { daemon, bundle: b } = fixture;
  await daemon.start();
  const c = daemon.client;
  await c.createContainer({ id: 'term-1', bundle: b.dir, overrides: { args: ['sleep', '60'] } });
  await c.createTask('term-1');
  const pid = await c.startTask('term-1');
  expect((await daemon.signal('SIGTERM')).code).toBe(0);
  expect(alive(pid)).toBe(true);
  await daemon.start();
  expect(await daemon.reconnect().getTask('term-1')).toMatchObject({ pid, status: 'RUNNING' });
});

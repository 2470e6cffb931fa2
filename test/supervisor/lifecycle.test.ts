/**
 * Stop, restart policies and --init through a real tsrund: Tasks.Stop with the image's
 * StopSignal and with SIGKILL once the timeout passed; on-failure:N, always (with its growing
 * back-off) and unless-stopped across a tsrund restart; the project's init reaping zombies,
 * passing signals on and its command's status through, beside a shell as pid 1 that ignores
 * SIGTERM.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Container, ProcessOverrides } from '../../supervisor/api/types';
import { useDaemon } from './fixtures';
import { until } from './daemon';
import { buildArchive, busyboxLayer } from './image-archive';

jest.setTimeout(120_000);

const f = useDaemon();
const c = () => f.c();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-lifecycle-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** Ids of this test process's own: tsrund's cgroups are named after them. */
let serial = 0;
const newId = (what: string) => `rs-${process.pid}-${what}-${serial++}`;

const LOOP = 'while :; do sleep 0.1; done';

async function create(what: string, script: string, overrides: Partial<ProcessOverrides> = {}): Promise<string> {
  const id = newId(what);
  await c().createContainer({ id, bundle: f.bundle(['sh', '-c', script]).dir, overrides });
  return id;
}

async function startNew(what: string, script: string, overrides: Partial<ProcessOverrides> = {}): Promise<string> {
  const id = await create(what, script, overrides);
  await c().createTask(id);
  await c().startTask(id);
  return id;
}

async function logText(id: string): Promise<string> {
  const lines: string[] = [];
  for await (const e of c().logs(id)) lines.push(e.text + (e.partial ? '' : '\n'));
  return lines.join('');
}

const restartStatus = async (id: string): Promise<NonNullable<Container['restartStatus']>> => (await c().getContainer(id)).restartStatus!;
/** The task's status; 'none' between the delete of a stopped task and the create of the next (a restart). */
const taskStatus = async (id: string) => (await c().getTask(id).catch(() => null))?.status ?? 'none';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('stop', () => {
  test("the image's StopSignal first: the container's trap runs and its exit is returned", async () => {
    const name = 'localhost/tsrun-test/stopsignal:1';
    const archive = buildArchive(work, name, [{ tar: busyboxLayer() }], {
      config: { Cmd: ['sh', '-c', `trap "echo got USR1; exit 7" USR1; echo ready; ${LOOP}`], StopSignal: 'SIGUSR1' },
    });
    await c().importImages(archive);
    const id = newId('image-stop');
    await c().createContainer({ id, image: name });
    await c().createTask(id);
    await c().startTask(id);
    await until(async () => (await logText(id)).includes('ready'));
    const stopped = await c().stopTask(id, { timeoutSeconds: 20 });
    expect(stopped).toMatchObject({ exitStatus: 7, killed: false });
    expect(await logText(id)).toContain('got USR1');
    expect(await taskStatus(id)).toBe('STOPPED');
  });

  test('a shell that ignores SIGTERM is killed with SIGKILL once the container\'s stop timeout passed', async () => {
    const id = await startNew('stop-timeout', `trap "" TERM; echo ready; ${LOOP}`, { stopTimeout: 1 });
    await until(async () => (await logText(id)).includes('ready'));
    const t0 = Date.now();
    const stopped = await c().stopTask(id);
    expect(stopped).toMatchObject({ exitStatus: 137, killed: true });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    expect(Date.now() - t0).toBeLessThan(8000);
  });

  test('a stop waiting for ever (-1) holds nothing back: a forced delete meanwhile ends it', async () => {
    const id = await startNew('stop-forever', `trap "" TERM; echo ready; ${LOOP}`);
    await until(async () => (await logText(id)).includes('ready'));
    const stopping = c().stopTask(id, { timeoutSeconds: -1 });
    await sleep(500);
    expect((await c().deleteTask(id, { force: true })).exitStatus).toBe(137);
    expect(await stopping).toMatchObject({ exitStatus: 137, killed: false });
  });

  test('a paused container is resumed for its stop signal; a created one, never started, is killed at once', async () => {
    const paused = await startNew('stop-paused', `trap "exit 4" TERM; echo ready; ${LOOP}`);
    await until(async () => (await logText(paused)).includes('ready'));
    await c().pause(paused);
    expect(await c().stopTask(paused, { timeoutSeconds: 20 })).toMatchObject({ exitStatus: 4, killed: false });
    const created = await create('stop-created', LOOP);
    await c().createTask(created);
    expect(await c().stopTask(created)).toMatchObject({ exitStatus: 137, killed: true });
  });

  test('a bad stop signal is refused at create, naming the field', async () => {
    await expect(create('bad-signal', 'true', { stopSignal: 'SIGNOPE' })).rejects.toThrow(/overrides\.stop_signal/);
    await expect(create('bad-policy', 'true', { restartPolicy: { name: 'sometimes', maxRetries: 0 } })).rejects.toThrow(/overrides\.restart_policy\.name/);
  });
});

describe('restart policies', () => {
  test('on-failure:2 restarts a failing container exactly twice', async () => {
    const id = await startNew('on-failure', 'echo run; exit 3', { restartPolicy: { name: 'on-failure', maxRetries: 2 } });
    await until(async () => (await restartStatus(id)).restartCount === 2 && (await taskStatus(id)) === 'STOPPED', 20_000);
    await sleep(1500);
    expect(await restartStatus(id)).toEqual({ restartCount: 2, stoppedByUser: false, restarting: false });
    expect((await c().wait(id)).exitStatus).toBe(3);
    expect((await logText(id)).match(/run/g)).toHaveLength(3);
  });

  test('on-failure does not restart after exit 0', async () => {
    const id = await startNew('on-failure-ok', 'echo run', { restartPolicy: { name: 'on-failure', maxRetries: 0 } });
    await c().wait(id);
    await sleep(1000);
    expect((await restartStatus(id)).restartCount).toBe(0);
    expect(await taskStatus(id)).toBe('STOPPED');
  });

  test('always restarts after exit 0, each time later (the back-off doubles), until the user stops it', async () => {
    const id = await startNew('always', 'echo run', { restartPolicy: { name: 'always', maxRetries: 0 } });
    await until(async () => (await restartStatus(id)).restartCount >= 6, 30_000);
    const times: number[] = [];
    for await (const e of c().logs(id)) times.push(e.time!.seconds * 1000 + e.time!.nanos / 1e6);
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    // 100, 200, 400, 800, 1600 ms of back-off, each plus what a task's create and start take.
    [100, 200, 400, 800, 1600].forEach((delay, i) => expect(gaps[i]).toBeGreaterThanOrEqual(delay - 5));
    expect(gaps[4]).toBeGreaterThan(gaps[0]);
    await c().stopTask(id);
    const { restartCount } = await restartStatus(id);
    await sleep(2500);
    expect(await restartStatus(id)).toEqual({ restartCount, stoppedByUser: true, restarting: false });
    expect(await taskStatus(id)).toBe('STOPPED');
  });

  test('a client Tasks.Create starts the count again and the policy applies again', async () => {
    const id = await startNew('recreate', 'exit 1', { restartPolicy: { name: 'on-failure', maxRetries: 1 } });
    await until(async () => (await restartStatus(id)).restartCount === 1 && (await taskStatus(id)) === 'STOPPED', 20_000);
    await c().deleteTask(id);
    expect((await restartStatus(id)).stoppedByUser).toBe(true);
    await c().createTask(id);
    expect(await restartStatus(id)).toEqual({ restartCount: 0, stoppedByUser: false, restarting: false });
    await c().startTask(id);
    await until(async () => (await restartStatus(id)).restartCount === 1 && (await taskStatus(id)) === 'STOPPED', 20_000);
    expect((await restartStatus(id)).restarting).toBe(false);
  });

  test("after a tsrund restart: unless-stopped starts again unless the user stopped it; always does even then", async () => {
    const running = await startNew('unless-stopped', `echo up; ${LOOP}`, { restartPolicy: { name: 'unless-stopped', maxRetries: 0 } });
    const userStopped = await startNew('unless-stopped-stopped', LOOP, { restartPolicy: { name: 'unless-stopped', maxRetries: 0 } });
    const always = await startNew('always-stopped', LOOP, { restartPolicy: { name: 'always', maxRetries: 0 } });
    await c().stopTask(userStopped, { timeoutSeconds: 0 });
    await c().stopTask(always, { timeoutSeconds: 0 });
    const { pid } = await c().getTask(running);
    await f.daemon.signal('SIGTERM');
    // The task ends while tsrund is down: the one that starts next finds it stopped.
    process.kill(pid, 'SIGKILL');
    await until(() => !fs.existsSync(`/proc/${pid}`));
    await f.daemon.start();
    f.daemon.reconnect();
    expect(await taskStatus(running)).toBe('RUNNING');
    expect((await c().getTask(running)).pid).not.toBe(pid);
    expect(await taskStatus(userStopped)).toBe('STOPPED');
    expect((await restartStatus(userStopped)).stoppedByUser).toBe(true);
    expect(await taskStatus(always)).toBe('RUNNING');
    expect((await restartStatus(always)).stoppedByUser).toBe(false);
  });
});

describe('--init', () => {
  test('pid 1 is the init; an orphan that exits is reaped (no zombie stays); the status passes through', async () => {
    const script = '(sleep 0.2 &); sleep 1; cat /proc/1/comm; for f in /proc/[0-9]*/stat; do cat $f; echo; done; exit 42';
    const id = await startNew('init-reap', script, { init: true });
    expect((await c().wait(id)).exitStatus).toBe(42);
    const out = await logText(id);
    expect(out.split('\n')[0]).toBe('tsrun-init');
    const states = out.split('\n').filter((l) => /^\d+ \(/.test(l)).map((l) => l.replace(/^\d+ \(.*\) /, '').split(' ')[0]);
    expect(states.length).toBeGreaterThanOrEqual(2);
    expect(states).not.toContain('Z');
  });

  test("signals reach the command: its trap runs; SIGTERM ends a shell that has none (143), which as pid 1 without --init ignores it", async () => {
    const trapped = await startNew('init-trap', `trap "echo got HUP; exit 5" HUP; echo ready; ${LOOP}`, { init: true });
    await until(async () => (await logText(trapped)).includes('ready'));
    await c().kill(trapped, 1);
    expect((await c().wait(trapped)).exitStatus).toBe(5);
    expect(await logText(trapped)).toContain('got HUP');

    const withInit = await startNew('init-term', `echo ready; ${LOOP}`, { init: true });
    const without = await startNew('no-init-term', `echo ready; ${LOOP}`);
    await until(async () => (await logText(withInit)).includes('ready') && (await logText(without)).includes('ready'));
    await c().kill(withInit, 15);
    await c().kill(without, 15);
    expect((await c().wait(withInit)).exitStatus).toBe(143);
    await sleep(1000);
    expect(await taskStatus(without)).toBe('RUNNING');
    expect(await c().stopTask(without, { timeoutSeconds: 0 })).toMatchObject({ exitStatus: 137, killed: true });
  });
});

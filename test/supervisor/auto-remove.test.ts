/**
 * ProcessOverrides.auto_remove through the API (supervisor/services/auto-remove.ts): tsrund
 * removes the task, the container and its anonymous volumes once the task exits, also when it
 * exited while tsrund was down (SIGKILLed, then started again); refused with a restart policy;
 * a container never started, or whose task a client deleted first, is left alone.
 */
import type { ResponseStream, TsrundClient } from '../../supervisor/client/client';
import type { Event } from '../../supervisor/api/types';
import { alive, failure, until } from './daemon';
import { useDaemonPerTest } from './fixtures';

jest.setTimeout(60_000);

const t = useDaemonPerTest();
const anonymous = { type: 'volume', source: '', destination: '/data', readOnly: false, nocopy: false, propagation: '' };

async function collectUntil(stream: ResponseStream<Event>, last: (e: Event) => boolean): Promise<Event[]> {
  const into: Event[] = [];
  for await (const e of stream) {
    into.push(e);
    if (last(e)) break;
  }
  stream.cancel();
  return into;
}

const exists = (c: TsrundClient, id: string) => c.getContainer(id).then(
  () => true,
  (err: { code: number }) => (err.code === 5 ? false : Promise.reject(err)),
);

/** Container `id` running `script` with auto-remove and an anonymous volume at /data; the volume's name. */
async function createWithVolume(c: TsrundClient, id: string, script: string): Promise<string> {
  await c.createContainer({ id, bundle: t.bundle.dir, overrides: { args: ['sh', '-c', script], autoRemove: true, volumes: [anonymous] } });
  const [volume] = (await c.getContainer(id)).overrides!.volumes.map((v) => v.source);
  expect((await c.getVolume(volume)).anonymous).toBe(true);
  return volume;
}

test('the task exits: its delete, then the container and its anonymous volume go, in that order of events', async () => {
  await t.daemon.start();
  const c = t.daemon.client;
  const id = 'pf-ar-exit';
  const volume = await createWithVolume(c, id, 'echo x > /data/f; exit 4');
  const events = collectUntil(c.subscribe({ ids: [id] }), (e) => e.type === 'container-delete');
  await new Promise((r) => setTimeout(r, 100));
  await c.createTask(id);
  const exited = c.wait(id);
  await c.startTask(id);
  expect((await exited).exitStatus).toBe(4);
  expect((await events).map((e) => [e.type, e.exitStatus])).toEqual([
    ['create', 0],
    ['start', 0],
    ['exit', 4],
    ['delete', 4],
    ['container-delete', 0],
  ]);
  expect(await exists(c, id)).toBe(false);
  expect(await c.listTasks()).toEqual([]);
  expect(await failure(c.getVolume(volume))).toMatchObject({ code: 5 });
});

test('an exit while tsrund was down (SIGKILL): removed when tsrund starts again', async () => {
  await t.daemon.start();
  let c = t.daemon.client;
  const id = 'pf-ar-down';
  const volume = await createWithVolume(c, id, 'sleep 1');
  const { pid } = await c.createTask(id);
  await c.startTask(id);
  expect((await t.daemon.signal('SIGKILL')).signal).toBe('SIGKILL');
  await until(() => !alive(pid), 10_000);
  await t.daemon.start();
  c = t.daemon.reconnect();
  await until(() => exists(c, id).then((e) => !e), 10_000);
  expect(await c.listTasks()).toEqual([]);
  expect(await failure(c.getVolume(volume))).toMatchObject({ code: 5 });
  expect(t.daemon.stderr).toContain(`container ${id}: removed once its task exited (auto-remove)`);
});

test('refused with a restart policy other than no, naming the field; nothing made', async () => {
  await t.daemon.start();
  const c = t.daemon.client;
  for (const name of ['always', 'unless-stopped', 'on-failure']) {
    expect(await failure(c.createContainer({ id: 'pf-ar-bad', bundle: t.bundle.dir, overrides: { autoRemove: true, restartPolicy: { name, maxRetries: 0 } } }))).toMatchObject({
      code: 3,
      details: `overrides.auto_remove: does not go with restart policy ${name}: a container removed when it exits is not restarted`,
    });
  }
  expect(await c.listContainers()).toEqual([]);
  expect(await c.listVolumes()).toEqual([]);
  await c.createContainer({ id: 'pf-ar-no', bundle: t.bundle.dir, overrides: { autoRemove: true, restartPolicy: { name: 'no', maxRetries: 0 } } });
  expect((await c.getContainer('pf-ar-no')).overrides).toMatchObject({ autoRemove: true });
});

test('left alone: a container never started, one whose task a client deleted first; stop removes one', async () => {
  await t.daemon.start();
  const c = t.daemon.client;
  await c.createContainer({ id: 'pf-ar-idle', bundle: t.bundle.dir, overrides: { autoRemove: true } });
  await c.createContainer({ id: 'pf-ar-client', bundle: t.bundle.dir, overrides: { args: ['sleep', '30'], autoRemove: true } });
  await c.createTask('pf-ar-client');
  await c.startTask('pf-ar-client');
  // `tsctl rm -f` deletes the task, then the container: tsrund must not take the container in between.
  await c.deleteTask('pf-ar-client', { force: true });
  await new Promise((r) => setTimeout(r, 500));
  expect(await exists(c, 'pf-ar-client')).toBe(true);
  await c.deleteContainer('pf-ar-client');

  await c.createTask('pf-ar-idle');
  await c.startTask('pf-ar-idle');
  // It runs `true`: gone once it exited.
  await until(() => exists(c, 'pf-ar-idle').then((e) => !e));

  await c.createContainer({ id: 'pf-ar-stop', bundle: t.bundle.dir, overrides: { args: ['sleep', '30'], autoRemove: true } });
  await c.createTask('pf-ar-stop');
  await c.startTask('pf-ar-stop');
  // sleep as pid 1 ignores SIGTERM: SIGKILL at once.
  expect((await c.stopTask('pf-ar-stop', { timeoutSeconds: 0 })).exitStatus).toBe(137);
  await until(() => exists(c, 'pf-ar-stop').then((e) => !e));
  expect(await c.listContainers()).toEqual([]);
});

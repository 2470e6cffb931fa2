/**
 * Events across tsrund restarts, with a real tsrund, real containers under real monitors: every
 * event carries its sequence, Subscribe resumes after one (replay, then live, nothing missing or
 * twice at the hand-over), retention overflow is a clear OUT_OF_RANGE, a torn journal record
 * after kill -9 is survived, and — the class — seeded schedules of kill -9s, restarts and client
 * reconnects while containers run and exit, after which a resuming subscriber has seen every exit
 * exactly once, in sequence order.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { GrpcStatus, TsrundClient, type ResponseStream } from '../../supervisor/client/client';
import type { Event } from '../../supervisor/api/types';
import { seededRandom } from '../helpers/seeded-random';
import type { Bundle } from '../helpers/bundle';
import { TSCTL, TestDaemon, failure } from './daemon';
import { useDaemonPerTest } from './fixtures';
import { cgroupManagerFor, detectCgroupHost } from '../../runtime/cgroups';

jest.setTimeout(300_000);

const fixture = useDaemonPerTest();
let daemon: TestDaemon;
let b: Bundle;
beforeEach(() => ({ daemon, bundle: b } = fixture));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Collect a stream's events until `last` accepts one (included); resolves with them all. */
async function collectUntil(stream: ResponseStream<Event>, last: (e: Event) => boolean, into: Event[] = []): Promise<Event[]> {
  for await (const e of stream) {
    into.push(e);
    if (last(e)) {
      stream.cancel();
      break;
    }
  }
  return into;
}

/** Make two events (container-create, container-delete) with container `id`. */
async function touch(c: TsrundClient, id: string): Promise<void> {
  await c.createContainer({ id, bundle: b.dir });
  await c.deleteContainer(id);
}

/** Start tsrund (with `args`) and make two events with each of `ids`; resolves with the events a subscriber got. */
async function startAndTouch(ids: string[], args: string[] = []): Promise<Event[]> {
  await daemon.start(args);
  const seen = collectUntil(daemon.client.subscribe({}), isDeleteOf(ids[ids.length - 1]));
  await sleep(100);
  for (const id of ids) await touch(daemon.client, id);
  return seen;
}

const isDeleteOf = (id: string) => (e: Event) => e.type === 'container-delete' && e.id === id;
const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
const sequences = (events: Event[]) => events.map((e) => e.sequence);

/** Every sequence one more than the one before. */
function expectContiguous(events: Event[]): void {
  expect(sequences(events)).toEqual(range(events[0].sequence, events[0].sequence + events.length - 1));
}

test('every event carries a sequence; after_sequence replays the retained events after it, then the live ones', async () => {
  const events = await startAndTouch(range(0, 4).map((i) => `seq-${i}`));
  const c = daemon.client;
  expect(events.map((e) => `${e.type} ${e.id}`)).toEqual(
    range(0, 4).flatMap((i) => [`container-create seq-${i}`, `container-delete seq-${i}`]),
  );
  expectContiguous(events);
  expect(events[0].sequence).toBeGreaterThan(0);

  const resumed = c.subscribe({ afterSequence: events[3].sequence });
  const more = collectUntil(resumed, isDeleteOf('seq-live'));
  await touch(c, 'seq-live');
  const got = await more;
  expect(got.map((e) => `${e.type} ${e.id}`)).toEqual([
    ...events.slice(4).map((e) => `${e.type} ${e.id}`),
    'container-create seq-live',
    'container-delete seq-live',
  ]);
  expectContiguous(got);
  // The filters apply to the replay as well.
  const filtered = await collectUntil(
    c.subscribe({ afterSequence: events[0].sequence, types: ['container-delete'], ids: ['seq-2', 'seq-live'] }),
    isDeleteOf('seq-live'),
  );
  expect(filtered.map((e) => e.id)).toEqual(['seq-2', 'seq-live']);
});

test('seeded: subscriptions opened at random moments while events are published get exactly the events after their sequence', async () => {
  await daemon.start();
  const c = daemon.client;
  const first = c.subscribe({});
  const firstEvents = collectUntil(first, isDeleteOf('hand-end'));
  await sleep(100);
  await touch(c, 'hand-start');
  const random = seededRandom(7);
  const subscriptions: { after: number; events: Promise<Event[]> }[] = [];
  const seen: Event[] = [];
  const watcher = c.subscribe({});
  const watching = collectUntil(watcher, isDeleteOf('hand-end'), seen);
  await sleep(100);
  // A publisher making events back to back, and subscribers joining in between, after a sequence seen so far.
  const publishing = (async () => {
    for (let i = 0; i < 40; i++) await touch(c, `hand-${i}`);
  })();
  for (let i = 0; i < 15; i++) {
    await sleep(random() * 100);
    const known = seen.length > 0 ? seen[Math.floor(random() * seen.length)].sequence : 0;
    if (known === 0) continue;
    subscriptions.push({ after: known, events: collectUntil(c.subscribe({ afterSequence: known }), isDeleteOf('hand-end')) });
  }
  await publishing;
  await touch(c, 'hand-end');
  await watching;
  const end = (await firstEvents).pop()!.sequence;
  expect(subscriptions.length).toBeGreaterThan(5);
  for (const s of subscriptions) expect(sequences(await s.events)).toEqual(range(s.after + 1, end));
});

test('retention: a sequence the journal dropped, or one beyond the newest, is OUT_OF_RANGE naming what is available', async () => {
  const seen = await startAndTouch(
    range(0, 14).map((i) => `ret-${i}`),
    ['--event-retention', '8'],
  );
  const c = daemon.client;
  const newest = seen[seen.length - 1].sequence;

  const old = await failure(collectUntil(c.subscribe({ afterSequence: seen[0].sequence }), () => true));
  expect(old?.code).toBe(GrpcStatus.OUT_OF_RANGE);
  const oldest = Number(/the oldest available is (\d+)/.exec(old!.details)?.[1]);
  expect(old!.details).toMatch(
    new RegExp(`^after_sequence ${seen[0].sequence}: events ${seen[0].sequence + 1}\\.\\.${oldest - 1} are no longer retained`),
  );
  // At least the newest 8 kept, at most a segment (1) more.
  expect(newest - oldest + 1).toBeGreaterThanOrEqual(8);
  expect(newest - oldest + 1).toBeLessThanOrEqual(9);

  const replay = c.subscribe({ afterSequence: oldest - 1 });
  const replayed = collectUntil(replay, isDeleteOf('ret-after'));
  await touch(c, 'ret-after');
  expect(sequences(await replayed)).toEqual(range(oldest, newest + 2));

  const future = await failure(collectUntil(c.subscribe({ afterSequence: newest + 100 }), () => true));
  expect(future?.code).toBe(GrpcStatus.OUT_OF_RANGE);
  expect(future?.details).toMatch(/^after_sequence \d+: beyond the newest event, \d+ /);

  const dir = path.join(daemon.root, 'events');
  expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
  const files = fs.readdirSync(dir);
  expect(files.length).toBeLessThanOrEqual(9);
  for (const f of files) expect(fs.statSync(path.join(dir, f)).mode & 0o777).toBe(0o600);
});

test('an exit while tsrund is down is published once at start-up; a subscriber resuming from its last sequence gets it', async () => {
  await daemon.start();
  let c = daemon.client;
  const before = collectUntil(c.subscribe({}), (e) => e.type === 'start' && e.id === 'down-1');
  await sleep(100);
  await c.createContainer({ id: 'down-1', bundle: b.dir, overrides: { args: ['sh', '-c', 'sleep 1; exit 3'] } });
  await c.createTask('down-1');
  await c.startTask('down-1');
  const last = (await before).pop()!.sequence;
  expect((await daemon.signal('SIGKILL')).signal).toBe('SIGKILL');
  await sleep(1500);
  await daemon.start();
  c = daemon.reconnect();
  const after = await collectUntil(c.subscribe({ afterSequence: last }), (e) => e.type === 'exit');
  expect(after).toEqual([expect.objectContaining({ sequence: last + 1, type: 'exit', id: 'down-1', exitStatus: 3 })]);

  // Killed between journaling the exit and recording it in the task (its record says no exit yet):
  // the next tsrund finds the exit in the journal and does not publish it again.
  expect((await daemon.signal('SIGKILL')).signal).toBe('SIGKILL');
  const recordFile = path.join(daemon.state, 'tasks', 'down-1', 'task.json');
  const record = JSON.parse(fs.readFileSync(recordFile, 'utf8'));
  expect(record.exit).toMatchObject({ exitStatus: 3 });
  fs.writeFileSync(recordFile, JSON.stringify({ ...record, exit: null }));
  await daemon.start();
  c = daemon.reconnect();
  const replay = c.subscribe({ afterSequence: last });
  const again = collectUntil(replay, isDeleteOf('down-marker'));
  await touch(c, 'down-marker');
  expect((await again).map((e) => `${e.type} ${e.id}`)).toEqual([
    'exit down-1',
    'container-create down-marker',
    'container-delete down-marker',
  ]);
  expect(await c.getTask('down-1')).toMatchObject({ status: 'STOPPED', exitStatus: 3 });
});

test('a torn last journal record (tsrund killed in mid-write) is dropped: tsrund starts, sequences go on from the last whole record', async () => {
  const last = (await startAndTouch(['torn-0', 'torn-1'])).pop()!.sequence;
  expect((await daemon.signal('SIGKILL')).signal).toBe('SIGKILL');
  const dir = path.join(daemon.root, 'events');
  const newest = fs.readdirSync(dir).sort().pop()!;
  fs.appendFileSync(path.join(dir, newest), `01234567 {"sequence":${last + 1},"timestamp":{"sec`);
  await daemon.start();
  expect(daemon.stderr).toMatch(/warn event journal: dropped \d+ bytes of a torn record at the end of /);
  const c = daemon.reconnect();
  const resumed = collectUntil(c.subscribe({ afterSequence: last - 1 }), isDeleteOf('torn-2'));
  await touch(c, 'torn-2');
  expect((await resumed).map((e) => `${e.sequence} ${e.type} ${e.id}`)).toEqual([
    `${last} container-delete torn-1`,
    `${last + 1} container-create torn-2`,
    `${last + 2} container-delete torn-2`,
  ]);
});

test('tsctl events --since-seq N --json prints the retained events after N, with their sequences, then the new ones', async () => {
  const events = await startAndTouch(['cli-0', 'cli-1']);
  const c = daemon.client;
  const tsctl = spawn(TSCTL, ['--address', daemon.address, 'events', '--json', '--since-seq', String(events[1].sequence)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  tsctl.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  tsctl.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => tsctl.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 30_000;
  while (stdout.split('\n').length < 3 && Date.now() < deadline) await sleep(50);
  await touch(c, 'cli-2');
  while (stdout.split('\n').length < 5 && Date.now() < deadline) await sleep(50);
  tsctl.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(stderr).toBe('');
  const lines = stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  expect(lines.map((l) => `${l.sequence} ${l.type} ${l.id}`)).toEqual([
    `${events[2].sequence} container-create cli-1`,
    `${events[3].sequence} container-delete cli-1`,
    `${events[3].sequence + 1} container-create cli-2`,
    `${events[3].sequence + 2} container-delete cli-2`,
  ]);

  // Without --json: the sequence after the time.
  const human = spawn(TSCTL, ['--address', daemon.address, 'events', '--since-seq', String(events[2].sequence)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let text = '';
  human.stdout.on('data', (d: Buffer) => (text += d.toString()));
  const humanExited = new Promise((resolve) => human.on('exit', resolve));
  while (!text.includes('\n') && Date.now() < deadline) await sleep(50);
  human.kill('SIGTERM');
  expect(await humanExited).toBe(0);
  expect(text).toMatch(new RegExp(`^\\S+ #${events[3].sequence} container-delete cli-1\n`));

  const bad = spawnSync(TSCTL, ['--address', daemon.address, 'events', '--since-seq', '-3'], { encoding: 'utf8', timeout: 30_000 });
  expect([bad.status, bad.stderr]).toEqual([
    1,
    'tsctl: events: --since-seq -3: give a sequence tsrund printed, or 0 for new events only\n',
  ]);
  const down = spawnSync(TSCTL, ['--address', path.join(daemon.dir, 'none.sock'), 'events'], { encoding: 'utf8', timeout: 30_000 });
  expect(down.status).toBe(1);
  expect(down.stderr).toMatch(/^tsctl: no tsrund serves .*none.sock \(no such socket\): start tsrund, or point --address at its socket\n$/);
});

interface Schedule {
  seed: number;
  containers: number;
  /** Restarts of tsrund (kill -9, or with someStops sometimes SIGTERM) while containers are being started. */
  kills: number;
  /** Whether the subscriber also drops its own connection now and then (and resumes on a new client). */
  clientReconnects: boolean;
  /** Whether some of the restarts are orderly (SIGTERM ends the streams instead of breaking them). */
  someStops: boolean;
}

/**
 * Containers `sh -c 'sleep <random>; exit <n>'` started by 8 workers that retry through outages,
 * while tsrund is killed with SIGKILL and restarted on a seeded schedule (and once more after the
 * last start, so that exits happen while it is down); a subscriber resumes after its last sequence
 * across all of it. Every exit must be seen exactly once, with its status, in sequence order.
 */
async function killAndRestartSchedule(s: Schedule): Promise<void> {
  const random = seededRandom(s.seed);
  await daemon.start();
  const ids = Array.from({ length: s.containers }, (_, i) => `chaos-${s.seed}-${i}`);
  const plan = new Map(ids.map((id, i) => [id, { sleep: (random() * 1.5).toFixed(2), code: 1 + (i % 120) }]));

  // The subscriber: subscribeResuming() over its own client; with clientReconnects, it also cancels
  // at random moments and resumes after its last sequence on a new client.
  const seen: Event[] = [];
  let done = false;
  const subscription: { current: ResponseStream<Event> | null } = { current: null };
  const subscriber = (async () => {
    while (!done) {
      const client = new TsrundClient(daemon.address);
      const last = seen.length > 0 ? seen[seen.length - 1].sequence : 0;
      const stream = client.subscribeResuming(last > 0 ? { afterSequence: last } : {});
      subscription.current = stream;
      try {
        for await (const e of stream) {
          seen.push(e);
          if (isDeleteOf('chaos-end')(e)) done = true;
          if (done) break;
        }
      } catch (err) {
        if ((err as { code: number }).code !== GrpcStatus.UNAVAILABLE) throw err; // tsrund down as it (re)subscribed
        await sleep(100);
      } finally {
        client.close();
      }
    }
  })();
  const reconnects = (async () => {
    while (s.clientReconnects && !done) {
      await sleep(200 + random() * 800);
      subscription.current?.cancel();
    }
  })();
  // It has subscribed once it sees this.
  await touch(daemon.client, 'chaos-ready');
  const deadline = Date.now() + 30_000;
  while (!seen.some(isDeleteOf('chaos-ready'))) {
    if (Date.now() > deadline) throw new Error('the subscriber never saw chaos-ready');
    await sleep(20);
  }

  const ensureStarted = async (id: string) => {
    const { sleep: secs, code } = plan.get(id)!;
    const notFound = (err: { code: number }) => (err.code === GrpcStatus.NOT_FOUND ? null : Promise.reject(err));
    for (let attempt = 0; ; attempt++) {
      const c = daemon.client;
      try {
        const task = await c.getTask(id).catch(notFound);
        if (task && task.status !== 'CREATED') return;
        if (!task) {
          const container = await c.getContainer(id).catch(notFound);
          if (!container) await c.createContainer({ id, bundle: b.dir, overrides: { args: ['sh', '-c', `sleep ${secs}; exit ${code}`] } });
          await c.createTask(id);
        }
        await c.startTask(id);
        return;
      } catch (err) {
        if (attempt >= 300) throw new Error(`${id}: cannot start it through the outages: ${(err as Error).message}`);
        await sleep(50);
      }
    }
  };
  const queue = [...ids];
  const workers = Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) await ensureStarted(id);
    }),
  );
  let workersDone = false;
  void workers.then(
    () => (workersDone = true),
    () => (workersDone = true),
  );
  /** [stopped, serving again] of each outage, in ms since the epoch, and how it was stopped. */
  const outages: [number, number, string][] = [];
  const restart = async (downMs: number, how: 'SIGKILL' | 'SIGTERM' = 'SIGKILL') => {
    const killed = Date.now();
    const exit = await daemon.signal(how);
    expect(how === 'SIGKILL' ? exit.signal : exit.code).toBe(how === 'SIGKILL' ? 'SIGKILL' : 0);
    await sleep(downMs);
    daemon.reconnect();
    await daemon.start();
    outages.push([killed, Date.now(), how]);
  };
  for (let k = 0; k < s.kills && !workersDone; k++) {
    await sleep(200 + random() * 1000);
    await restart(random() * 1000, s.someStops && (k === 1 || random() < 0.3) ? 'SIGTERM' : 'SIGKILL');
  }
  await workers;
  await restart(1600); // every container sleeps at most 1.5 s: the last ones exit while tsrund is down

  const exitsSeen = () => new Set(seen.filter((e) => e.type === 'exit').map((e) => e.id));
  const exitDeadline = Date.now() + 60_000;
  while (ids.some((id) => !exitsSeen().has(id))) {
    if (Date.now() > exitDeadline) throw new Error(`no exit seen for ${ids.filter((id) => !exitsSeen().has(id)).join(' ')}`);
    await sleep(100);
  }
  await touch(daemon.client, 'chaos-end');
  await subscriber;
  done = true;
  await reconnects;

  // In sequence order, none missing (the subscriber takes every type), none twice.
  expectContiguous(seen);
  const exits = seen.filter((e) => e.type === 'exit');
  expect(exits.map((e) => e.id).sort()).toEqual([...ids].sort());
  for (const e of exits) expect({ id: e.id, status: e.exitStatus }).toEqual({ id: e.id, status: plan.get(e.id)!.code });
  const publishedAtStart = exits.filter((e) => {
    const t = e.timestamp!.seconds * 1000 + e.timestamp!.nanos / 1e6;
    return outages.some(([from, to]) => t >= from && t <= to);
  }).length;
  console.log(
    `schedule ${s.seed}: ${outages.length} restarts (${outages.filter((o) => o[2] === 'SIGTERM').length} after SIGTERM), ${seen.length} events, ${exits.length} exits (${publishedAtStart} published at start-up)`,
  );
  const tasks = await daemon.client.listTasks();
  expect(tasks.filter((t) => t.id.startsWith('chaos-')).map((t) => t.status)).toEqual(ids.map(() => 'STOPPED'));

  for (const t of tasks) await daemon.client.deleteTask(t.id);
  for (const k of await daemon.client.listContainers()) await daemon.client.deleteContainer(k.id);
  // A create killed half-way is undone at recovery from the cgroups it recorded before making
  // them: nothing of these containers may be left (removed here so a failure leaves no trace).
  expect(removeEmptyCgroupsOf(ids)).toEqual([]);
}

/** These ids are this test's own: remove their default cgroups (tsrund-<id>) where they exist and hold no process; returns them. */
function removeEmptyCgroupsOf(ids: string[]): string[] {
  const host = detectCgroupHost();
  const removed: string[] = [];
  for (const id of ids) {
    for (const { dir } of cgroupManagerFor(host, id, `tsrund-${id}`).toJSON().hierarchies) {
      if (!fs.existsSync(dir) || fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').trim() !== '') continue;
      fs.rmdirSync(dir);
      removed.push(dir);
    }
  }
  return removed;
}

test('tsrund killed with SIGKILL and restarted over and over while 200 containers run: a resuming subscriber sees every exit exactly once, in order', async () => {
  await killAndRestartSchedule({ seed: 1, containers: 200, kills: 6, clientReconnects: false, someStops: false });
});

test.each([2, 3])('seeded schedule %i of kills, stops, restarts and client reconnects: every exit exactly once, in order', async (seed) => {
  await killAndRestartSchedule({ seed, containers: 60, kills: 4, clientReconnects: true, someStops: true });
});

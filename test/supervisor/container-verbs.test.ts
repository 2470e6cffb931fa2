/**
 * tsctl's container verbs through a real tsrund (the test busybox image): diff lists what a
 * command changed in the writable layer (A/C/D, whiteouts and opaque directories), logs --tail
 * and --since narrow the output, create makes a container without a task, wait prints exit
 * statuses, kill and inspect take several ids, inspect is docker-shaped; hostile arguments are
 * refused in one line. Container ids carry this process's pid: tsrund names cgroups after them.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { lsetxattr, mknod } from '../../runtime/native';
import { GrpcStatus } from '../../supervisor/client/client';
import { layerChanges } from '../../supervisor/snapshots/changes';
import { parseSince } from '../../supervisor/tsctl/container-commands';
import { makeBundle } from '../helpers/bundle';
import { buildBusyboxArchive } from '../helpers/oci-image';
import { failure, runTaskToEnd, TestDaemon, TSCTL, until } from './daemon';

jest.setTimeout(120_000);

const daemon = new TestDaemon();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-verbs-'));
const c = () => daemon.client;
const IMAGE = 'localhost/tsrun-test/verbs-busybox:1';
const P = `vb-${process.pid}`;

beforeAll(async () => {
  await daemon.start();
  await c().importImages(buildBusyboxArchive(work, IMAGE).file);
});
afterAll(async () => {
  await daemon.cleanup();
  fs.rmSync(work, { recursive: true, force: true });
});

const tsctl = (args: string[]) =>
  spawnSync(TSCTL, ['--address', daemon.address, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });

async function create(id: string, script: string): Promise<void> {
  await c().createContainer({
    id,
    image: IMAGE,
    overrides: { args: ['sh', '-c', script] },
  });
}

test('diff lists what a command added, changed and deleted in the writable layer, as docker diff prints it', async () => {
  const id = `${P}-diff`;
  await create(
    id,
    'mkdir /added && echo a > /added/file && echo more >> /etc/passwd && rm /etc/group && rm /bin/ls && rm -r /var && mkdir /var && touch /var/new',
  );
  expect(await c().diffContainer(id)).toEqual([]);
  expect(await runTaskToEnd(c(), id)).toEqual({ status: 0, out: '' });
  const changes = await c().diffContainer(id);
  expect(changes).toEqual(
    expect.arrayContaining([
      { kind: 'A', path: '/added' },
      { kind: 'A', path: '/added/file' },
      { kind: 'C', path: '/etc' },
      { kind: 'C', path: '/etc/passwd' },
      { kind: 'D', path: '/etc/group' },
      { kind: 'C', path: '/bin' },
      { kind: 'D', path: '/bin/ls' },
      { kind: 'C', path: '/var' },
      { kind: 'A', path: '/var/new' },
    ]),
  );
  expect(changes.map((ch) => ch.path)).toEqual([...changes.map((ch) => ch.path)].sort());
  expect(changes.find((ch) => ch.path === '/bin/sh')).toBeUndefined();
  const r = tsctl(['diff', id]);
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^A \/added\nA \/added\/file\n/m);
  expect(r.stdout).toContain('D /etc/group\n');
  await c().deleteContainer(id);
});

test('the changes of an upper directory: whiteouts as D, an opaque directory hides what was beneath, nothing followed through a symlink', () => {
  const lower = path.join(work, 'lower');
  const upper = path.join(work, 'upper');
  fs.mkdirSync(path.join(lower, 'd/sub'), { recursive: true });
  fs.writeFileSync(path.join(lower, 'd/old'), '');
  fs.writeFileSync(path.join(lower, 'd/sub/deep'), '');
  fs.writeFileSync(path.join(lower, 'kept'), '');
  fs.mkdirSync(path.join(upper, 'd'), { recursive: true });
  fs.writeFileSync(path.join(upper, 'd/old'), 'replaced');
  // An opaque directory (the trusted namespace: root, as tsrund is) and a whiteout, as overlayfs makes them.
  fs.mkdirSync(path.join(upper, 'd/sub'));
  lsetxattr(path.join(upper, 'd/sub'), 'trusted.overlay.opaque', Buffer.from('y'));
  fs.symlinkSync('/etc', path.join(upper, 'out'));
  mknod(path.join(upper, 'kept'), fs.constants.S_IFCHR, 0, 0);
  expect(layerChanges(upper, [lower])).toEqual([
    { kind: 'C', path: '/d' },
    { kind: 'C', path: '/d/old' },
    { kind: 'C', path: '/d/sub' },
    { kind: 'D', path: '/d/sub/deep' },
    { kind: 'D', path: '/kept' },
    { kind: 'A', path: '/out' },
  ]);
});

test('logs --tail N and --since narrow the output; -t prefixes the time', async () => {
  const id = `${P}-logs`;
  await create(id, 'for i in 1 2 3 4 5; do echo line$i; done');
  await runTaskToEnd(c(), id);
  expect(tsctl(['logs', '--tail', '2', id]).stdout).toBe('line4\nline5\n');
  expect(tsctl(['logs', '-n', '0', id]).stdout).toBe('');
  expect(tsctl(['logs', '--since', '10m', id]).stdout).toBe('line1\nline2\nline3\nline4\nline5\n');
  expect(tsctl(['logs', '--since', new Date(Date.now() + 60_000).toISOString(), id]).stdout).toBe('');
  expect(tsctl(['logs', '-t', '--tail', '1', id]).stdout).toMatch(/^\d{4}-\d\d-\d\dT\S+Z line5\n$/);
  const bad = tsctl(['logs', '--since', 'yesterday', id]);
  expect([bad.status, bad.stderr]).toEqual([
    1,
    'tsctl: --since "yesterday": give RFC 3339 time, Unix seconds or a duration such as 10m or 1h30m\n',
  ]);
  expect(tsctl(['logs', '--tail', '-3', id]).stderr).toBe('tsctl: --tail "-3": give a number of lines or "all"\n');
  await c().deleteContainer(id);
});

test('create makes the container only; wait prints exit statuses; inspect is docker-shaped; kill takes several ids', async () => {
  const [a, b] = [`${P}-wa`, `${P}-wb`];
  const created = tsctl(['create', '--name', a, IMAGE, 'sh', '-c', 'exit 3']);
  expect([created.status, created.stdout, created.stderr]).toEqual([0, `${a}\n`, '']);
  expect(await failure(c().getTask(a))).toMatchObject({
    code: GrpcStatus.NOT_FOUND,
  });
  const [before] = JSON.parse(tsctl(['inspect', a]).stdout);
  expect(before).toMatchObject({
    Id: a,
    Name: `/${a}`,
    Path: 'sh',
    Args: ['-c', 'exit 3'],
    Image: IMAGE,
    RestartCount: 0,
  });
  expect(before.State).toMatchObject({
    Status: 'created',
    Running: false,
    Pid: 0,
    ExitCode: 0,
  });
  expect(before.Config).toMatchObject({
    Cmd: ['sh', '-c', 'exit 3'],
    WorkingDir: '/',
    Image: IMAGE,
    User: '0:0',
  });
  await create(b, 'sleep 600');
  for (const id of [a, b]) {
    await c().createTask(id);
    await c().startTask(id);
  }
  const [running] = JSON.parse(tsctl(['inspect', b]).stdout);
  expect(running.State).toMatchObject({ Status: 'running', Running: true });
  expect(running.State.Pid).toBeGreaterThan(0);
  await until(async () => (await c().getTask(a)).status === 'STOPPED');
  expect(tsctl(['ls', '-q', '--filter', 'status=running', '--filter', `id=${P}-w`]).stdout).toBe(`${b}\n`);
  expect(tsctl(['ls', '-a', '-q', '--filter', `name=${P}-w`, '--filter', `ancestor=${IMAGE}`]).stdout).toBe(`${b}\n${a}\n`);
  expect(tsctl(['ls', '--filter', 'colour=red']).stderr).toBe('tsctl: --filter "colour=red": expected KEY=VALUE, KEY one of status, exited, label, id, name, ancestor\n');
  expect(tsctl(['kill', '-s', 'KILL', b, `${P}-none`]).stderr).toMatch(new RegExp(`^tsctl: kill ${P}-none: .*\n$`));
  const waited = tsctl(['wait', a, b]);
  expect([waited.status, waited.stdout]).toEqual([0, '3\n137\n']);
  const [exited] = JSON.parse(tsctl(['inspect', a]).stdout);
  expect(exited.State).toMatchObject({
    Status: 'exited',
    Running: false,
    ExitCode: 3,
  });
  expect(exited.State.FinishedAt).toMatch(/^\d{4}-/);
  const missing = tsctl(['wait', `${P}-none`]);
  expect([missing.status, missing.stderr]).toEqual([1, `tsctl: wait ${P}-none: task ${P}-none not found\n`]);
  for (const id of [a, b]) {
    await c().deleteTask(id);
    await c().deleteContainer(id);
  }
});

test("top lists the task's processes with docker top's columns", async () => {
  const id = `${P}-top`;
  await create(id, 'sleep 601 & exec sleep 602');
  await c().createTask(id);
  const init = await c().startTask(id);
  await until(async () => (await c().listPids(id)).length === 2);
  const processes = await c().top(id);
  expect(processes.map((p) => p.command).sort()).toEqual(['sleep 601', 'sleep 602']);
  expect(processes.find((p) => p.command === 'sleep 602')).toMatchObject({
    pid: init,
    uid: 0,
    tty: '',
  });
  const r = tsctl(['top', id]);
  const [header, ...rows] = r.stdout.trimEnd().split('\n');
  expect(header.split(/\s+/)).toEqual(['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD']);
  expect(rows).toContainEqual(
    // C is ps's CPU use over the process's life: a just-started one on a loaded host shows 1 or more.
    expect.stringMatching(new RegExp(`^0\\s+${init}\\s+\\d+\\s+\\d+\\s+\\d\\d:\\d\\d\\s+\\?\\s+00:00:00\\s+sleep 602$`)),
  );
  expect(tsctl(['top', `${P}-none`]).stderr).toBe(`tsctl: task ${P}-none not found\n`);
  await c().deleteTask(id, { force: true });
  await c().deleteContainer(id);
});

test('rename moves the record, the log and the writable layer; refused with a task, onto a taken id, or to a bad id', async () => {
  const [from, to, other] = [`${P}-ren-a`, `${P}-ren-b`, `${P}-ren-c`];
  await create(from, 'test -e /kept && cat /kept || { echo first run; echo here > /kept; }');
  expect(await runTaskToEnd(c(), from)).toEqual({
    status: 0,
    out: 'first run\n',
  });
  await c().createTask(from);
  expect(await failure(c().renameContainer(from, to))).toEqual({
    code: GrpcStatus.FAILED_PRECONDITION,
    details: `container ${from} has a task: delete the task first (a stopped one too), then rename`,
  });
  await c().deleteTask(from);
  await create(other, 'true');
  expect(await failure(c().renameContainer(from, other))).toEqual({
    code: GrpcStatus.ALREADY_EXISTS,
    details: `container ${other} already exists`,
  });
  expect((await failure(c().renameContainer(from, '../etc')))?.code).toBe(GrpcStatus.INVALID_ARGUMENT);
  expect((await failure(c().renameContainer(from, 'a\u0000b')))?.code).toBe(GrpcStatus.INVALID_ARGUMENT);
  const r = tsctl(['rename', from, to]);
  expect([r.status, r.stderr]).toEqual([0, '']);
  expect(await failure(c().getContainer(from))).toEqual({
    code: GrpcStatus.NOT_FOUND,
    details: `container ${from} not found`,
  });
  expect(tsctl(['logs', to]).stdout).toBe('first run\n');
  expect(await c().diffContainer(to)).toContainEqual({
    kind: 'A',
    path: '/kept',
  });
  expect(await runTaskToEnd(c(), to)).toEqual({
    status: 0,
    out: 'first run\nhere\n',
  });
  expect(fs.existsSync(path.join(daemon.root, 'snapshots', 'active', from))).toBe(false);
  await c().deleteContainer(to);
  await c().deleteContainer(other);
});

test('stats --no-stream: one snapshot of docker stats\'s columns, CPU % from two samples', async () => {
  const [busy, idle] = [`${P}-busy`, `${P}-idle`];
  await create(busy, 'while :; do :; done');
  await create(idle, 'sleep 600');
  for (const id of [busy, idle]) {
    await c().createTask(id);
    await c().startTask(id);
  }
  const r = tsctl(['stats', '--no-stream', busy, idle]);
  const [header, ...rows] = r.stdout.trimEnd().split('\n');
  expect(header.split(/\s{2,}/)).toEqual(['CONTAINER ID', 'CPU %', 'MEM USAGE / LIMIT', 'MEM %', 'PIDS']);
  const cells = rows.map((row) => row.split(/\s{2,}/));
  expect(cells.map((x) => x[0])).toEqual([busy, idle]);
  expect(Number(cells[0][1].replace('%', ''))).toBeGreaterThan(50);
  expect(Number(cells[1][1].replace('%', ''))).toBeLessThan(5);
  expect(cells[1][2]).toMatch(/^\S+ \/ \S+$/);
  expect(cells[1][4]).toBe('1');
  expect(tsctl(['stats']).stdout).toContain(busy);
  for (const id of [busy, idle]) {
    await c().deleteTask(id, { force: true });
    await c().deleteContainer(id);
  }
});

test('attach follows the output from now on and ends with the exit status', async () => {
  const id = `${P}-att`;
  await create(id, 'echo before; read x; echo after; exit 4');
  await c().createTask(id, { stdin: true });
  await c().startTask(id);
  await until(async () => tsctl(['logs', id]).stdout === 'before\n');
  const p = spawnSync(TSCTL, ['--address', daemon.address, 'attach', id], {
    input: 'go\n',
    encoding: 'utf8',
    timeout: 30_000,
  });
  expect([p.status, p.stdout]).toEqual([4, 'after\n']);
  await c().deleteTask(id);
  await c().deleteContainer(id);
});

test("diff of a container without a writable layer of tsrund's, and of none, is refused in one line", async () => {
  const bundle = makeBundle(['true']);
  const id = `${P}-bundle`;
  try {
    await c().createContainer({ id, bundle: bundle.dir });
    expect(await failure(c().diffContainer(id))).toEqual({
      code: GrpcStatus.FAILED_PRECONDITION,
      details: `container ${id} was made from a bundle: it has no writable layer of tsrund's to compare`,
    });
    expect(tsctl(['diff', `${P}-none`]).stderr).toBe(`tsctl: container ${P}-none not found\n`);
    expect(tsctl(['diff', '../etc']).status).toBe(1);
    await c().deleteContainer(id);
  } finally {
    bundle.cleanup();
  }
});

test('--since: RFC 3339, Unix seconds and durations', () => {
  const now = Date.parse('2026-12-02T04:00:00Z');
  expect(parseSince('10m', now)).toEqual({
    seconds: now / 1000 - 600,
    nanos: 0,
  });
  expect(parseSince('1h30m', now)).toEqual({
    seconds: now / 1000 - 5400,
    nanos: 0,
  });
  expect(parseSince('1764644400')).toEqual({ seconds: 1764644400, nanos: 0 });
  expect(parseSince('2026-12-02T03:00:00.5Z')).toEqual({
    seconds: now / 1000 - 3600,
    nanos: 500_000_000,
  });
  expect(() => parseSince('')).toThrow(/--since ""/);
  expect(() => parseSince('5 minutes')).toThrow(/--since "5 minutes"/);
});

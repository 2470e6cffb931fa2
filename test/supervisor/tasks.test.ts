/**
 * Tasks through tsrund's API with real containers under real monitors: lifecycle, exit codes,
 * logs, events, pause/resume, pids, stats, the error codes of wrong-state requests, and tsctl.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { GrpcStatus } from '../../supervisor/client/client';
import type { Event } from '../../supervisor/api/types';
import { TSCTL, alive, failure, until } from './daemon';
import { useDaemon } from './fixtures';

jest.setTimeout(60_000);

const { daemon, c, bundle, run, remove } = useDaemon();

test('create, start, wait, delete: exit codes, statuses, events and logs', async () => {
  const events: Event[] = [];
  const stream = c().subscribe({ ids: ['t-life'] });
  const collecting = (async () => {
    for await (const e of stream) {
      events.push(e);
      if (e.type === 'container-delete') stream.cancel();
    }
  })();
  await new Promise((r) => setTimeout(r, 50));

  await c().createContainer({
    id: 't-life',
    bundle: bundle().dir,
    overrides: { args: ['sh', '-c', 'read x; echo out $x; echo err >&2; exit 7'] },
  });
  const created = await c().createTask('t-life', { stdin: true });
  expect(created.pid).toBeGreaterThan(1);
  const task = await c().getTask('t-life');
  expect(task).toMatchObject({ id: 't-life', pid: created.pid, status: 'CREATED', stdin: true });
  expect(alive(task.monitorPid)).toBe(true);

  expect(await c().startTask('t-life')).toBe(created.pid);
  expect((await c().getTask('t-life')).status).toBe('RUNNING');
  expect((await failure(c().startTask('t-life')))?.code).toBe(GrpcStatus.FAILED_PRECONDITION);
  expect((await failure(c().deleteTask('t-life')))?.code).toBe(GrpcStatus.FAILED_PRECONDITION);
  expect((await failure(c().deleteContainer('t-life')))?.code).toBe(GrpcStatus.FAILED_PRECONDITION);
  expect((await failure(c().createTask('t-life')))?.code).toBe(GrpcStatus.FAILED_PRECONDITION);

  await c().writeStdin('t-life', Buffer.from('hello\n'));
  const exit = await c().wait('t-life');
  expect(exit.exitStatus).toBe(7);
  expect(exit.exitedAt!.seconds).toBeGreaterThan(Date.now() / 1000 - 60);
  expect(await c().getTask('t-life')).toMatchObject({ status: 'STOPPED', exitStatus: 7 });
  expect((await failure(c().kill('t-life', 9)))?.code).toBe(GrpcStatus.FAILED_PRECONDITION);

  const logs = [];
  for await (const e of c().logs('t-life')) logs.push(`${e.stream}:${e.text}`);
  expect(logs.sort()).toEqual(['stderr:err', 'stdout:out hello']);

  const deleted = await c().deleteTask('t-life');
  expect(deleted).toMatchObject({ id: 't-life', pid: created.pid, exitStatus: 7 });
  await until(() => !alive(task.monitorPid));
  expect(fs.existsSync(path.join(daemon.state, 'tasks', 't-life'))).toBe(false);
  await c().deleteContainer('t-life');
  await collecting;
  expect(events.map((e) => e.type)).toEqual(['container-create', 'create', 'start', 'exit', 'delete', 'container-delete']);
  expect(events.find((e) => e.type === 'exit')).toMatchObject({ pid: created.pid, exitStatus: 7 });
  expect(events.every((e) => e.timestamp!.seconds > 0)).toBe(true);
});

test('kill: the signal reaches the init; 128+N is its exit status', async () => {
  await run('t-kill', ['sleep', '60']);
  await c().kill('t-kill', 9);
  expect((await c().wait('t-kill')).exitStatus).toBe(137);
  await remove('t-kill');
});

test('pause and resume freeze the task; ListPids and Stats read its cgroups', async () => {
  const pid = await run('t-pause', ['sh', '-c', 'sleep 60 & sleep 60; true']);
  await until(async () => (await c().listPids('t-pause')).length === 3);
  const pids = await c().listPids('t-pause');
  expect(pids).toContain(pid);
  const stats = await c().stats('t-pause');
  expect(stats.pidsCurrent).toBe(3);
  expect(stats.memoryUsageBytes).toBeGreaterThan(0);
  expect(stats.cpuUsageNanoseconds).toBeGreaterThan(0);

  await c().pause('t-pause');
  expect((await c().getTask('t-pause')).status).toBe('PAUSED');
  expect(fs.readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(/State:\s+[SD]/);
  expect((await failure(c().pause('t-pause')))?.code).toBe(GrpcStatus.FAILED_PRECONDITION);
  await c().resume('t-pause');
  expect((await c().getTask('t-pause')).status).toBe('RUNNING');
  expect((await failure(c().resume('t-pause')))?.code).toBe(GrpcStatus.FAILED_PRECONDITION);

  // Force delete of a running task kills every process of it.
  const deleted = await c().deleteTask('t-pause', { force: true });
  expect(deleted.exitStatus).toBe(137);
  for (const p of pids) expect(alive(p)).toBe(false);
  await c().deleteContainer('t-pause');
});

test('kill --all and a forced delete leave alone a host process moved into the cgroup; delete says so until it is moved out', async () => {
  const pid = await run('t-stranger', ['sleep', '60']);
  const record = JSON.parse(fs.readFileSync(path.join(daemon.state, 'tasks', 't-stranger', 'task.json'), 'utf8'));
  const dirs: string[] = record.cgroups.hierarchies.map((h: { dir: string }) => h.dir);
  // A sleep of this test's own, and only it, is moved in, and moved back to where it was.
  const stranger = spawn('sleep', ['60'], { stdio: 'ignore' });
  const origin = record.cgroups.hierarchies.map((h: { mountpoint: string; root: string; version: number; controllers: string[] }) => {
    const line = fs.readFileSync(`/proc/${stranger.pid}/cgroup`, 'utf8').trim().split('\n').find((l) =>
      h.version === 2 ? l.startsWith('0::') : l.split(':')[1].split(',').sort().join() === [...h.controllers].sort().join(),
    )!;
    return path.join(h.mountpoint, path.posix.relative(h.root, line.split(':').slice(2).join(':')));
  });
  try {
    for (const d of dirs) fs.writeFileSync(path.join(d, 'cgroup.procs'), String(stranger.pid));
    await c().kill('t-stranger', 9, { all: true });
    expect((await c().wait('t-stranger')).exitStatus).toBe(137);
    expect(alive(stranger.pid!)).toBe(true);
    const f = await failure(c().deleteTask('t-stranger', { force: true }));
    expect(f?.code).toBe(GrpcStatus.FAILED_PRECONDITION);
    expect(f?.details).toContain(`holds processes the container did not start (pid ${stranger.pid})`);
    expect(alive(stranger.pid!)).toBe(true);
    expect(alive(pid)).toBe(false);
  } finally {
    origin.forEach((d: string) => fs.writeFileSync(path.join(d, 'cgroup.procs'), String(stranger.pid)));
    stranger.kill('SIGKILL');
  }
  await c().deleteTask('t-stranger', { force: true });
  for (const d of dirs) expect(fs.existsSync(d)).toBe(false);
  await c().deleteContainer('t-stranger');
});

test('a config the host cannot run fails Create with FAILED_PRECONDITION and leaves nothing', async () => {
  await c().createContainer({ id: 't-noexec', bundle: bundle().dir, overrides: { args: ['/no/such/binary'] } });
  const f = await failure(c().createTask('t-noexec'));
  expect(f?.code).toBe(GrpcStatus.FAILED_PRECONDITION);
  expect(f?.details).toContain('ENOENT');
  expect(fs.existsSync(path.join(daemon.state, 'tasks', 't-noexec'))).toBe(false);
  expect((await failure(c().getTask('t-noexec')))?.code).toBe(GrpcStatus.NOT_FOUND);
  await c().deleteContainer('t-noexec');
});

test('Stats and Exec of a missing task are NOT_FOUND', async () => {
  expect((await failure(c().stats('t-missing')))?.code).toBe(GrpcStatus.NOT_FOUND);
  expect((await failure(c().exec({ id: 't-missing', execId: 'e1', args: ['true'] })))?.code).toBe(GrpcStatus.NOT_FOUND);
});

describe('tsctl', () => {
  const tsctl = (args: string[]) => spawnSync(TSCTL, ['--address', daemon.address, ...args], { encoding: 'utf8', timeout: 30_000 });

  test('run exits with the container status, prints its output, --rm removes it', () => {
    const b = bundle();
    const r = tsctl(['run', '--rm', '--name', 'tc-run', '--bundle', b.dir, 'sh', '-c', 'echo hello; echo oops >&2; exit 3']);
    expect(r.stdout).toBe('hello\n');
    expect(r.stderr).toBe('oops\n');
    expect(r.status).toBe(3);
    expect(tsctl(['ls', '--json']).stdout).not.toContain('tc-run');
  });

  test('run -d, ps, top, stats, kill, logs, rm', () => {
    const b = bundle();
    const d = tsctl(['run', '-d', '--name', 'tc-d', '--bundle', b.dir, 'sh', '-c', 'echo started; exec sleep 60']);
    expect(d.stdout).toBe('tc-d\n');
    expect(d.status).toBe(0);
    const ls = JSON.parse(tsctl(['ls', '--json']).stdout) as { container: { id: string }; task: { status: string; pid: number } }[];
    const entry = ls.find((e) => e.container.id === 'tc-d')!;
    expect(entry.task.status).toBe('RUNNING');
    expect(tsctl(['ps']).stdout).toMatch(/^tc-d\s+\/\S+\s+"sh -c echo started;…"\s+.+ ago\s+Up .+\s+tc-d$/m);
    expect((JSON.parse(tsctl(['top', '--json', 'tc-d']).stdout) as { pid: number }[]).map((p) => p.pid)).toEqual([entry.task.pid]);
    expect(tsctl(['stats', 'tc-d']).stdout).toMatch(/^tc-d\s+\S+/m);
    expect(tsctl(['kill', '-s', 'KILL', 'tc-d']).status).toBe(0);
    const logs = tsctl(['logs', '-f', 'tc-d']);
    expect(logs.stdout).toBe('started\n');
    expect(tsctl(['ps', '-q']).stdout).not.toMatch(/^tc-d$/m);
    expect(tsctl(['ps', '-a']).stdout).toMatch(/\s+Exited \(137\) .+ ago\s+tc-d$/m);
    expect(tsctl(['rm', 'tc-d']).status).toBe(0);
    const again = tsctl(['rm', 'tc-d']);
    expect(again.status).toBe(1);
    expect(again.stderr).toBe('tsctl: rm tc-d: container tc-d not found\n');
  });

  test('errors are one line and exit 1', () => {
    const r = tsctl(['kill', 'tc-nothing']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('tsctl: kill tc-nothing: task tc-nothing not found\n');
    const down = spawnSync(TSCTL, ['--address', path.join(daemon.dir, 'none.sock'), 'version'], { encoding: 'utf8', timeout: 30_000 });
    expect(down.status).toBe(1);
    expect(down.stderr).toMatch(/^tsctl: no tsrund serves .*none.sock \(no such socket\): start tsrund, or point --address at its socket\n$/);
  });

  test('version', () => {
    const v = JSON.parse(tsctl(['version', '--json']).stdout);
    expect(v.server).toMatchObject({ api: 'tsrun.supervisor.v1' });
  });
});

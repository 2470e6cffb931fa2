/**
 * Tasks.Exec through tsrund's API: a process run in a running task under a monitor of its own,
 * in the container's namespaces and cgroups; its output, exit status, user/cwd/env, stdin,
 * signals, deletion, the error codes of wrong requests, survival of a tsrund restart, and tsctl exec.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { GrpcStatus } from '../../supervisor/client/client';
import { TSCTL, alive, failure } from './daemon';
import { useDaemon } from './fixtures';

jest.setTimeout(60_000);

const { daemon, c, run, remove } = useDaemon();
const runSleeper = (id: string) => run(id, ['sleep', '600']);

async function logLines(id: string, execId: string): Promise<string[]> {
  const lines: string[] = [];
  for await (const e of c().logs(id, { execId })) lines.push(`${e.stream}:${e.text}`);
  return lines;
}

const execDir = (id: string, execId: string) => path.join(daemon.state, 'tasks', id, 'execs', execId);

test('exec: output, exit status, and the container’s pid namespace and cgroups', async () => {
  const initPid = await runSleeper('x-out');
  const pid = await c().exec({ id: 'x-out', execId: 'e1', args: ['sh', '-c', 'cat /proc/1/comm; echo err >&2; sleep 0.3; exit 3'] });
  expect(pid).toBeGreaterThan(1);
  expect(pid).not.toBe(initPid);
  expect(await c().listPids('x-out')).toContain(pid);
  expect((await c().wait('x-out', { execId: 'e1' })).exitStatus).toBe(3);
  // The init is pid 1 of the namespace the exec joined.
  expect((await logLines('x-out', 'e1')).sort()).toEqual(['stderr:err', 'stdout:sleep']);
  expect((await c().getTask('x-out')).status).toBe('RUNNING');

  const deleted = await c().deleteTask('x-out', { execId: 'e1' });
  expect(deleted).toMatchObject({ pid, exitStatus: 3 });
  expect(fs.existsSync(execDir('x-out', 'e1'))).toBe(false);
  expect((await failure(c().wait('x-out', { execId: 'e1' })))?.code).toBe(GrpcStatus.NOT_FOUND);
  expect((await c().getTask('x-out')).status).toBe('RUNNING');
  await remove('x-out');
});

test('exec: user, working directory and environment from the request', async () => {
  await runSleeper('x-user');
  await c().exec({
    id: 'x-user',
    execId: 'who',
    args: ['sh', '-c', 'echo "$(id -u) $(id -g) $(pwd) $FOO"'],
    user: '1234:567',
    cwd: '/proc',
    env: ['FOO=bar baz'],
  });
  expect((await c().wait('x-user', { execId: 'who' })).exitStatus).toBe(0);
  expect(await logLines('x-user', 'who')).toEqual(['stdout:1234 567 /proc bar baz']);
  await remove('x-user');
});

test('exec: stdin through WriteStdin and CloseIO; Kill signals the exec, not the init', async () => {
  await runSleeper('x-in');
  await c().exec({ id: 'x-in', execId: 'cat', args: ['cat'], stdin: true });
  await c().writeStdin('x-in', Buffer.from('hello exec\n'), { execId: 'cat' });
  await c().closeStdin('x-in', { execId: 'cat' });
  expect((await c().wait('x-in', { execId: 'cat' })).exitStatus).toBe(0);
  expect(await logLines('x-in', 'cat')).toEqual(['stdout:hello exec']);

  await c().exec({ id: 'x-in', execId: 'sleeper', args: ['sleep', '600'] });
  expect((await failure(c().deleteTask('x-in', { execId: 'sleeper' })))?.code).toBe(GrpcStatus.FAILED_PRECONDITION);
  await c().kill('x-in', 9, { execId: 'sleeper' });
  expect((await c().wait('x-in', { execId: 'sleeper' })).exitStatus).toBe(137);
  expect((await c().getTask('x-in')).status).toBe('RUNNING');
  await remove('x-in');
});

test('exec: wrong requests get clear errors and leave nothing behind', async () => {
  await runSleeper('x-bad');
  await c().exec({ id: 'x-bad', execId: 'dup', args: ['sleep', '600'] });
  const dup = await failure(c().exec({ id: 'x-bad', execId: 'dup', args: ['true'] }));
  expect(dup?.code).toBe(GrpcStatus.ALREADY_EXISTS);

  const missing = await failure(c().exec({ id: 'x-bad', execId: 'nobin', args: ['/no/such/binary'] }));
  expect(missing?.code).toBe(GrpcStatus.FAILED_PRECONDITION);
  expect(missing?.details).toMatch(/\/no\/such\/binary/);
  expect(fs.existsSync(execDir('x-bad', 'nobin'))).toBe(false);

  expect((await failure(c().exec({ id: 'x-bad', execId: '../x', args: ['true'] })))?.code).toBe(GrpcStatus.INVALID_ARGUMENT);
  expect((await failure(c().exec({ id: 'x-bad', execId: 'noargs', args: [] })))?.details).toMatch(/^args: /);
  expect((await failure(c().exec({ id: 'x-bad', execId: 'relcwd', args: ['true'], cwd: 'tmp' })))?.details).toMatch(/cwd/);
  expect((await failure(c().exec({ id: 'x-bad', execId: 'baduser', args: ['true'], user: 'root' })))?.code).toBe(GrpcStatus.INVALID_ARGUMENT);
  expect((await failure(c().exec({ id: 'nope', execId: 'e', args: ['true'] })))?.code).toBe(GrpcStatus.NOT_FOUND);
  expect((await failure(c().wait('x-bad', { execId: 'never' })))?.code).toBe(GrpcStatus.NOT_FOUND);

  // Deleting the task takes its running exec (and that exec's monitor) along.
  const execMonitor = Number(JSON.parse(fs.readFileSync(path.join(execDir('x-bad', 'dup'), 'monitor.json'), 'utf8')).monitorPid);
  expect(alive(execMonitor)).toBe(true);
  await c().deleteTask('x-bad', { force: true });
  for (let i = 0; i < 100 && alive(execMonitor); i++) await new Promise((r) => setTimeout(r, 20));
  expect(alive(execMonitor)).toBe(false);
  await c().deleteContainer('x-bad');
});

test('exec into a stopped task is FAILED_PRECONDITION', async () => {
  await run('x-stopped', ['true']);
  await c().wait('x-stopped');
  const r = await failure(c().exec({ id: 'x-stopped', execId: 'late', args: ['true'] }));
  expect(r?.code).toBe(GrpcStatus.FAILED_PRECONDITION);
  expect(r?.details).toMatch(/stopped/);
  await remove('x-stopped');
});

test('an exec outlives a tsrund restart; its exit is reported after it', async () => {
  await runSleeper('x-restart');
  await c().exec({ id: 'x-restart', execId: 'slow', args: ['sh', '-c', 'sleep 1; echo done; exit 5'] });
  await daemon.signal('SIGTERM');
  await daemon.start();
  const client = daemon.reconnect();
  expect((await client.wait('x-restart', { execId: 'slow' })).exitStatus).toBe(5);
  expect(await logLines('x-restart', 'slow')).toEqual(['stdout:done']);
  await remove('x-restart');
});

test('tsctl exec prints the output and exits with the status; the exec is removed', async () => {
  await runSleeper('x-ctl');
  const r = spawnSync(TSCTL, ['--address', daemon.address, 'exec', '--exec-id', 'ctl', '-e', 'A=1', 'x-ctl', 'sh', '-c', 'echo a=$A; exit 4'], {
    encoding: 'utf8',
  });
  expect(r.stderr).toBe('');
  expect(r.stdout).toBe('a=1\n');
  expect(r.status).toBe(4);
  expect((await failure(c().wait('x-ctl', { execId: 'ctl' })))?.code).toBe(GrpcStatus.NOT_FOUND);
  await remove('x-ctl');
});

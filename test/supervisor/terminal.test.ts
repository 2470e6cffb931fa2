/**
 * Tasks and execs with a terminal: the monitor holds the pty master (the plan's console step
 * sends it), logs what it reads as stdout, writes stdin to it and sizes it (ResizePty, seen with
 * `stty size` inside); tsctl run -t / exec -t from a real terminal.
 */
import * as fs from 'fs';
import { GrpcStatus } from '../../supervisor/client/client';
import { missingCommands, runInTerminal } from '../helpers/daemons';
import { TSCTL, failure } from './daemon';
import { useDaemon } from './fixtures';

jest.setTimeout(60_000);

const { daemon, c, bundle, run: runTask, remove } = useDaemon();
const sleeperDir = () => bundle(['sleep', '600']).dir;
const runSleeper = (id: string) => runTask(id, ['sleep', '600']);

async function output(id: string, execId = ''): Promise<string> {
  let text = '';
  for await (const e of c().logs(id, { execId })) text += e.partial ? e.text : `${e.text}\n`;
  return text;
}

test('a task with a terminal: output through the log, input through stdin, resize seen by stty', async () => {
  const script = 'tty; [ -t 0 ] && [ -t 1 ] && echo both-tty; read line; echo "got $line"; stty size';
  await c().createContainer({ id: 'tty-task', bundle: sleeperDir(), overrides: { args: ['sh', '-c', script], terminal: true } });
  await c().createTask('tty-task', { stdin: true });
  expect((await c().getTask('tty-task')).terminal).toBe(true);
  await c().startTask('tty-task');
  await c().resizePty('tty-task', 123, 45);
  await c().writeStdin('tty-task', Buffer.from('hi\n'));
  expect((await c().wait('tty-task')).exitStatus).toBe(0);
  const lines = (await output('tty-task')).split('\n').map((l) => l.replace(/\r$/, ''));
  expect(lines[0]).toMatch(/^\/dev\/pts\/\d+$/);
  // The terminal echoes the input, as a terminal does.
  expect(lines.slice(1, 5)).toEqual(['both-tty', 'hi', 'got hi', '45 123']);
  await remove('tty-task');
});

test('an exec with a terminal is sized by ResizePty with its exec id', async () => {
  await runSleeper('tty-exec');
  await c().exec({ id: 'tty-exec', execId: 'sh', args: ['sh', '-c', 'read x; stty size'], terminal: true, stdin: true });
  await c().resizePty('tty-exec', 80, 24, { execId: 'sh' });
  await c().writeStdin('tty-exec', Buffer.from('\n'), { execId: 'sh' });
  expect((await c().wait('tty-exec', { execId: 'sh' })).exitStatus).toBe(0);
  expect((await output('tty-exec', 'sh')).replace(/\r/g, '')).toBe('\n24 80\n');
  await remove('tty-exec');
});

test('ResizePty of a process without a terminal is FAILED_PRECONDITION', async () => {
  await c().createContainer({ id: 'tty-none', bundle: sleeperDir() });
  await c().createTask('tty-none');
  const r = await failure(c().resizePty('tty-none', 80, 24));
  expect(r?.code).toBe(GrpcStatus.FAILED_PRECONDITION);
  expect(r?.details).toMatch(/no terminal/);
  await remove('tty-none');
});

/** `argv` with a terminal of 100x30 as its stdio (script's own pty, sized first). */
const inSizedTerminal = (argv: string[]) => runInTerminal(['sh', '-c', 'stty cols 100 rows 30; exec "$@"', 'sh', ...argv], 30_000);

const missing = missingCommands(['script']);
(missing.length ? test.skip : test)('tsctl run -t and exec -t from a terminal: the process sees a tty of the caller’s size', async () => {
  const run = inSizedTerminal([TSCTL, '--address', daemon.address, 'run', '--rm', '-t', '--name', 'tty-ctl', '--bundle', sleeperDir(), 'sh', '-c', 'stty size; tty; exit 6']);
  const lines = run.stdout.replace(/\r/g, '').split('\n');
  expect(lines.slice(0, 2)).toEqual(['30 100', expect.stringMatching(/^\/dev\/pts\/\d+$/)]);
  expect(run.code).toBe(6);
  expect(fs.existsSync(`${daemon.root}/containers/tty-ctl`)).toBe(false);

  await runSleeper('tty-ctl2');
  const exec = inSizedTerminal([TSCTL, '--address', daemon.address, 'exec', '-t', 'tty-ctl2', 'sh', '-c', 'stty size; exit 2']);
  expect(exec.stdout.replace(/\r/g, '')).toBe('30 100\n');
  expect(exec.code).toBe(2);
  await remove('tty-ctl2');
});

/**
 * Docker's second journey: a container in the background and the verbs around it, as `tsctl`
 * commands against a real tsrund: `run -d`, `logs -f` following what it prints until it stops,
 * `exec -i -t` at a terminal (TERM=xterm there, as docker's exec gives), `stop` (the container handles SIGTERM: it exits with its own status
 * before the timeout), `start` again on the same writable layer, and `rm`.
 */
import { useJourney } from './journey';
import { atTerminal } from './terminal';

jest.setTimeout(120_000);

const j = useJourney('detached');
const id = `jy-${process.pid}-bg`;
/** Prints a numbered line every 0.2 s; on SIGTERM says so and exits 0 (the sleep runs in the background, so that the trap runs at once). */
const SERVICE = 'trap "echo stopping; exit 0" TERM; echo started; i=0; while :; do i=$((i+1)); echo line $i; sleep 0.2 & wait $!; done';

/** What `tsctl inspect` says of the container's state: its status and, once exited, its exit code. */
async function status(): Promise<string | undefined> {
  const state = await j.state(id);
  return state === null ? undefined : state.Status === 'exited' ? `exited (${state.ExitCode})` : state.Status;
}

test('run -d, logs -f, exec -i -t, stop, start (same writable layer), rm', async () => {
  const run = await j.tsctl('run', '-d', '--name', id, j.image, 'sh', '-c', SERVICE);
  expect(run).toEqual({ code: 0, stdout: `${id}\n`, stderr: '' });
  expect(await status()).toBe('running');

  // logs -f prints what was logged, then the lines as they come, and ends when the container does.
  const follow = j.start('logs', '-f', id);
  const seen = () => follow.stdout().split('\n').filter((l) => l.startsWith('line ')).length;
  const deadline = Date.now() + 20_000;
  const first = seen();
  while (seen() < first + 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  expect(seen()).toBeGreaterThanOrEqual(first + 3);

  // exec -i -t: a shell at a terminal in the running container; it writes a file and exits 5.
  const session = await atTerminal(j.argv('exec', '-i', '-t', id, 'sh'), [
    { expect: '# ' },
    { send: 'echo TERM=$TERM; echo written-by-exec > /kept; cat /kept; exit 5\n' },
    { expect: 'TERM=xterm\r\r?\nwritten-by-exec\r\r?\n' },
  ]);
  expect(session.timedOut).toBeNull();
  expect(session.status).toBe(5);

  // rm refuses a running container, which keeps running.
  const refused = await j.tsctl('rm', id);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toMatch(new RegExp(`^tsctl: rm ${id}: .*running.*\\n$`));
  expect(await status()).toBe('running');

  // stop: SIGTERM, which the container handles, exiting 0 well before the 10 s timeout (no SIGKILL: that would be 137).
  const t0 = Date.now();
  expect(await j.tsctl('stop', id)).toEqual({ code: 0, stdout: `${id}\n`, stderr: '' });
  expect(Date.now() - t0).toBeLessThan(10_000);
  expect(await status()).toBe('exited (0)');
  const followed = await follow.exited;
  expect(followed.code).toBe(0);
  expect(followed.stdout).toMatch(/^started\nline 1\nline 2\n(line \d+\n)+stopping\n$/);

  // start: the same container again, its writable layer kept; its log goes on after the first run's.
  expect(await j.tsctl('start', id)).toEqual({ code: 0, stdout: `${id}\n`, stderr: '' });
  expect(await status()).toBe('running');
  expect(await j.tsctl('exec', id, 'sh', '-c', 'echo TERM=$TERM; cat /kept')).toEqual({ code: 0, stdout: 'TERM=\nwritten-by-exec\n', stderr: '' });
  const deadline2 = Date.now() + 10_000;
  while (!(await j.tsctl('logs', id)).stdout.match(/stopping\nstarted\n/) && Date.now() < deadline2) await new Promise((r) => setTimeout(r, 100));
  expect((await j.tsctl('logs', id)).stdout).toMatch(/^started\n(line \d+\n)+stopping\nstarted\n/);

  expect(await j.tsctl('stop', id)).toEqual({ code: 0, stdout: `${id}\n`, stderr: '' });
  expect(await j.tsctl('rm', id)).toEqual({ code: 0, stdout: `${id}\n`, stderr: '' });
  expect(await status()).toBeUndefined();
  const gone = await j.tsctl('logs', id);
  expect(gone.code).toBe(1);
  expect(gone.stderr).toContain(id);
});

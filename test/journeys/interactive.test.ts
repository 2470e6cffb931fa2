/**
 * Docker's first journey, `docker run -it busybox sh`, as `tsctl run -i -t IMAGE sh` at a real
 * terminal: the shell's prompt, what is typed echoed back, TERM=xterm, the terminal's size seen
 * by `stty size` and a resize followed, and the shell's exit status as tsctl's.
 */
import { useJourney } from './journey';
import { atTerminal } from './terminal';

jest.setTimeout(120_000);

const j = useJourney('interactive');
const id = `jy-${process.pid}-it`;

test('run -i -t IMAGE sh: prompt, echo, TERM=xterm, the size and a resize, exit 3', async () => {
  const session = await atTerminal(
    j.argv('run', '-i', '-t', '--name', id, j.image, 'sh'),
    [
      { expect: '/ # ' },
      { send: 'echo TERM=$TERM; stty size\n' },
      { expect: 'TERM=xterm\r\r?\n24 80\r\r?\n' },
      { resize: [50, 132] },
      // tsctl passes the resize on as the terminal signals it: asked again until it has arrived.
      { send: 'stty size\n', until: '50 132\r\r?\n' },
      { send: 'echo hi; exit 3\n' },
      { expect: 'hi\r\r?\n' },
    ],
    { size: [24, 80] },
  );
  expect(session.timedOut).toBeNull();
  expect(session.status).toBe(3);
  // The terminal echoes what was typed after the prompt, then the shell's answer.
  expect(session.output).toMatch(/\/ # (\x1b\[6n)?echo hi; exit 3\r\r?\nhi\r\r?\n$/);
  expect(await j.state(id)).toMatchObject({ Status: 'exited', ExitCode: 3 });
  expect((await j.tsctl('rm', id)).code).toBe(0);
});

test('without -t the same shell reads commands from stdin and has no TERM', async () => {
  expect(await j.tsctlWithInput('echo TERM=$TERM; echo hi; exit 4\n', 'run', '-i', '--rm', j.image, 'sh')).toEqual({ code: 4, stdout: 'TERM=\nhi\n', stderr: '' });
});

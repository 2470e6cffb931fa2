/**
 * Terminals as runc makes them: the master of a pty made inside the container arrives on the
 * --console-socket (a test server here, as conmon or containerd's shim would listen), the slave
 * is the process's stdio and controlling terminal, sized by consoleSize; a foreground run or
 * exec proxies the terminal itself, with or without a tty of its own.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { consoleServer, readTerminal } from '../helpers/console-socket';
import { containerFixtures } from '../helpers/fixtures';
import { TSRUN, uniqueId } from '../helpers/tsrun';

const fx = containerFixtures();

/** A console socket server in this file's tsrun root. */
const newConsoleServer = () => consoleServer(path.join(fx.tsrun.root, `console-${uniqueId('s')}.sock`));

// The process stays a while after its last line: a pty hung up by the exit can lose what the
// master had not read yet (a full run once saw only the first line).
const SHOW_TERMINAL = 'tty; stty size; [ -t 0 ] && echo stdin-is-a-tty; ls -ln /dev/console; id -u; echo shown; sleep 2';
const shown = (text: string) => text.includes('shown\r\n');

test('create --console-socket: the master arrives as runc sends it; the process has the sized pty as its terminal', async () => {
  const b = fx.bundle(['sh', '-c', SHOW_TERMINAL], (c) => {
    c.process.terminal = true;
    c.process.consoleSize = { width: 101, height: 33 };
    c.process.user = { uid: 1000, gid: 1000 };
  });
  const id = fx.tsrun.track(uniqueId('tty'));
  const server = newConsoleServer();
  try {
    const created = fx.tsrun.cmd(['create', '--console-socket', server.path, '-b', b.dir, id]);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const master = server.receive();
    expect(master.name).toBe('/dev/ptmx');
    expect(fs.readlinkSync(`/proc/self/fd/${master.fd}`)).toMatch(/ptmx$/);
    const output = readTerminal(master.fd, 15_000, shown);
    expect(fx.tsrun.cmd(['start', id]).code).toBe(0);
    const text = (await output).replace(/\r/g, '');
    expect(text).toContain('/dev/pts/0\n33 101\nstdin-is-a-tty\n');
    // /dev/console is the terminal, owned by the process's user, group tty as devpts made it.
    expect(text).toMatch(/^crw--w----\s+1 1000\s+5\s+136,\s+0 .*\/dev\/console$/m);
    expect(text).toMatch(/^1000$/m);
  } finally {
    server.close();
  }
});

test("a terminal without a console socket when detached, or a socket without a terminal, is runc's error; nothing is left", () => {
  const withTty = fx.bundle(['true'], (c) => (c.process.terminal = true));
  const noTty = fx.bundle(['true']);
  const create = fx.tsrun.cmd(['create', '-b', withTty.dir, uniqueId('tty')]);
  expect(create.code).toBe(1);
  expect(create.stderr).toContain('tsrun create failed: cannot allocate tty if tsrun will detach without setting console socket');
  const detached = fx.tsrun.cmd(['run', '-d', '-b', withTty.dir, uniqueId('tty')]);
  expect(detached.stderr).toContain('cannot allocate tty if tsrun will detach without setting console socket');
  const server = newConsoleServer();
  try {
    const socketOnly = fx.tsrun.cmd(['create', '--console-socket', server.path, '-b', noTty.dir, uniqueId('tty')]);
    expect(socketOnly.code).toBe(1);
    expect(socketOnly.stderr).toContain('cannot use console socket if tsrun will not detach or allocate tty');
  } finally {
    server.close();
  }
  expect(fx.tsrun.cmd(['list', '-q']).stdout).toBe('');
});

test('run in the foreground with a terminal: tsrun proxies it, with a tty of its own (script) and without', () => {
  const b = fx.bundle(['sh'], (c) => {
    c.process.terminal = true;
    c.process.consoleSize = { width: 90, height: 20 };
  });
  // Without a tty: stdin and stdout are pipes, copied to and from the container's terminal.
  const piped = spawnSync(TSRUN, ['--root', fx.tsrun.root, 'run', '-b', b.dir, fx.tsrun.track(uniqueId('fg'))], {
    input: 'tty; stty size; exit 4\n',
    encoding: 'utf8',
    timeout: 30_000,
  });
  expect(piped.status).toBe(4);
  expect(piped.stdout.replace(/\r/g, '')).toMatch(/\/dev\/pts\/0\n20 90\n/);

  // With a tty (script's pty): tsrun's terminal goes raw and the keys reach the container's shell.
  const command = `${TSRUN} --root ${fx.tsrun.root} run -b ${b.dir} ${fx.tsrun.track(uniqueId('fg'))}`;
  const withTty = spawnSync('script', ['-qec', command, '/dev/null'], {
    input: 'echo hi-$((6*7)); [ -t 0 ] && echo tty-in; exit 5\n',
    encoding: 'utf8',
    timeout: 30_000,
  });
  expect(withTty.status).toBe(5);
  expect(withTty.stdout).toContain('hi-42');
  expect(withTty.stdout).toContain('tty-in');
  expect(fx.tsrun.cmd(['list', '-q']).stdout).toBe('');
});

test('exec -t: to a console socket when detached, proxied in the foreground', async () => {
  const b = fx.bundle(['sleep', '600']);
  const id = fx.tsrun.track(uniqueId('xtty'));
  expect(fx.tsrun.cmd(['run', '-d', '-b', b.dir, id]).code).toBe(0);

  const server = newConsoleServer();
  try {
    const r = fx.tsrun.cmd(['exec', '-t', '-d', '--console-socket', server.path, id, 'sh', '-c', 'tty; [ -t 1 ] && echo out-is-a-tty']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const master = server.receive();
    expect(master.name).toBe('/dev/ptmx');
    const text = (await readTerminal(master.fd)).replace(/\r/g, '');
    expect(text).toMatch(/^\/dev\/pts\/\d+\nout-is-a-tty\n/);
  } finally {
    server.close();
  }

  const fg = spawnSync(TSRUN, ['--root', fx.tsrun.root, 'exec', '-t', id, 'sh'], { input: 'tty; exit 6\n', encoding: 'utf8', timeout: 30_000 });
  expect(fg.status).toBe(6);
  expect(fg.stdout.replace(/\r/g, '')).toMatch(/\/dev\/pts\/\d+\n/);

  const noSocket = fx.tsrun.cmd(['exec', '-t', '-d', id, 'true']);
  expect(noSocket.code).toBe(255);
  expect(noSocket.stderr).toContain('exec failed: cannot allocate tty if tsrun will detach without setting console socket');
  expect(fx.tsrun.state(id)).toMatchObject({ status: 'running' });
});

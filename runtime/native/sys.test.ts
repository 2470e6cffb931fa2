/** The system calls the addon gives Node: mkfifo, flock, pidfds, waitExit, the subreaper flag, errno names. */
import { execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { testAddonPath } from '../../test/helpers/test-native';
import { errnoName, flock, mkfifo, pidfdOpen, pidfdSendSignal, waitExit } from './index';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-native-sys-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function thrown(fn: () => unknown): NodeJS.ErrnoException {
  try {
    fn();
  } catch (err) {
    return err as NodeJS.ErrnoException;
  }
  throw new Error('did not throw');
}

describe('mkfifo', () => {
  test('makes a fifo with exactly the mode asked, whatever the umask', () => {
    const fifo = path.join(dir, 'exec.fifo');
    const old = process.umask(0o077);
    try {
      mkfifo(fifo, 0o622);
    } finally {
      process.umask(old);
    }
    const st = fs.statSync(fifo);
    expect(st.isFIFO()).toBe(true);
    expect(st.mode & 0o7777).toBe(0o622);
  });

  test('an existing path is EEXIST, with errno, syscall and path like a Node fs error', () => {
    const fifo = path.join(dir, 'exec.fifo');
    mkfifo(fifo, 0o600);
    const err = thrown(() => mkfifo(fifo, 0o600));
    expect(err).toMatchObject({ code: 'EEXIST', errno: 17, syscall: 'mkfifo', path: fifo });
    expect(err.message).toBe(`EEXIST: File exists, mkfifo '${fifo}'`);
  });
});

describe('flock', () => {
  test('exclusive, shared and unlock between two open file descriptions', () => {
    const file = path.join(dir, 'lock');
    fs.writeFileSync(file, '');
    const a = fs.openSync(file, 'r');
    const b = fs.openSync(file, 'r');
    try {
      expect(flock(a, 'exclusive', false)).toBe(true);
      expect(flock(b, 'exclusive', false)).toBe(false);
      expect(flock(b, 'shared', false)).toBe(false);
      expect(flock(a, 'shared', true)).toBe(true); // converts the lock
      expect(flock(b, 'shared', false)).toBe(true);
      expect(flock(a, 'exclusive', false)).toBe(false);
      expect(flock(b, 'unlock', false)).toBe(true);
      expect(flock(a, 'exclusive', true)).toBe(true);
    } finally {
      fs.closeSync(a);
      fs.closeSync(b);
    }
  });

  test('a bad fd is EBADF', () => {
    expect(thrown(() => flock(1_000_000, 'exclusive', false))).toMatchObject({ code: 'EBADF', syscall: 'flock' });
  });
});

describe('pidfds and waitExit', () => {
  test('a signal through a pidfd, and how the child ended', async () => {
    const child = spawn('sleep', ['100'], { stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    const fd = pidfdOpen(child.pid!);
    try {
      pidfdSendSignal(fd, 15);
    } finally {
      fs.closeSync(fd);
    }
    expect(await exited).toBe('SIGTERM');
  });

  test('pidfdOpen of a pid that does not exist is ESRCH', () => {
    const pid = Number(fs.readFileSync('/proc/sys/kernel/pid_max', 'utf8')) - 1;
    expect(thrown(() => pidfdOpen(pid))).toMatchObject({ code: 'ESRCH', errno: 3 });
  });

  test('waitExit of a process that is not our child rejects with ECHILD', async () => {
    await expect(waitExit(1)).rejects.toMatchObject({ code: 'ECHILD', syscall: 'waitpid' });
  });
});

describe('setChildSubreaper', () => {
  test('orphaned grandchildren become children of the process that set it', () => {
    // In a separate node process: the flag would outlive this test in the jest worker.
    const script = `
      require(${JSON.stringify(testAddonPath)}).setChildSubreaper();
      const { execFileSync } = require('child_process');
      const orphan = execFileSync('sh', ['-c', 'sleep 5 >/dev/null 2>&1 & echo $!'], { encoding: 'utf8' }).trim();
      const ppid = require('fs').readFileSync('/proc/' + orphan + '/status', 'utf8').match(/^PPid:\\s*(\\d+)/m)[1];
      process.kill(Number(orphan), 'SIGKILL');
      console.log(JSON.stringify({ self: process.pid, ppid: Number(ppid) }));`;
    const { self, ppid } = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
    expect(ppid).toBe(self);
  });
});

describe('errnoName', () => {
  test('names errno values, EUNKNOWN for others', () => {
    expect(errnoName(2)).toBe('ENOENT');
    expect(errnoName(1)).toBe('EPERM');
    expect(errnoName(19)).toBe('ENODEV');
    expect(errnoName(99999)).toBe('EUNKNOWN');
  });
});

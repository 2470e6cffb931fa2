/**
 * `tsrun exec` into real running containers, looked at from inside (/proc/self/status, ps) and
 * from the host (cgroup membership, pid files), and its failures, which leave the container
 * running; plus --preserve-fds of run and exec.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { containerFixtures } from '../helpers/fixtures';
import { processExists, sleep, TSRUN, uniqueId } from '../helpers/tsrun';

const fx = containerFixtures();

/** A running container (sleep) with the default config edited by `edit`; its id and init pid. */
function runningContainer(edit?: Parameters<typeof fx.bundle>[1]): { id: string; pid: number; bundle: string } {
  const b = fx.bundle(['sleep', '600'], edit);
  const id = fx.tsrun.track(uniqueId('exec'));
  const r = fx.tsrun.cmd(['run', '-d', '-b', b.dir, id]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return { id, pid: fx.tsrun.state(id).pid as number, bundle: b.dir };
}

function statusField(status: string, name: string): string {
  return new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)?.[1] ?? '';
}

test('exec runs with the user, groups, capabilities, cwd and env asked for, under no_new_privs', () => {
  const { id } = runningContainer();
  const r = fx.tsrun.cmd([
    'exec', '-u', '1000:1001', '-g', '44', '--additional-gids', '55', '--cwd', '/tmp', '-e', 'A=1', '--env', 'B=two', '--cap', 'CAP_SYS_ADMIN',
    id, 'sh', '-c', 'cat /proc/self/status; echo "cwd=$(pwd) A=$A B=$B TERM=$TERM"',
  ]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(statusField(r.stdout, 'Uid')).toBe('1000\t1000\t1000\t1000');
  expect(statusField(r.stdout, 'Gid')).toBe('1001\t1001\t1001\t1001');
  expect(statusField(r.stdout, 'Groups').trim()).toBe('44 55');
  // The default set (CAP_KILL, CAP_NET_BIND_SERVICE, CAP_AUDIT_WRITE) plus CAP_SYS_ADMIN (21).
  expect(statusField(r.stdout, 'CapBnd')).toBe('0000000020200420');
  // Not root: the kernel clears permitted and effective at the uid change; ambient keeps CAP_SYS_ADMIN.
  expect(statusField(r.stdout, 'CapAmb')).toBe('0000000000200000');
  expect(statusField(r.stdout, 'NoNewPrivs')).toBe('1');
  expect(r.stdout).toContain('cwd=/tmp A=1 B=two TERM=xterm');
});

test("exec joins the container's pid namespace and cgroups; -d writes --pid-file and returns", () => {
  const { id, pid: initPid } = runningContainer();
  const ps = fx.tsrun.cmd(['exec', id, 'sh', '-c', 'echo self=$$; cat /proc/1/cmdline | tr "\\0" " "']);
  expect(ps.code).toBe(0);
  expect(ps.stdout).toContain('sleep 600');
  expect(Number(/self=(\d+)/.exec(ps.stdout)?.[1])).toBeGreaterThan(1);

  const pidFile = path.join(fx.tsrun.root, 'exec.pid');
  const started = Date.now();
  const d = fx.tsrun.cmd(['exec', '-d', '--pid-file', pidFile, id, 'sleep', '300']);
  expect(d.stderr).toBe('');
  expect(d.code).toBe(0);
  expect(Date.now() - started).toBeLessThan(10_000);
  const execPid = Number(fs.readFileSync(pidFile, 'utf8'));
  expect(processExists(execPid)).toBe(true);
  // From the host: the same cgroups as the init, and listed in the container's cgroup.procs.
  expect(fs.readFileSync(`/proc/${execPid}/cgroup`, 'utf8')).toBe(fs.readFileSync(`/proc/${initPid}/cgroup`, 'utf8'));
  const memory = /^\d+:memory:(.*)$/m.exec(fs.readFileSync(`/proc/${initPid}/cgroup`, 'utf8'))?.[1];
  if (memory !== undefined && fs.existsSync(`/sys/fs/cgroup/memory${memory}/cgroup.procs`)) {
    const procs = fs.readFileSync(`/sys/fs/cgroup/memory${memory}/cgroup.procs`, 'utf8').split('\n');
    expect(procs).toContain(String(execPid));
  }
  // Same pid namespace: the process is listed as the container sees it.
  expect(fs.readlinkSync(`/proc/${execPid}/ns/pid`)).toBe(fs.readlinkSync(`/proc/${initPid}/ns/pid`));
  expect(fs.readlinkSync(`/proc/${execPid}/ns/mnt`)).toBe(fs.readlinkSync(`/proc/${initPid}/ns/mnt`));
  expect(fx.tsrun.cmd(['exec', id, 'ps']).stdout).toMatch(/sleep 300/);
});

test('the exit status is the process\'s, 128+N when killed by signal N', () => {
  const { id } = runningContainer();
  expect(fx.tsrun.cmd(['exec', id, 'sh', '-c', 'exit 7']).code).toBe(7);
  expect(fx.tsrun.cmd(['exec', id, 'sh', '-c', 'kill -9 $$']).code).toBe(137);
  expect(fx.tsrun.cmd(['exec', id, 'true']).code).toBe(0);
});

test('--process runs a process.json as it is', () => {
  const { id } = runningContainer();
  const file = path.join(fx.tsrun.root, 'process.json');
  fs.writeFileSync(
    file,
    JSON.stringify({ terminal: false, user: { uid: 5, gid: 6 }, args: ['sh', '-c', 'echo "$(id -u):$(id -g) $(pwd) $X"'], env: ['PATH=/bin', 'X=from-file'], cwd: '/etc' }),
  );
  const r = fx.tsrun.cmd(['exec', '--process', file, id]);
  expect(r.stderr).toBe('');
  expect(r.stdout.trim()).toBe('5:6 /etc from-file');
});

test("the container's seccomp filter applies to exec'd processes", () => {
  const { id } = runningContainer((c) => {
    c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] };
  });
  const r = fx.tsrun.cmd(['exec', id, 'mkdir', '/tmp/x']);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/Operation not permitted/);
});

describe('failures: runc\'s message, status 255, the container untouched', () => {
  test('a missing container, no command, a command that is not there', () => {
    const missing = fx.tsrun.cmd(['exec', uniqueId('none'), 'true']);
    expect(missing.code).toBe(255);
    expect(missing.stderr).toContain('exec failed: container does not exist');

    const { id, pid } = runningContainer();
    const empty = fx.tsrun.cmd(['exec', id]);
    expect(empty.code).toBe(255);
    expect(empty.stderr).toContain('exec failed: process args cannot be empty');
    const nothing = fx.tsrun.cmd(['exec', id, 'nosuchbin']);
    expect(nothing.code).toBe(255);
    expect(nothing.stderr).toContain('exec failed: unable to start container process: exec: \\"nosuchbin\\": executable file not found in $PATH');
    expect(fx.tsrun.state(id)).toMatchObject({ status: 'running', pid });
    expect(fx.tsrun.cmd(['exec', '-u', '1:x', id, 'true']).stderr).toContain('parsing x as int for gid failed');
  });

  test('an id of 4294967295 ((uid_t) -1, "no change": the process would stay root) is refused wherever it is given', () => {
    const { id, pid } = runningContainer();
    const minusOne = 'is not an id: the kernel reads it as -1, no change (ids go from 0 to 4294967294)';
    for (const [flags, message] of [
      [['-u', '4294967295'], `--user uid 4294967295 ${minusOne}`],
      [['-u', '1000:4294967295'], `--user gid 4294967295 ${minusOne}`],
      [['--additional-gids', '4294967295'], `--additional-gids 4294967295 ${minusOne}`],
    ] as const) {
      const r = fx.tsrun.cmd(['exec', ...flags, id, 'id']);
      expect([flags, r.code, r.stdout, r.stderr]).toEqual([flags, 255, '', expect.stringContaining(`exec failed: ${message}`)]);
    }
    const file = path.join(fx.tsrun.root, 'process-minus-one.json');
    fs.writeFileSync(file, JSON.stringify({ user: { uid: 4294967295, gid: 0 }, args: ['id'], cwd: '/' }));
    const r = fx.tsrun.cmd(['exec', '--process', file, id]);
    expect([r.code, r.stdout]).toEqual([255, '']);
    expect(r.stderr).toContain(`exec failed: ${file}: process.user.uid: must be an id from 0 to 4294967294`);
    expect(fx.tsrun.state(id)).toMatchObject({ status: 'running', pid });
  });

  test('a paused container (unless --ignore-paused) and a stopped one', async () => {
    const { id, pid } = runningContainer();
    expect(fx.tsrun.cmd(['pause', id]).code).toBe(0);
    const paused = fx.tsrun.cmd(['exec', id, 'true']);
    expect(paused.code).toBe(255);
    expect(paused.stderr).toContain('exec failed: cannot exec in a paused container (use --ignore-paused to override)');
    expect(fx.tsrun.cmd(['resume', id]).code).toBe(0);
    expect(fx.tsrun.state(id)).toMatchObject({ status: 'running', pid });

    expect(fx.tsrun.cmd(['kill', id, 'KILL']).code).toBe(0);
    for (let i = 0; i < 100 && fx.tsrun.state(id).status !== 'stopped'; i++) await sleep(20);
    const stopped = fx.tsrun.cmd(['exec', id, 'true']);
    expect(stopped.code).toBe(255);
    expect(stopped.stderr).toContain('exec failed: cannot exec in a stopped container');
  });
});

describe('--preserve-fds', () => {
  function withFd3(args: string[]): { code: number | null; stdout: string; stderr: string } {
    const data = path.join(fx.tsrun.root, 'fd3.txt');
    fs.writeFileSync(data, 'through fd 3\n');
    const fd = fs.openSync(data, 'r');
    try {
      const r = spawnSync(TSRUN, ['--root', fx.tsrun.root, ...args], { stdio: ['ignore', 'pipe', 'pipe', fd], encoding: 'utf8', timeout: 30_000 });
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    } finally {
      fs.closeSync(fd);
    }
  }

  test('run and exec pass fd 3 on when asked to, and only then', () => {
    const b = fx.bundle(['sh', '-c', 'cat <&3']);
    const id = fx.tsrun.track(uniqueId('pfd'));
    expect(withFd3(['run', '--preserve-fds', '1', '-b', b.dir, id])).toMatchObject({ code: 0, stdout: 'through fd 3\n' });

    const { id: running } = runningContainer();
    expect(withFd3(['exec', '--preserve-fds', '1', running, 'sh', '-c', 'cat <&3'])).toMatchObject({ code: 0, stdout: 'through fd 3\n' });
    const closed = withFd3(['exec', running, 'sh', '-c', 'cat <&3']);
    expect(closed.code).not.toBe(0);
    expect(closed.stdout).toBe('');
  });
});

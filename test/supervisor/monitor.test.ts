/**
 * tsrun-monitor for real (as root): busybox containers built from bundles with the plan builder,
 * each in a cgroup of its own, run under a monitor started through supervisor/tasks/monitor.ts.
 * The restart test starts the monitor from a separate Node process (the compiled driver in
 * dist/: run `npm run build` first) and kills that process with SIGKILL.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { loadBundleConfig } from '../../spec/load';
import { createCgroups, oomWatchOf, type CgroupManager } from '../../runtime/cgroups';
import { PlanExecutionError, releaseInit } from '../../runtime/native';
import { buildInitPlan } from '../../runtime/plan/build';
import type { InitPlan } from '../../runtime/plan/types';
import { planContext } from '../../runtime/lifecycle/context';
import { CONSOLE_FD, Monitor, MonitorGoneError, StdinClosedError } from '../../supervisor/tasks/monitor';
import { EVENT, FrameReader } from '../../supervisor/tasks/monitor-protocol';
import { makeBundle, type Bundle, type Config } from '../helpers/bundle';

const isRoot = process.getuid?.() === 0;
const describeAsRoot = isRoot ? describe : describe.skip;
if (!isRoot) console.warn('test/supervisor/monitor.test.ts needs root (namespaces, mounts, cgroups): skipped');

const REPO = path.resolve(__dirname, '../..');
const COMPILED_DRIVER = path.join(REPO, 'dist/supervisor/tasks/monitor.js');
// `s`: a terminal's lines end in \r, which `.` would not match otherwise.
const LOG_RECORD = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z) (stdout|stderr) ([PF]) (.*)$/s;

interface Task {
  id: string;
  bundle: Bundle;
  dir: string;
  logPath: string;
  fifo: string;
  cgroups: CgroupManager;
  plan: InitPlan;
  monitorPid: number;
  monitor: Monitor | null;
}

const tasks: Task[] = [];
let serial = 0;

/** A bundle running `args`, its cgroup, a task dir, and the plan tsrund would build for it. */
function prepare(args: string[], edit?: (c: Config) => void): Task {
  const id = `tsrun-monitor-test-${process.pid}-${serial++}`;
  const bundle = makeBundle(args, edit);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-task-'));
  const { spec } = loadBundleConfig(bundle.dir);
  const cgroups = createCgroups(id, spec.linux?.cgroupsPath, spec.linux?.resources);
  const task: Task = {
    id,
    bundle,
    dir,
    logPath: path.join(dir, 'container.log'),
    fifo: path.join(dir, 'exec.fifo'),
    cgroups,
    plan: buildInitPlan(
      spec,
      planContext({ id, spec, bundle: bundle.dir, rootfs: path.resolve(bundle.dir, spec.root?.path ?? 'rootfs'), stateDir: dir }, cgroups, {
        consoleSocket: spec.process?.terminal ? CONSOLE_FD : null,
      }),
    ),
    monitorPid: 0,
    monitor: null,
  };
  tasks.push(task);
  return task;
}

async function spawnMonitor(task: Task, stdin = false, watchOom = false): Promise<Monitor> {
  const oomWatch = watchOom ? oomWatchOf(task.cgroups) : null;
  const monitor = await Monitor.spawn({ taskDir: task.dir, plan: task.plan, logPath: task.logPath, stdin, terminal: false, oomWatch });
  task.monitor = monitor;
  task.monitorPid = monitor.monitorPid;
  return monitor;
}

/** Gone or a zombie: nothing runs under that pid any more. */
function isGone(pid: number): boolean {
  try {
    return /^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function procStatus(pid: number, field: string): string {
  const line = fs
    .readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${field}:`));
  return line!.slice(field.length + 1).trim();
}

/** The log's records as [stream, tag, text], after checking every line's shape. */
function logRecords(task: Task): [string, string, string][] {
  const lines = fs.readFileSync(task.logPath, 'utf8').split('\n');
  expect(lines.pop()).toBe('');
  return lines.map((line) => {
    const m = LOG_RECORD.exec(line);
    if (!m) throw new Error(`not a CRI log record: ${JSON.stringify(line)}`);
    expect(Date.parse(m[1])).toBeGreaterThan(Date.now() - 600_000);
    return [m[2], m[3], m[4]];
  });
}

/** Whole lines of one stream, P parts joined to their F record. */
function streamLines(task: Task, stream: string): string[] {
  const out: string[] = [];
  let part = '';
  for (const [s, tag, text] of logRecords(task)) {
    if (s !== stream) continue;
    part += text;
    if (tag === 'F') {
      out.push(part);
      part = '';
    }
  }
  if (part) out.push(part);
  return out;
}

/** Processes whose command line names `dir` (a monitor of that task dir). */
function processesNaming(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').includes(dir)) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

function killIfThere(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

afterEach(async () => {
  for (const task of tasks.splice(0)) {
    try {
      task.cgroups.killAll(9, () => true);
      if (task.monitor && task.monitorPid && !isGone(task.monitorPid)) task.monitor.release();
      for (const pid of processesNaming(task.dir)) killIfThere(pid);
      await until(`the monitor of ${task.id} to exit`, () => processesNaming(task.dir).every(isGone));
    } finally {
      try {
        await task.cgroups.destroy();
      } finally {
        fs.rmSync(task.dir, { recursive: true, force: true });
        task.bundle.cleanup();
      }
    }
  }
});

describeAsRoot('tsrun-monitor', () => {
  test('creates the init as its child, waiting on the exec fifo; output lands in the log as CRI records', async () => {
    const task = prepare(['sh', '-c', 'echo out1; echo err1 >&2; echo out2; printf partial']);
    const monitor = await spawnMonitor(task);

    expect(isGone(monitor.pid)).toBe(false);
    expect(Number(procStatus(monitor.pid, 'PPid'))).toBe(monitor.monitorPid);
    expect(JSON.parse(fs.readFileSync(path.join(task.dir, 'monitor.json'), 'utf8'))).toEqual({
      pid: monitor.pid,
      monitorPid: monitor.monitorPid,
    });
    expect(fs.statSync(path.join(task.dir, 'monitor.sock')).mode & 0o777).toBe(0o600);
    expect(fs.existsSync(path.join(task.dir, 'plan.bin'))).toBe(false);
    // created, not started: nothing ran yet
    expect(fs.readFileSync(task.logPath, 'utf8')).toBe('');

    releaseInit(task.fifo, monitor.pid);
    const exit = await monitor.wait();
    expect(exit).toEqual({ pid: monitor.pid, exitStatus: 0, signal: null, exitedAt: expect.stringMatching(/^\d{4}-.*T.*\.\d{9}Z$/) });
    expect(Date.parse(exit.exitedAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(JSON.parse(fs.readFileSync(path.join(task.dir, 'exit.json'), 'utf8'))).toEqual(exit);

    const records = logRecords(task);
    expect(records.filter(([s]) => s === 'stderr')).toEqual([['stderr', 'F', 'err1']]);
    expect(records.filter(([s]) => s === 'stdout')).toEqual([
      ['stdout', 'F', 'out1'],
      ['stdout', 'F', 'out2'],
      ['stdout', 'P', 'partial'],
    ]);
  });

  test.each([
    ['exit 0', 0],
    ['exit 3', 3],
  ])('records the exit status of `sh -c "%s"`', async (script, status) => {
    const task = prepare(['sh', '-c', script]);
    const monitor = await spawnMonitor(task);
    releaseInit(task.fifo, monitor.pid);
    expect(await monitor.wait()).toMatchObject({ exitStatus: status, signal: null });
  });

  test('an init killed by SIGKILL exits with 137 and signal 9', async () => {
    const task = prepare(['sleep', '100']);
    const monitor = await spawnMonitor(task);
    releaseInit(task.fifo, monitor.pid);
    process.kill(monitor.pid, 'SIGKILL');
    expect(await monitor.wait()).toMatchObject({ pid: monitor.pid, exitStatus: 137, signal: 9 });
  });

  test('forwards stdin to the container and closes it on request', async () => {
    const task = prepare(['cat']);
    const monitor = await spawnMonitor(task, true);
    releaseInit(task.fifo, monitor.pid);
    await monitor.writeStdin(Buffer.from('hello\n'));
    await monitor.writeStdin(Buffer.from('world\n'));
    await monitor.closeStdin();
    expect(await monitor.wait()).toMatchObject({ exitStatus: 0 });
    expect(streamLines(task, 'stdout')).toEqual(['hello', 'world']);
    await expect(monitor.writeStdin(Buffer.from('late'))).rejects.toThrow('stdin is closed');
  });

  test('stdin larger than the monitor buffers arrives whole (backpressure, not loss)', async () => {
    const task = prepare(['wc', '-c']);
    const monitor = await spawnMonitor(task, true);
    const data = Buffer.alloc(1_000_000, 'x');
    const written = monitor.writeStdin(data);
    releaseInit(task.fifo, monitor.pid);
    await written;
    await monitor.closeStdin();
    expect(await monitor.wait()).toMatchObject({ exitStatus: 0 });
    expect(streamLines(task, 'stdout').map((l) => l.trim())).toEqual(['1000000']);
  });

  test('close of stdin is answered only once every buffered byte was written to the container', async () => {
    // The container reads nothing until /go exists.
    const task = prepare(['sh', '-c', 'while [ ! -e /go ]; do sleep 0.05; done; exec wc -c']);
    const monitor = await spawnMonitor(task, true);
    releaseInit(task.fifo, monitor.pid);
    // 64 KiB fill the pipe; the rest waits in the monitor's buffer (it holds 64 KiB).
    await monitor.writeStdin(Buffer.alloc(100_000, 'x'));
    let closed = false;
    const closing = monitor.closeStdin().then(() => (closed = true));
    // Round trips on the control connection, and a pause: the close is still not answered.
    await expect(monitor.resizePty(80, 24)).rejects.toThrow('no terminal');
    await new Promise((r) => setTimeout(r, 300));
    await expect(monitor.resizePty(80, 24)).rejects.toThrow('no terminal');
    expect(closed).toBe(false);
    fs.writeFileSync(path.join(task.bundle.rootfs, 'go'), '');
    await closing;
    expect(await monitor.wait()).toMatchObject({ exitStatus: 0 });
    expect(streamLines(task, 'stdout').map((l) => l.trim())).toEqual(['100000']);
  });

  test('stdin the container does not read holds back no other request, and release still ends it', async () => {
    // A child the init leaves behind holds stdin open after release killed the init.
    const task = prepare(['sh', '-c', 'sleep 600 & exec sleep 600']);
    const monitor = await spawnMonitor(task, true);
    releaseInit(task.fifo, monitor.pid);
    let settled = false;
    const writing = monitor.writeStdin(Buffer.alloc(1 << 20, 'x')).then(
      () => ((settled = true), null),
      (err: unknown) => ((settled = true), err),
    );
    await expect(monitor.resizePty(80, 24)).rejects.toThrow('no terminal');
    expect(settled).toBe(false);
    const exit = monitor.wait();
    monitor.release();
    expect(await exit).toMatchObject({ exitStatus: 137, signal: 9 });
    // The monitor went with the stdin it held: the write ends as for a closed stdin.
    expect(await writing).toBeInstanceOf(StdinClosedError);
  });

  test('without stdin the container reads /dev/null and has only fds 0-2, none of the monitor', async () => {
    // No pipeline (while one starts the shell holds its pipe's ends, and ls may see them), and not
    // the last command (the shell would exec ls, whose own fds would be listed).
    const task = prepare(['sh', '-c', 'ls -l /proc/$$/fd; true']);
    const monitor = await spawnMonitor(task);
    releaseInit(task.fifo, monitor.pid);
    expect(await monitor.wait()).toMatchObject({ exitStatus: 0 });
    const fds = streamLines(task, 'stdout').flatMap((l) => {
      const m = / (\d+) -> (.*)$/.exec(l);
      return m ? [`${m[1]} ${m[2]}`] : [];
    });
    expect(fds.map((l) => l.split(' ')[0])).toEqual(['0', '1', '2']);
    expect(fds[0]).toBe('0 /dev/null');
    expect(fds[1]).toMatch(/^1 pipe:\[\d+\]$/);
    expect(fds[2]).toMatch(/^2 pipe:\[\d+\]$/);
    expect(streamLines(task, 'stderr')).toEqual([]);
  });

  test('with stdin the container has a pipe on fd 0', async () => {
    const task = prepare(['sh', '-c', 'readlink /proc/$$/fd/0']);
    const monitor = await spawnMonitor(task, true);
    releaseInit(task.fifo, monitor.pid);
    expect(await monitor.wait()).toMatchObject({ exitStatus: 0 });
    expect(streamLines(task, 'stdout')).toEqual([expect.stringMatching(/^pipe:\[\d+\]$/)]);
  });

  test('a task dir too long for a socket address still works (the driver connects through /proc/self/fd)', async () => {
    const task = prepare(['sh', '-c', 'echo long']);
    const longDir = path.join(task.dir, 'd'.repeat(60), 'e'.repeat(60));
    fs.mkdirSync(longDir, { recursive: true });
    task.plan = { ...task.plan, exec: { ...task.plan.exec, fifo: { dir: longDir, name: 'exec.fifo' } } };
    const monitor = await Monitor.spawn({ taskDir: longDir, plan: task.plan, logPath: task.logPath, stdin: false, terminal: false });
    task.monitor = monitor;
    task.monitorPid = monitor.monitorPid;
    expect(Buffer.byteLength(path.join(longDir, 'monitor.sock'))).toBeGreaterThan(107);
    releaseInit(path.join(longDir, 'exec.fifo'), monitor.pid);
    expect(await monitor.wait()).toMatchObject({ exitStatus: 0 });
    expect(streamLines(task, 'stdout')).toEqual(['long']);
  });

  test('pty resize without a terminal is refused; --terminal and a console step on fd 4 go together', async () => {
    const task = prepare(['true']);
    const monitor = await spawnMonitor(task);
    await expect(monitor.resizePty(80, 24)).rejects.toThrow('the container has no terminal');
    await expect(
      Monitor.spawn({ taskDir: task.dir, plan: task.plan, logPath: task.logPath, stdin: false, terminal: true }),
    ).rejects.toThrow('with --terminal the plan needs a console step on fd 4');
    const tty = prepare(['true'], (c) => (c.process.terminal = true));
    await expect(Monitor.spawn({ taskDir: tty.dir, plan: tty.plan, logPath: tty.logPath, stdin: false, terminal: false })).rejects.toThrow(
      'a console step needs --terminal',
    );
    // A failed start leaves nothing in the task directory.
    expect(fs.readdirSync(tty.dir)).toEqual([]);
  });

  test('a terminal: the master is logged as stdout, stdin goes to it, resize reaches the process', async () => {
    const task = prepare(['sh', '-c', 'read x; echo "in=$x"; stty size'], (c) => (c.process.terminal = true));
    const monitor = await Monitor.spawn({ taskDir: task.dir, plan: task.plan, logPath: task.logPath, stdin: true, terminal: true });
    task.monitor = monitor;
    task.monitorPid = monitor.monitorPid;
    await monitor.resizePty(132, 43);
    // Its end of the console pair is closed once the master came: the sockets are the control
    // socket and this connection (answered just now).
    const fds = fs.readdirSync(`/proc/${monitor.monitorPid}/fd`).map((fd) => fs.readlinkSync(`/proc/${monitor.monitorPid}/fd/${fd}`));
    expect(fds.filter((l) => l.startsWith('socket:')).length).toBe(2);
    expect(fds.filter((l) => l === '/dev/ptmx' || l.startsWith('/dev/pts/ptmx')).length).toBeGreaterThanOrEqual(1);
    releaseInit(task.fifo, monitor.pid);
    await monitor.writeStdin(Buffer.from('abc\n'));
    expect(await monitor.wait()).toMatchObject({ exitStatus: 0 });
    expect(streamLines(task, 'stdout').map((l) => l.replace(/\r$/, ''))).toEqual(['abc', 'in=abc', '43 132']);
    expect(streamLines(task, 'stderr')).toEqual([]);
  });

  test('the monitor is small: VmRSS reported', async () => {
    const task = prepare(['sleep', '100']);
    const monitor = await spawnMonitor(task);
    releaseInit(task.fifo, monitor.pid);
    const rss = procStatus(monitor.monitorPid, 'VmRSS');
    console.log(`tsrun-monitor VmRSS with a running container: ${rss}`);
    expect(Number(rss.replace(/ kB$/, ''))).toBeLessThan(3 * 1024);
  });

  test('survives the death of the process that started it; the exit is found after reattaching', async () => {
    expect(fs.existsSync(COMPILED_DRIVER)).toBe(true); // `npm run build` makes it
    const task = prepare(['sh', '-c', 'echo started; exit 7']);
    const planFile = path.join(task.dir, 'plan.json');
    fs.writeFileSync(planFile, JSON.stringify(task.plan));
    const script = `
      const { Monitor } = require(${JSON.stringify(COMPILED_DRIVER)});
      const plan = JSON.parse(require('fs').readFileSync(${JSON.stringify(planFile)}, 'utf8'));
      Monitor.spawn({ taskDir: ${JSON.stringify(task.dir)}, plan, logPath: ${JSON.stringify(task.logPath)}, stdin: false, terminal: false })
        .then((m) => { console.log(JSON.stringify({ pid: m.pid, monitorPid: m.monitorPid })); m.wait(); setInterval(() => {}, 1000); })
        .catch((e) => { console.error(e); process.exit(1); });`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const created = await new Promise<{ pid: number; monitorPid: number }>((resolve, reject) => {
      child.stdout.once('data', (b: Buffer) => resolve(JSON.parse(b.toString())));
      child.once('exit', (code) => reject(new Error(`the spawning process exited with ${code}`)));
    });
    task.monitorPid = created.monitorPid;
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));

    // Nobody is attached while the container runs and exits.
    expect(isGone(created.monitorPid)).toBe(false);
    releaseInit(task.fifo, created.pid);
    await until('exit.json', () => fs.existsSync(path.join(task.dir, 'exit.json')));

    const monitor = await Monitor.attach(task.dir);
    task.monitor = monitor;
    expect([monitor.pid, monitor.monitorPid]).toEqual([created.pid, created.monitorPid]);
    expect(await monitor.wait()).toMatchObject({ pid: created.pid, exitStatus: 7, signal: null });
    expect(streamLines(task, 'stdout')).toEqual(['started']);
  });

  test('attach to a monitor killed after the exit reads exit.json; release removes the files', async () => {
    const task = prepare(['sh', '-c', 'exit 4']);
    const first = await spawnMonitor(task);
    releaseInit(task.fifo, first.pid);
    await first.wait();
    process.kill(first.monitorPid, 'SIGKILL');
    await until('the monitor to die', () => isGone(first.monitorPid));

    const monitor = await Monitor.attach(task.dir);
    expect(await monitor.wait()).toMatchObject({ exitStatus: 4 });
    await expect(monitor.writeStdin(Buffer.from('x'))).rejects.toThrow('not connected');
    monitor.release();
    expect(fs.readdirSync(task.dir).sort()).toEqual(['container.log', 'exec.fifo']);
  });

  test('attach to a monitor killed while its container runs: MonitorGoneError', async () => {
    const task = prepare(['sleep', '100']);
    const first = await spawnMonitor(task);
    process.kill(first.monitorPid, 'SIGKILL');
    await until('the monitor to die', () => isGone(first.monitorPid));
    await expect(first.wait()).rejects.toThrow('went away before the container');
    await expect(Monitor.attach(task.dir)).rejects.toThrow(MonitorGoneError);
  });

  test('release of a running container kills it, tells waiters, removes the files and ends the monitor', async () => {
    const task = prepare(['sleep', '100']);
    const monitor = await spawnMonitor(task);
    releaseInit(task.fifo, monitor.pid);
    const exit = monitor.wait();
    monitor.release();
    expect(await exit).toMatchObject({ exitStatus: 137, signal: 9 });
    await until('the monitor to exit', () => isGone(monitor.monitorPid));
    expect(fs.readdirSync(task.dir)).toEqual(['container.log']);
  });

  test('a client that reads nothing through an OOM storm is kept: OOMs come at most one per 100 ms, then the exit', async () => {
    // Twenty OOM kills in a row raise hundreds of notifications (v1 counts every failed charge).
    // One frame each filled the socket of a client that was busy, and the monitor dropped it.
    const hog = 'echo 1000 > /proc/self/oom_score_adj; head -c 268435456 /dev/zero | tail -n 1';
    const task = prepare(['sh', '-c', `for i in $(seq 20); do sh -c '${hog}'; done; exit 7`], (c) => {
      c.linux = { ...c.linux, resources: { ...c.linux?.resources, memory: { limit: 32 << 20 } } };
    });
    const monitor = await spawnMonitor(task, false, true);
    const raw = net.createConnection({ path: path.join(task.dir, 'monitor.sock') });
    await new Promise((r) => raw.once('connect', r));
    raw.pause(); // reads nothing while the storm goes on
    const started = Date.now();
    releaseInit(task.fifo, monitor.pid);
    expect(await monitor.wait()).toMatchObject({ exitStatus: 7 });
    const elapsed = Date.now() - started;

    const frames: number[] = [];
    const reader = new FrameReader();
    raw.on('data', (chunk: Buffer) => frames.push(...reader.push(chunk).map((f) => f.type)));
    raw.resume();
    await until('the exit on the client that read nothing', () => frames.includes(EVENT.exit));
    raw.destroy();
    expect(frames[0]).toBe(EVENT.created);
    const ooms = frames.filter((t) => t === EVENT.oom).length;
    expect(ooms).toBeGreaterThanOrEqual(1);
    expect(ooms).toBeLessThanOrEqual(Math.ceil(elapsed / 100) + 2);
    expect(frames.indexOf(EVENT.exit)).toBe(frames.length - 1); // an OOM owed goes before the exit
  });

  test('a connection to a living monitor that closes is made again: the exit still arrives, requests are answered', async () => {
    const task = prepare(['sh', '-c', 'sleep 1; exit 5']);
    const monitor = await spawnMonitor(task);
    releaseInit(task.fifo, monitor.pid);
    const exit = monitor.wait();
    // What the monitor does to a client it cannot write to: the connection ends under tsrund.
    (monitor as unknown as { socket: net.Socket }).socket.destroy();
    expect(await exit).toMatchObject({ pid: monitor.pid, exitStatus: 5 });
    // Connected again: the monitor itself answers (no terminal), not the driver's "not connected".
    await expect(monitor.resizePty(80, 24)).rejects.toThrow(/tsrun-monitor .*terminal/);
  });

  test('a failed plan rejects with the PlanFailure and leaves nothing behind', async () => {
    const task = prepare(['true'], (c) => {
      c.mounts.push({ destination: '/mnt', type: 'bind', source: '/nonexistent/tsrun-monitor-test', options: ['bind'] });
    });
    const err: unknown = await spawnMonitor(task).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PlanExecutionError);
    const { failure } = err as PlanExecutionError;
    expect(failure).toMatchObject({ phase: 'init', code: 'ENOENT' });
    expect(task.plan.init[failure.step]).toMatchObject({ op: 'mount', source: '/nonexistent/tsrun-monitor-test' });
    expect(fs.readdirSync(task.dir)).toEqual([]);
    expect(processesNaming(task.dir)).toEqual([]);
    expect(task.cgroups.pids()).toEqual([]);
  });
});

/**
 * tsrund's side of a container's monitor (native/src/monitor, the tsrun-monitor executable):
 * start one for a plan, reattach to it after a tsrund restart, wait for the exit, feed stdin,
 * and release it after Delete.
 *
 * Additions to the agreed interface:
 *   - Monitor.close(): disconnect without releasing (tsrund shutting down; the monitor and the
 *     container live on, attach() finds them again).
 *   - MonitorGoneError: attach() on a task whose monitor died without recording an exit (it was
 *     killed, say): the container is out of reach; kill its cgroup and remove the task.
 *   - ExitRecord and monitorBinaryPath() are exported (monitor-protocol.ts, monitor-binary.ts).
 *   - terminal: true needs a plan whose console step names CONSOLE_FD (PlanContext.consoleSocket);
 *     the monitor holds the pty master, logs it as stdout and sizes it (resizePty).
 *   - oomWatch: the monitor runs that OOM watch (runtime/cgroups/oom.ts) and reports each OOM as it happens (onOom).
 *   - The same monitor runs an exec'd process: spawn() with an exec plan and a directory of its own.
 *   - onRuntimeHooks: a plan with a parentHooks step pauses in the monitor; spawn() runs the
 *     prestart and createRuntime hooks through it and tells the monitor to resume or abort.
 *   - A connection that closes while the monitor lives (the monitor drops a client whose socket
 *     is full) is made again while someone waits for the exit or OOMs; the monitor greets it and
 *     repeats an exit that came meanwhile, so nothing but OOM frames of that moment is lost.
 */
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import type { OomWatch } from '../../runtime/cgroups';
import { encodePlan, mkfifo, PlanExecutionError, runProgram, SeccompPrograms, socketPair } from '../../runtime/native';
import { renderRecord } from '../../runtime/plan/render-failure';
import type { PlanFailure } from '../../runtime/plan/failure-record';
import type { InitPlan } from '../../runtime/plan/types';
import { readJsonFile } from '../shared/atomic-file';
import { traced } from '../shared/trace';
import { TsrunError } from '../../common/errors';
import { monitorBinaryPath } from './monitor-binary';
import {
  encodeFrame,
  EVENT,
  EXIT_FILE,
  type CreatedRecord,
  type ExitRecord,
  FrameReader,
  HOOKS,
  parseExitRecord,
  parseStartReport,
  PLAN_FILE,
  REPLY,
  REPORT_FD,
  REQUEST,
  resizeFrame,
  type RuntimeHooksReport,
  SOCKET_FILE,
  type StartReport,
  STATE_FILE,
  STDIN_CLOSED,
  stdinFrames,
} from './monitor-protocol';

export { CONSOLE_FD, type ExitRecord } from './monitor-protocol';
export { monitorBinaryPath } from './monitor-binary';

export interface MonitorSpawnOptions {
  /** The task's directory (exists; the monitor's files go there; plan.exec.fifo may be there). */
  taskDir: string;
  plan: InitPlan;
  /** The container's output, CRI log format; created (0600) unless it exists. */
  logPath: string;
  /** Keep a pipe to the container's stdin (else stdin is /dev/null). */
  stdin: boolean;
  /** The plan has a console step on CONSOLE_FD: the monitor keeps the terminal's master. */
  terminal: boolean;
  /** The container's memory cgroup and how to watch it: report its OOMs as they happen (onOom). */
  oomWatch?: OomWatch | null;
  /**
   * Runs the runtime-namespace hooks (prestart, createRuntime) while init (`pid`) waits at the
   * plan's parentHooks step; init goes on once it resolves. When it rejects the monitor kills
   * init and undoes the start, and spawn() rejects with its error. Required for a plan with a
   * parentHooks step.
   */
  onRuntimeHooks?: (pid: number) => Promise<void>;
}

/** Stdin data or a close came after stdin was closed (CloseIO, or nobody in the container reads it). */
export class StdinClosedError extends TsrunError {
  constructor(
    readonly taskDir: string,
    reason: string,
  ) {
    super(reason, { subject: taskDir });
    this.name = 'StdinClosedError';
  }
}

function monitorError(taskDir: string, reply: string): Error {
  if (reply.startsWith(STDIN_CLOSED)) return new StdinClosedError(taskDir, reply);
  return new Error(`tsrun-monitor (task ${taskDir}): ${reply}`);
}

/** A request failed in one of the monitor's system calls: its failure record, rendered. */
export class MonitorFailureError extends TsrunError {
  constructor(
    readonly taskDir: string,
    readonly failure: PlanFailure,
  ) {
    super(`tsrun-monitor (task ${taskDir}): ${renderRecord(failure)}`, { code: 'internal', subject: taskDir });
    this.name = 'MonitorFailureError';
  }
}

export class MonitorGoneError extends TsrunError {
  constructor(
    readonly taskDir: string,
    readonly monitorPid: number,
  ) {
    super(`the monitor (pid ${monitorPid}) of task ${taskDir} is gone and recorded no exit`, { code: 'internal', subject: taskDir });
    this.name = 'MonitorGoneError';
  }
}

interface Pending {
  resolve(): void;
  reject(err: Error): void;
}

interface Waiter {
  resolve(exit: ExitRecord): void;
  reject(err: Error): void;
}

/** The longest path a unix socket address holds (sun_path less its NUL). */
const MAX_SOCKET_PATH = 107;
/** The filters of the profiles this tsrund compiled: each monitor gets its program in the plan. */
const seccompPrograms = new SeccompPrograms();
/** Connections made again in a row, each closing within REDIAL_WINDOW_MS, before giving up. */
const MAX_REDIALS = 3;
const REDIAL_WINDOW_MS = 1000;

export class Monitor {
  private socket: net.Socket | null = null;
  private exit: ExitRecord | null = null;
  private reader = new FrameReader();
  private readonly pending: Pending[] = [];
  private readonly waiters: Waiter[] = [];
  private readonly oomListeners: (() => void)[] = [];
  private released = false;
  /** close() was called: the connection is not made again. */
  private closing = false;
  /** A connection is being made again (the last one closed with the monitor alive). */
  private redialing = false;
  private redials = 0;
  private connectedAt = 0;
  private stdinConnection: Promise<Monitor> | null = null;

  private constructor(
    readonly taskDir: string,
    /** The container's init pid. */
    readonly pid: number,
    readonly monitorPid: number,
  ) {}

  /**
   * Start a monitor that runs `plan`; resolves once the init is created (and waits on the exec
   * fifo when the plan has one: runtime/native releaseInit starts it).
   * @throws PlanExecutionError when a plan step failed; nothing is left behind then.
   */
  static async spawn(o: MonitorSpawnOptions): Promise<Monitor> {
    const taskDir = path.resolve(o.taskDir);
    const planFile = path.join(taskDir, PLAN_FILE);
    traced('monitor: encode and write the plan', taskDir, () => fs.writeFileSync(planFile, encodePlan(seccompPrograms.withProgram(o.plan)), { mode: 0o600 }));
    const fifo = o.plan.exec.fifo ? path.join(o.plan.exec.fifo.dir, o.plan.exec.fifo.name) : null;
    let report: Awaited<ReturnType<typeof runMonitor>>;
    try {
      if (fifo && !fs.existsSync(fifo)) mkfifo(fifo, 0o622);
      report = await traced('monitor: spawn to its report (exec, clone, init steps)', taskDir, () =>
        runMonitor(taskDir, path.resolve(o.logPath), monitorFlags(o), o.onRuntimeHooks),
      );
    } catch (err) {
      removeFiles([planFile, fifo]);
      throw err;
    }
    // The monitor removed what it made; these two stay only when it failed before reading them.
    if (!('pid' in report)) removeFiles([planFile, fifo]);
    if ('failure' in report) throw new PlanExecutionError(report.failure, o.plan);
    if ('error' in report) throw new Error(`tsrun-monitor (task ${taskDir}): ${renderRecord(report.error)}`);
    const monitor = new Monitor(taskDir, report.pid, report.monitorPid);
    await traced('monitor: connect to its socket', taskDir, () => monitor.connect());
    return monitor;
  }

  /** Reattach to the monitor of `taskDir` (after a tsrund restart). */
  static async attach(taskDir: string): Promise<Monitor> {
    const dir = path.resolve(taskDir);
    const created = readJsonFile<CreatedRecord>(path.join(dir, STATE_FILE));
    if (!created) throw new Error(`no monitor in ${dir}: ${STATE_FILE} is missing`);
    const monitor = new Monitor(dir, created.pid, created.monitorPid);
    try {
      await monitor.connect();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ECONNREFUSED' && code !== 'ENOENT') throw err;
      // The monitor is gone; its exit record (if it lived to write one) says the rest.
      monitor.exit = readExitFile(dir);
      if (!monitor.exit) throw new MonitorGoneError(dir, created.monitorPid);
    }
    return monitor;
  }

  /** How the container's init ended; also when it ended while tsrund was down. */
  wait(): Promise<ExitRecord> {
    if (this.exit) return Promise.resolve(this.exit);
    if (!this.socket && !this.redialing) return Promise.reject(this.goneError());
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.updateRef();
    });
  }

  /**
   * Resolves once the monitor took the data (it buffers 64 KiB; past that this waits until the
   * container reads on). Calls are written in the order they are made. Rejects with
   * StdinClosedError once stdin is closed.
   */
  writeStdin(data: Buffer): Promise<void> {
    return this.stdinRequests(stdinFrames(data));
  }

  /** Close the container's stdin; resolves once everything written before was delivered to it. */
  closeStdin(): Promise<void> {
    return this.stdinRequests([encodeFrame(REQUEST.closeStdin)]);
  }

  private async stdinRequests(frames: Buffer[]): Promise<void> {
    const channel = await this.stdinChannel();
    try {
      await Promise.all(frames.map((frame) => channel.request(frame)));
    } catch (err) {
      // The monitor went (the process was deleted and its monitor released): stdin went with it.
      if (!(err instanceof StdinClosedError) && channel.socket === null) {
        throw new StdinClosedError(this.taskDir, `${STDIN_CLOSED}: the process's monitor went away`);
      }
      throw err;
    }
  }

  /** Size the terminal (TIOCSWINSZ on its master); rejects when the process has none. */
  resizePty(cols: number, rows: number): Promise<void> {
    return this.request(resizeFrame(cols, rows));
  }

  /**
   * Log to a new file at the log path from now on (the old one was renamed away: a rotation);
   * resolves once it is open. Rejects with the failed open's record (MonitorFailureError), the
   * log then being the one it was.
   */
  reopenLog(): Promise<void> {
    return this.request(encodeFrame(REQUEST.reopenLog));
  }

  /** Call `listener` on each OOM of the memory cgroup the monitor watches, as it happens. */
  onOom(listener: () => void): void {
    this.oomListeners.push(listener);
  }

  /**
   * After Delete: the monitor kills the init if it still runs, removes its files (monitor.sock,
   * monitor.json, exit.json, the exec fifo; not the log) and exits. A pending wait() still gets
   * the exit record.
   */
  release(): void {
    this.released = true;
    if (this.socket) return this.sendRelease(this.socket);
    if (!this.redialing) this.removeMonitorFiles(); // else the new connection takes it, or finds the monitor gone
  }

  private sendRelease(socket: net.Socket): void {
    this.pending.push({ resolve: () => undefined, reject: () => undefined });
    socket.write(encodeFrame(REQUEST.release));
    this.updateRef();
  }

  private removeMonitorFiles(): void {
    removeFiles([SOCKET_FILE, STATE_FILE, EXIT_FILE].map((f) => path.join(this.taskDir, f)));
  }

  /** Disconnect, leaving the monitor and its container running (tsrund shutting down). */
  close(): void {
    this.closing = true;
    this.socket?.destroy();
    void this.stdinConnection?.then(
      (channel) => channel.close(),
      () => undefined,
    );
  }

  /**
   * Stdin goes over a connection of its own: the monitor stops reading a connection whose stdin
   * data finds its buffer full, which must not hold back resizes and release behind a container
   * that does not read its input.
   */
  private stdinChannel(): Promise<Monitor> {
    if (!this.socket || this.released) return Promise.reject(new Error(`task ${this.taskDir}: not connected to its monitor`));
    if (!this.stdinConnection) {
      const channel = new Monitor(this.taskDir, this.pid, this.monitorPid);
      this.stdinConnection = channel.connect().then(() => channel);
      this.stdinConnection.catch(() => (this.stdinConnection = null));
    }
    return this.stdinConnection;
  }

  private request(frame: Buffer): Promise<void> {
    const socket = this.socket;
    if (!socket || this.released) return Promise.reject(new Error(`task ${this.taskDir}: not connected to its monitor`));
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.updateRef();
      socket.write(frame);
    });
  }

  private connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const { address, dirFd } = socketAddress(this.taskDir);
      const socket = net.createConnection({ path: address });
      const done = (err?: Error) => {
        if (dirFd !== null) fs.closeSync(dirFd);
        socket.off('error', done);
        if (err) {
          socket.destroy();
          reject(err);
          return;
        }
        this.socket = socket;
        this.reader = new FrameReader();
        this.connectedAt = Date.now();
        socket.on('data', (chunk: Buffer) => this.onData(chunk));
        socket.on('error', () => undefined); // 'close' follows and says what matters
        socket.on('close', () => this.onClose());
        this.updateRef();
        resolve();
      };
      socket.once('connect', () => done());
      socket.once('error', done);
    });
  }

  private onData(chunk: Buffer): void {
    for (const frame of this.reader.push(chunk)) {
      switch (frame.type) {
        case REPLY.ok:
          this.pending.shift()?.resolve();
          break;
        case REPLY.error:
          this.pending.shift()?.reject(monitorError(this.taskDir, frame.payload.toString('utf8')));
          break;
        case REPLY.failure:
          this.pending.shift()?.reject(new MonitorFailureError(this.taskDir, JSON.parse(frame.payload.toString('utf8')) as PlanFailure));
          break;
        case EVENT.exit:
          this.exited(parseExitRecord(frame.payload.toString('utf8')));
          break;
        case EVENT.oom:
          for (const listener of this.oomListeners) listener();
          break;
        case EVENT.created: // the greeting; what it says is known already
        default:
          break;
      }
    }
    this.updateRef();
  }

  private exited(exit: ExitRecord): void {
    this.exit = exit;
    for (const w of this.waiters.splice(0)) w.resolve(exit);
  }

  private onClose(): void {
    this.socket = null;
    const closed = new Error(`task ${this.taskDir}: the connection to its monitor (pid ${this.monitorPid}) closed`);
    for (const p of this.pending.splice(0)) p.reject(closed);
    if (this.exit || this.released) return this.settleGone();
    if (this.closing || (this.waiters.length === 0 && this.oomListeners.length === 0)) return this.settleGone();
    if (Date.now() - this.connectedAt >= REDIAL_WINDOW_MS) this.redials = 0;
    if (this.redials >= MAX_REDIALS) return this.settleGone();
    this.redials++;
    this.redialing = true;
    // The monitor may still be there (it drops a client it cannot write to): ask it again. When it
    // is gone (refused, or its socket removed), its exit file says the rest.
    this.connect().then(
      () => {
        this.redialing = false;
        if (this.released && this.socket) this.sendRelease(this.socket);
      },
      () => {
        this.redialing = false;
        if (this.released) this.removeMonitorFiles();
        this.settleGone();
      },
    );
  }

  /** No connection any more: the exit from the file when the monitor lived to write it, else the waiters fail. */
  private settleGone(): void {
    if (!this.exit && !this.released) {
      const exit = readExitFile(this.taskDir);
      if (exit) this.exited(exit);
    }
    const gone = this.goneError();
    for (const w of this.waiters.splice(0)) w.reject(gone);
  }

  private goneError(): Error {
    const why = this.released ? 'was released' : 'went away';
    return new Error(`task ${this.taskDir}: its monitor (pid ${this.monitorPid}) ${why} before the container's exit was known`);
  }

  /** Keep Node running only while someone waits on the monitor. */
  private updateRef(): void {
    if (!this.socket) return;
    if (this.pending.length > 0 || this.waiters.length > 0) this.socket.ref();
    else this.socket.unref();
  }
}

function monitorFlags(o: MonitorSpawnOptions): string[] {
  return [
    ...(o.stdin ? ['--stdin'] : []),
    ...(o.terminal ? ['--terminal'] : []),
    ...(o.oomWatch ? [`--oom-${o.oomWatch.mechanism}`, o.oomWatch.dir] : []),
  ];
}

/**
 * Run the monitor and read its report (it closes the channel after the last line), answering
 * each runtime-hooks pause on the way with `onRuntimeHooks`'s outcome. Rejects with the hooks'
 * error when they failed.
 */
function runMonitor(taskDir: string, logPath: string, flags: string[], onRuntimeHooks?: (pid: number) => Promise<void>): Promise<Exclude<StartReport, { aborted: true }>> {
  const binary = monitorBinaryPath();
  // Socket pairs: the report comes over one, the answers to pauses go back; stderr is the other.
  const [reportFd, monitorReportFd] = socketPair();
  const [stderrFd, monitorStderrFd] = socketPair();
  const stdio: (number | null)[] = [null, null, monitorStderrFd];
  stdio[REPORT_FD] = monitorReportFd;
  const exited = runProgram(binary, [binary, ...flags, taskDir, logPath], environment(), stdio);
  const channel = new net.Socket({ fd: reportFd, readable: true, writable: true });
  const stderrStream = new net.Socket({ fd: stderrFd, readable: true, writable: false });
  let partial = '';
  let last: StartReport | Error | null = null;
  let hooksError: unknown = null;
  const answer = (pid: number) => {
    const hooks = onRuntimeHooks?.(pid) ?? Promise.reject(new Error(`tsrun-monitor (task ${taskDir}): init stopped for runtime-namespace hooks, and nobody runs them`));
    hooks.then(
      () => channel.write(Buffer.from([HOOKS.resume])),
      (err: unknown) => {
        hooksError = err;
        channel.write(Buffer.from([HOOKS.abort]));
      },
    );
  };
  const readLine = (line: string) => {
    if (!line) return;
    let report: StartReport | RuntimeHooksReport;
    try {
      report = parseStartReport(line);
    } catch (err) {
      last = new Error(`tsrun-monitor: ${(err as Error).message}`);
      return;
    }
    if ('runtimeHooks' in report) answer(report.runtimeHooks.pid);
    else last = report;
  };
  channel.on('data', (b: Buffer) => {
    const complete = (partial + b.toString('utf8')).split('\n');
    partial = complete.pop()!;
    for (const line of complete) readLine(line.trim());
  });
  const stderr: Buffer[] = [];
  stderrStream.on('data', (b: Buffer) => stderr.push(b));
  // Like child_process's 'close': the program exited and both of its channels reached their end
  // (the detached monitor closes them after its report).
  const ended = (socket: net.Socket) => new Promise<void>((resolve) => socket.on('error', () => undefined).once('close', () => resolve()));
  return Promise.all([exited, ended(channel), ended(stderrStream)]).then(
    ([{ code, signal }]) => {
      readLine(partial.trim());
      const report: StartReport | Error | null = last;
      if (report instanceof Error) throw report;
      if (report && 'aborted' in report) throw hooksError ?? new Error(`tsrun-monitor (task ${taskDir}): the start was aborted`);
      if (report) return report;
      const how = signal !== null ? `signal ${signal}` : `exit status ${code}`;
      throw new Error(`tsrun-monitor (task ${taskDir}) ended with ${how} and no report: ${Buffer.concat(stderr).toString('utf8').trim()}`);
    },
    (err: unknown) => {
      channel.destroy();
      stderrStream.destroy();
      throw err;
    },
  );
}

/** This process's environment for a program it starts (TSRUND_TRACE among it). */
function environment(): string[] {
  return Object.entries(process.env).map(([name, value]) => `${name}=${value}`);
}

/**
 * The socket's address: its path, or, when that is too long for sun_path, the path through an
 * fd of the task dir (/proc/self/fd/N/monitor.sock) that the caller closes once connected.
 */
function socketAddress(taskDir: string): { address: string; dirFd: number | null } {
  const address = path.join(taskDir, SOCKET_FILE);
  if (Buffer.byteLength(address) <= MAX_SOCKET_PATH) return { address, dirFd: null };
  const dirFd = fs.openSync(taskDir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  return { address: `/proc/self/fd/${dirFd}/${SOCKET_FILE}`, dirFd };
}

function readExitFile(taskDir: string): ExitRecord | null {
  const file = path.join(taskDir, EXIT_FILE);
  try {
    return parseExitRecord(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

function removeFiles(files: (string | null)[]): void {
  for (const f of files) if (f) fs.rmSync(f, { force: true });
}

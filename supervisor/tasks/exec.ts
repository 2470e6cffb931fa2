/**
 * Processes exec'd into a task (Tasks.Exec), set up as `tsrun exec` sets them up
 * (runtime/lifecycle/exec.ts startExec): the container's process with the request's changes
 * (../containers/process-request.ts, as Containers.Create applies its overrides), an exec plan that
 * joins the container's namespaces and cgroups, run by a tsrun-monitor of its own, so no Node process
 * starts per exec and the process outlives a tsrund restart like the init. Each lives in
 * <task dir>/execs/<exec id>/: the monitor's files, its output log, and exec.json.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Process, Spec } from '../../spec/types';
import { ExecStartError, startExec, type ExecTarget as LifecycleExecTarget } from '../../runtime/lifecycle/exec';
import { signalInit } from '../../runtime/lifecycle/signal-init';
import { TsrunError, hasErrno } from '../../common/errors';
import { PlanError } from '../../runtime/plan/build';
import type { InitPlan } from '../../runtime/plan/types';
import { readProcStat } from '../../runtime/state/proc';
import type { StoredState } from '../../runtime/state/store';
import { makePrivateDir, readJsonFile, writeStateFile } from '../shared/atomic-file';
import { applyProcessRequest } from '../containers/process-request';
import { failedPrecondition, invalidArgument } from '../shared/errors';
import { CONSOLE_FD, Monitor } from './monitor';
import { whenLostProcessGone, type TaskExit } from './record';

const EXEC_RECORD = 'exec.json';
const EXEC_LOG = 'output.log';
const SIGKILL = 9;

export interface ExecRequest {
  execId: string;
  args: string[];
  env: string[];
  cwd: string;
  /** "uid" or "uid:gid" (../containers/process-request.ts); empty: the container's. */
  user: string;
  terminal: boolean;
  /** The terminal's size from the start; 0: the kernel's. */
  consoleWidth: number;
  consoleHeight: number;
  stdin: boolean;
}

export interface ExecRecord {
  execId: string;
  pid: number;
  monitorPid: number;
  /** /proc/<pid>/stat start time: a recycled pid is never signalled. */
  startTime: string;
  terminal: boolean;
  stdin: boolean;
  createdAt: string;
  exit: TaskExit | null;
}

/** The task an exec joins (its rootfs is the bundle's root.path). */
export type ExecTarget = Omit<LifecycleExecTarget, 'rootfs' | 'noNewKeyring'>;

/** The directory of a task's execs. */
export const execsDir = (taskDir: string): string => path.join(taskDir, 'execs');

export class ExecProcess {
  /** Resolves once the exit is recorded. */
  readonly exited: Promise<TaskExit>;
  private onExit!: (exit: TaskExit) => void;

  private constructor(
    readonly record: ExecRecord,
    readonly dir: string,
    readonly monitor: Monitor | null,
  ) {
    this.exited = new Promise((resolve) => (this.onExit = resolve));
    if (record.exit) this.onExit(record.exit);
  }

  get logPath(): string {
    return path.join(this.dir, EXEC_LOG);
  }

  /**
   * Start `req` in the task. INVALID_ARGUMENT for a process the plan cannot express,
   * FAILED_PRECONDITION when it cannot run here (a missing binary) or the init is gone; a failed
   * start leaves nothing (no process, no monitor, no directory).
   */
  static async start(taskDir: string, target: ExecTarget, req: ExecRequest): Promise<ExecProcess> {
    const proc = execProcessFor(target.spec, req);
    makePrivateDir(execsDir(taskDir));
    const dir = path.join(execsDir(taskDir), req.execId);
    fs.mkdirSync(dir, { mode: 0o700 });
    let monitor: Monitor | null = null;
    try {
      monitor = await startExecMonitor(dir, target, proc, req);
      const record: ExecRecord = {
        execId: req.execId,
        pid: monitor.pid,
        monitorPid: monitor.monitorPid,
        startTime: readProcStat(monitor.pid)?.startTime ?? '',
        terminal: req.terminal,
        stdin: req.stdin,
        createdAt: new Date().toISOString(),
        exit: null,
      };
      writeStateFile(path.join(dir, EXEC_RECORD), JSON.stringify(record));
      const exec = new ExecProcess(record, dir, monitor);
      exec.watch();
      return exec;
    } catch (err) {
      // The monitor kills the process and goes.
      monitor?.release();
      fs.rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** Every exec of a task back after a tsrund restart (or null for a directory without a record). */
  static async recoverAll(taskDir: string, onLost: (execId: string, why: string) => void): Promise<ExecProcess[]> {
    const dir = execsDir(taskDir);
    if (!fs.existsSync(dir)) return [];
    const found = await Promise.all(
      fs.readdirSync(dir).map(async (name) => {
        const execDir = path.join(dir, name);
        const record = readJsonFile<ExecRecord>(path.join(execDir, EXEC_RECORD));
        if (!record) {
          fs.rmSync(execDir, { recursive: true, force: true });
          return null;
        }
        const monitor = await Monitor.attach(execDir).catch(() => null);
        const exec = new ExecProcess(record, execDir, monitor);
        if (record.exit) return exec;
        if (monitor) exec.watch();
        else exec.lost(`its monitor is gone and recorded no exit`, onLost);
        return exec;
      }),
    );
    return found.filter((e): e is ExecProcess => e !== null);
  }

  signal(signal: number): void {
    if (this.record.exit) throw failedPrecondition(`exec ${this.record.execId} has exited`);
    try {
      signalInit({ pid: this.record.pid, initStartTime: this.record.startTime } as StoredState, signal);
    } catch (err) {
      if (err instanceof TsrunError) throw failedPrecondition(`exec ${this.record.execId}: not running`);
      throw err;
    }
  }

  monitorOf(): Monitor {
    if (!this.monitor) throw failedPrecondition(`exec ${this.record.execId} has lost its monitor`);
    return this.monitor;
  }

  /** The monitor goes (it kills the process if it still runs); the directory and log too. */
  remove(): void {
    this.monitor?.release();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** Disconnect, leaving the monitor and the process running (tsrund stopping). */
  close(): void {
    this.monitor?.close();
  }

  private watch(): void {
    this.monitor!.wait().then(
      (exit) => this.recordExit({ exitStatus: exit.exitStatus, exitedAt: exit.exitedAt }),
      (err: Error) => this.lost(err.message, () => undefined),
    );
  }

  /** The monitor died first: kill the process (its stdio went with the monitor); the exit reads 255. */
  private lost(why: string, onLost: (execId: string, why: string) => void): void {
    onLost(this.record.execId, why);
    try {
      signalInit({ pid: this.record.pid, initStartTime: this.record.startTime } as StoredState, SIGKILL);
    } catch (err) {
      if (!(err instanceof TsrunError)) throw err; // its "not running": gone already
    }
    whenLostProcessGone(this.record.pid, this.record.startTime, (exit) => this.recordExit(exit));
  }

  private recordExit(exit: TaskExit): void {
    if (this.record.exit) return;
    this.record.exit = exit;
    try {
      writeStateFile(path.join(this.dir, EXEC_RECORD), JSON.stringify(this.record));
    } catch (err) {
      // removed meanwhile (the task was deleted): the exit is still known in memory
      if (!hasErrno(err, 'ENOENT')) throw err;
    }
    this.onExit(exit);
  }
}

/** The process of an exec: the container's, with the request's args, env, cwd, user and terminal. */
function execProcessFor(spec: Spec, req: ExecRequest): Process {
  if (req.args.length === 0) throw invalidArgument('args', 'must name the program to run');
  if (!spec.process) throw failedPrecondition("the container's config has no process to exec from");
  const proc = applyProcessRequest(spec.process, req, '');
  // As `tsrun exec`: no terminal unless asked for.
  proc.terminal = req.terminal;
  if (req.terminal && req.consoleWidth > 0 && req.consoleHeight > 0) proc.consoleSize = { width: req.consoleWidth, height: req.consoleHeight };
  return proc;
}

/**
 * The exec's set-up is tsrun exec's (runtime/lifecycle/exec.ts); only the spawn differs: a
 * monitor of the exec's own runs the plan. A failed start leaves no process and no monitor.
 */
async function startExecMonitor(dir: string, target: ExecTarget, proc: Process, req: ExecRequest): Promise<Monitor> {
  const rootfs = path.resolve(target.bundle, target.spec.root?.path ?? 'rootfs');
  const spawn = async (plan: InitPlan) => {
    const monitor = await Monitor.spawn({ taskDir: dir, plan, logPath: path.join(dir, EXEC_LOG), stdin: req.stdin, terminal: req.terminal });
    // The monitor kills the process and goes.
    return { monitor, pid: monitor.pid, discard: async () => monitor.release() };
  };
  try {
    const setup = { process: proc, preserveFds: 0, consoleSocket: proc.terminal ? CONSOLE_FD : null, subCgroups: [] };
    return (await startExec({ ...target, rootfs }, setup, spawn)).monitor;
  } catch (err) {
    if (err instanceof PlanError) throw invalidArgument(err.path.replace(/^process\./, ''), err.reason);
    if (err instanceof ExecStartError) {
      throw failedPrecondition(err.stopped ? `task ${target.id} has stopped: cannot exec in it` : `exec ${req.execId}: ${err.detail}`);
    }
    throw err;
  }
}

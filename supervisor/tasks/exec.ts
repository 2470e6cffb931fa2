/**
 * Processes exec'd into a task (Tasks.Exec), as `tsrun exec` runs them: the container's process
 * with the request's changes (runtime/plan/exec-plan.ts execProcess), an exec plan that joins the
 * container's namespaces and cgroups, run by a tsrun-monitor of its own, so no Node process
 * starts per exec and the process outlives a tsrund restart like the init. Each lives in
 * <task dir>/execs/<exec id>/: the monitor's files, its output log, and exec.json.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Process, Spec } from '../../spec/types';
import type { CgroupManager } from '../../runtime/cgroups';
import { containerNamespaces } from '../../runtime/container/exec';
import { readHostFacts } from '../../runtime/container/host-facts';
import { signalInit } from '../../runtime/container/signal-init';
import { ContainerError, hasErrno } from '../../runtime/errors';
import { PlanExecutionError } from '../../runtime/native';
import { buildExecPlan, execProcess } from '../../runtime/plan/exec-plan';
import { PlanError } from '../../runtime/plan/build';
import { renderFailure } from '../../runtime/plan/render-failure';
import type { InitPlan } from '../../runtime/plan/types';
import { isSameLiveProcess, readProcStat } from '../../runtime/state/proc';
import type { StoredState } from '../../runtime/state/store';
import { makePrivateDir, readJsonFile, writeFileAtomic } from '../atomic-file';
import { failedPrecondition, invalidArgument } from '../errors';
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
  /** "uid" or "uid:gid"; empty: the container's. */
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

/** The task an exec joins. */
export interface ExecTarget {
  id: string;
  spec: Spec;
  bundle: string;
  initPid: number;
  initStartTime: string;
  cgroups: CgroupManager;
}

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
    const plan = execPlan(target, execProcessFor(target.spec, req));
    makePrivateDir(execsDir(taskDir));
    const dir = path.join(execsDir(taskDir), req.execId);
    fs.mkdirSync(dir, { mode: 0o700 });
    let monitor: Monitor | null = null;
    try {
      monitor = await spawnExecMonitor(dir, plan, req, target);
      // The namespaces were opened by the init's pid: had it died and its pid been reused, the
      // process would be in a stranger's namespaces (as tsrun exec checks).
      if (!isSameLiveProcess(target.initPid, target.initStartTime)) {
        throw failedPrecondition(`task ${target.id} has stopped: cannot exec in it`);
      }
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
      writeFileAtomic(path.join(dir, EXEC_RECORD), JSON.stringify(record));
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
      if (err instanceof ContainerError) throw failedPrecondition(`exec ${this.record.execId}: not running`);
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
      if (!(err instanceof ContainerError)) throw err; // its "not running": gone already
    }
    whenLostProcessGone(this.record.pid, this.record.startTime, (exit) => this.recordExit(exit));
  }

  private recordExit(exit: TaskExit): void {
    if (this.record.exit) return;
    this.record.exit = exit;
    try {
      writeFileAtomic(path.join(this.dir, EXEC_RECORD), JSON.stringify(this.record));
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
  req.env.forEach((e, i) => {
    if (!e.includes('=') || e.startsWith('=')) throw invalidArgument(`env[${i}]`, `${JSON.stringify(e.slice(0, 80))} is not NAME=VALUE`);
  });
  let proc: Process;
  try {
    proc = execProcess(spec.process, {
      args: req.args,
      env: req.env,
      cwd: req.cwd || undefined,
      user: req.user || undefined,
      tty: req.terminal,
      additionalGids: [],
      caps: [],
    });
  } catch (err) {
    if (err instanceof ContainerError) throw invalidArgument('user', err.message);
    throw err;
  }
  if (req.terminal && req.consoleWidth > 0 && req.consoleHeight > 0) proc.consoleSize = { width: req.consoleWidth, height: req.consoleHeight };
  return proc;
}

function execPlan(target: ExecTarget, proc: Process): InitPlan {
  const spec = target.spec;
  try {
    return buildExecPlan(proc, spec, {
      ...readHostFacts(),
      preserveFds: 0,
      // Joins the container's session keyring, _ses.<id>.
      containerId: target.id,
      consoleSocket: proc.terminal ? CONSOLE_FD : null,
      namespaces: containerNamespaces(target.initPid),
      containerRoot: `/proc/${target.initPid}/root`,
      cgroupProcsFiles: target.cgroups.placement().procsFiles,
      agent: {
        state: { ociVersion: spec.ociVersion, id: target.id, status: 'running', bundle: target.bundle, annotations: spec.annotations ?? {} },
        containerPid: target.initPid,
      },
    });
  } catch (err) {
    if (err instanceof PlanError) throw invalidArgument(err.path.replace(/^process\./, ''), err.reason);
    throw err;
  }
}

async function spawnExecMonitor(dir: string, plan: InitPlan, req: ExecRequest, target: ExecTarget): Promise<Monitor> {
  try {
    return await Monitor.spawn({ taskDir: dir, plan, logPath: path.join(dir, EXEC_LOG), stdin: req.stdin, terminal: req.terminal });
  } catch (err) {
    if (err instanceof PlanExecutionError) {
      throw failedPrecondition(`exec ${req.execId}: ${renderFailure(plan, err.failure, { rootfs: path.resolve(target.bundle, target.spec.root?.path ?? 'rootfs') })}`);
    }
    throw err;
  }
}

/**
 * The tasks tsrund runs: one per container, each under its own monitor process (./monitor.ts).
 * The container work is the runtime's lifecycle (runtime/lifecycle: create, start, kill, delete,
 * pause and resume, with a monitor as the spawner); this keeps the task bookkeeping (records,
 * monitors, events, recovery) and words the failures as gRPC statuses. Nothing here shells out to
 * tsrun. Every change is written to the task's record before it is reported, so a
 * restarted tsrund (recover()) knows every task and reports each exit exactly once. Processes
 * exec'd into a task run under monitors of their own (./exec.ts); a task's OOMs are published as
 * its monitor reports them.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { LinuxResources, Spec } from '../../spec/types';
import { OCI_VERSION } from '../../spec/default-config';
import { loadCgroupManager, oomCount, oomWatchOf, type CgroupManager } from '../../runtime/cgroups';
import { destroyCgroups, killAllAndThaw, SIGKILL } from '../../runtime/lifecycle/cgroup-waits';
import { createInit, hasMountNamespace, type CreatedInit } from '../../runtime/lifecycle/create';
import { KILL_TIMEOUT_MS, removeContainer } from '../../runtime/lifecycle/delete';
import { asyncHookRunner } from '../../runtime/lifecycle/hooks';
import { checkHookPrograms } from '../../runtime/hooks/check';
import { PlanError } from '../../runtime/plan/build';
import { signalContainer } from '../../runtime/lifecycle/kill';
import { freezeContainer, thawContainer } from '../../runtime/lifecycle/pause';
import type { Spawned, Spawner } from '../../runtime/lifecycle/spawner';
import { startInit } from '../../runtime/lifecycle/start';
import { updateResources } from '../../runtime/lifecycle/update';
import type { RootfsOverlay } from '../../runtime/plan/types';
import { isContainers, readInitNamespaces } from '../../runtime/state/own-processes';
import type { StatsResponse, Task } from '../api/types';
import { timestampFromRfc3339 } from '../api/timestamp';
import type { Logger } from '../shared/logger';
import { failedPrecondition, invalidArgument, notFound, TsrunError } from '../shared/errors';
import type { EventBus } from '../events/bus';
import { makePrivateDir } from '../shared/atomic-file';
import { laps, traced } from '../shared/trace';
import { withTimeout } from '../shared/with-timeout';
import { readStats, readTaskCgroups } from './cgroup-stats';
import { readPressure, type CgroupPressure } from '../../runtime/cgroups/pressure';
import type { Stats } from '../../runtime/cgroups/stats';
import { ExecProcess, type ExecRequest } from './exec';
import { CONSOLE_FD, Monitor, StdinClosedError } from './monitor';
import { LOST_EXIT_STATUS, readTaskRecord, TaskExit, taskStatus, TaskRecord, whenLostProcessGone, writeTaskRecord } from './record';


interface LiveTask {
  record: TaskRecord;
  dir: string;
  monitor: Monitor | null;
  cgroups: CgroupManager | null;
  /** Resolves once the exit is recorded. */
  exited: Promise<TaskExit>;
  onExit: (exit: TaskExit) => void;
  execs: Map<string, ExecProcess>;
  /** OOM events published for this task so far. */
  ooms: number;
  /** Found again after a restart: its exit may be in the event journal already. */
  recovered: boolean;
}

/** A task's init, spawned under its monitor. */
type TaskSpawned = Spawned & { monitor: Monitor };

/** Which process of a task a request is about: its init ('' exec id) or one exec'd into it. */
export interface ProcessRef {
  id: string;
  execId: string;
}

export interface TaskCreateOptions {
  id: string;
  /** The container's config (overrides applied) and its absolute bundle directory. */
  spec: Spec;
  bundle: string;
  logPath: string;
  stdin: boolean;
  /** An image container's overlay, mounted onto the rootfs inside the container's mount namespace. */
  rootfsMount?: RootfsOverlay | null;
}

export class TaskManager {
  private readonly tasks = new Map<string, LiveTask>();
  private readonly dir: string;

  constructor(
    stateDir: string,
    private readonly events: EventBus,
    private readonly log: Logger,
  ) {
    this.dir = path.join(stateDir, 'tasks');
  }

  has(id: string): boolean {
    return this.tasks.has(id);
  }

  async create(o: TaskCreateOptions): Promise<Task> {
    if (this.tasks.has(o.id)) throw failedPrecondition(`container ${o.id} already has a task (delete it first)`);
    const trace = laps(o.id);
    checkTaskHooks(o.spec);
    makePrivateDir(this.dir);
    const dir = path.join(this.dir, o.id);
    try {
      // 0711: the init opens the exec fifo inside (by a directory fd) after it became the
      // container's user, in a user namespace or not; the state directory above is 0700.
      fs.mkdirSync(dir, { mode: 0o711 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw failedPrecondition(`task directory ${dir} exists already`);
      throw err;
    }
    const terminal = o.spec.process?.terminal === true;
    const record: TaskRecord = {
      id: o.id,
      pid: 0,
      monitorPid: 0,
      initStartTime: '',
      cgroups: null,
      terminal,
      stdin: o.stdin,
      createdAt: new Date().toISOString(),
      started: false,
      exit: null,
    };
    let init: CreatedInit<TaskSpawned>;
    try {
      // tsrun records and unmounts what init mounts in the caller's namespace; tsrund's monitors do
      // not, and such mounts would land in the daemon's own namespace.
      if (!hasMountNamespace(o.spec)) {
        throw invalidArgument('spec linux.namespaces', 'tsrund runs a container only in a mount namespace of its own: add {"type": "mount"}');
      }
      init = await createInit(
        {
          id: o.id,
          spec: o.spec,
          bundle: o.bundle,
          rootfs: path.resolve(o.bundle, o.spec.root?.path ?? 'rootfs'),
          stateDir: dir,
          // A flat default name: a parent shared by tasks would be nobody's to remove.
          cgroupsPath: o.spec.linux?.cgroupsPath || `tsrund-${o.id}`,
          choices: { consoleSocket: terminal ? CONSOLE_FD : null, rootfsMount: o.rootfsMount },
          hookSubject: { ociVersion: OCI_VERSION, id: o.id, bundle: o.bundle, annotations: o.spec.annotations },
        },
        this.monitorSpawner(o, dir, terminal),
        {
          // Recorded before they are made, so that a create killed half-way leaves them to recovery.
          cgroupsIntended: (intended) => {
            trace.lap('task create: checks, plan');
            writeTaskRecord(dir, { ...record, cgroups: intended });
          },
          cgroupsMade: (made) => {
            trace.lap('task create: cgroups (with the record of the intended ones)');
            record.cgroups = made;
            writeTaskRecord(dir, record);
          },
          initCreated: ({ pid, spawned, initStartTime, initNamespaces }) => {
            trace.lap('task create: init spawned under its monitor (with the record of the cgroups made)');
            Object.assign(record, { pid, monitorPid: spawned.monitor.monitorPid, initStartTime, initNamespaces });
            writeTaskRecord(dir, record);
          },
          // Resources this host's cgroups refuse (a device it lacks, a value out of range) are FAILED_PRECONDITION, as a plan that fails here.
          cgroupsRefused: (err) => failedPrecondition(err.message),
          // A config value the plan cannot express is the client's to fix: INVALID_ARGUMENT naming it.
          planRefused: (err) => invalidArgument(`spec ${err.path}`, err.reason),
          // A plan that fails on this host (a missing binary, EPERM on a mount) is FAILED_PRECONDITION.
          spawnFailed: (message) => failedPrecondition(message),
          // A hook of the config that fails on this host is too.
          hookFailed: (err) => failedPrecondition(err.message),
          hookRunner: asyncHookRunner,
          warn: (note) => this.log.warn(`task ${o.id}: ${note}`),
        },
      );
    } catch (err) {
      fs.rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    const { spawned: { monitor }, cgroups } = init;
    const task = this.track(record, dir, monitor, cgroups);
    this.watch(task);
    trace.lap('task create: record of the init');
    this.events.publish('create', o.id, { pid: record.pid });
    trace.lap('task create: event');
    return this.describe(task);
  }

  /** The lifecycle's spawner for a task: its init runs under a monitor that stays with it. */
  private monitorSpawner(o: TaskCreateOptions, taskDir: string, terminal: boolean): Spawner<TaskSpawned> {
    return {
      async spawn(plan, _ctx, { cgroups, onRuntimeHooks }) {
        const monitor = await Monitor.spawn({ taskDir, plan, logPath: o.logPath, stdin: o.stdin, terminal, oomWatch: oomWatchOf(cgroups), onRuntimeHooks });
        return { pid: monitor.pid, monitor, discard: () => killAndRelease(monitor, cgroups) };
      },
    };
  }

  /** A create that did not finish before tsrund stopped leaves nothing: no init, no monitor, no cgroup, no directory. */
  private async undoCreate(dir: string, cgroups: CgroupManager | null, monitor: Monitor | null): Promise<void> {
    try {
      if (monitor) await killAndRelease(monitor, cgroups);
      if (cgroups) await destroyCgroups(cgroups);
    } catch (err) {
      this.log.error(`undoing a failed create in ${dir}: ${(err as Error).message}`);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }

  async start(id: string): Promise<Task> {
    const task = this.get(id);
    const status = this.statusOf(task);
    if (status !== 'CREATED') throw failedPrecondition(`task ${id} is ${status.toLowerCase()}, not created: it cannot be started`);
    await traced('task start: release the init (record, event included)', id, () => startInit(task.dir, task.record.pid, {
      // Init leaves without the start byte when a startContainer hook fails: its stderr, the task's log, says why.
      initGone: () => failedPrecondition(`task ${id}: the init exited before start (a startContainer hook failed, the process could not be run, or it was killed: see the task's log)`),
      released: () => {
        task.record.started = true;
        writeTaskRecord(task.dir, task.record);
        this.events.publish('start', id, { pid: task.record.pid });
      },
      hookRunner: asyncHookRunner,
      warn: (message) => this.log.warn(`task ${id}: ${message}`),
    }));
    return this.describe(task);
  }

  async kill(ref: ProcessRef, signal: number, all: boolean): Promise<void> {
    const { id } = ref;
    const task = this.get(id);
    if (ref.execId) return this.execOf(task, ref.execId).signal(signal);
    const status = this.statusOf(task);
    if (status === 'STOPPED') throw failedPrecondition(`task ${id} is not running`);
    const { pid, initStartTime, initNamespaces } = task.record;
    try {
      await signalContainer({ pid, initStartTime, initNamespaces, cgroups: () => this.cgroupsOf(task) }, signal, all, status === 'PAUSED');
    } catch (err) {
      if (err instanceof TsrunError) throw failedPrecondition(`task ${id}: ${err.message}`);
      throw err;
    }
  }

  async delete(ref: ProcessRef, force: boolean): Promise<{ pid: number; exit: TaskExit }> {
    const { id } = ref;
    const task = this.get(id);
    if (ref.execId) return this.deleteExec(task, ref.execId, force);
    const status = this.statusOf(task);
    if ((status === 'RUNNING' || status === 'PAUSED') && !force) {
      throw failedPrecondition(`task ${id} is ${status.toLowerCase()}: kill it first, or delete with force`);
    }
    await traced('task delete: remove the container (cgroups, state)', id, () => removeContainer({ stateDir: task.dir, initNamespaces: task.record.initNamespaces, cgroups: task.cgroups }, !task.record.exit, {
      initExited: async (timeoutMs) => (await withTimeout(task.exited, timeoutMs)) !== undefined,
      notGone: () => new TsrunError(`task ${id} did not exit after SIGKILL`, { code: 'internal' }),
      strangersLeft: (message) => failedPrecondition(`task ${id}: ${message}`),
      // Every exec'd process was in those cgroups: wait for their monitors to record the ends.
      beforeCgroupsGo: async () => {
        await Promise.all([...task.execs.values()].map((e) => withTimeout(e.exited, KILL_TIMEOUT_MS)));
        for (const e of task.execs.values()) e.remove();
      },
      removeState: () => {
        task.monitor?.release();
        fs.rmSync(task.dir, { recursive: true, force: true });
        this.tasks.delete(id);
      },
      hookRunner: asyncHookRunner,
      warn: (message) => this.log.warn(`task ${id}: ${message}`),
    }));
    const exit = task.record.exit!;
    this.events.publish('delete', id, { pid: task.record.pid, exitStatus: exit.exitStatus });
    return { pid: task.record.pid, exit };
  }

  async wait(ref: ProcessRef): Promise<TaskExit> {
    const task = this.get(ref.id);
    if (ref.execId) return this.execOf(task, ref.execId).exited;
    return task.record.exit ?? task.exited;
  }

  /** Run another process in the task (Tasks.Exec); resolves with its pid once it runs. */
  async exec(id: string, req: ExecRequest, container: { spec: Spec; bundle: string }): Promise<number> {
    const task = this.get(id);
    const status = this.statusOf(task);
    if (status !== 'RUNNING' && status !== 'CREATED') throw failedPrecondition(`task ${id} is ${status.toLowerCase()}: cannot exec in it`);
    if (task.execs.has(req.execId)) throw new TsrunError(`exec ${req.execId} already exists in task ${id}`, { code: 'already-exists' });
    const { spec, bundle } = container;
    const exec = await ExecProcess.start(task.dir, {
      id,
      spec,
      bundle,
      initPid: task.record.pid,
      initStartTime: task.record.initStartTime,
      status: status === 'CREATED' ? 'created' : 'running',
      cgroups: this.cgroupsOf(task),
    }, req);
    task.execs.set(req.execId, exec);
    this.log.debug(`task ${id}: exec ${req.execId} started, pid ${exec.record.pid}`);
    return exec.record.pid;
  }

  /** An exec'd process that exited (or, with `force`, one that runs: killed first) goes. */
  private async deleteExec(task: LiveTask, execId: string, force: boolean): Promise<{ pid: number; exit: TaskExit }> {
    const exec = this.execOf(task, execId);
    if (!exec.record.exit) {
      if (!force) throw failedPrecondition(`exec ${execId} is running: kill it first, or delete with force`);
      exec.signal(SIGKILL);
      if (!(await withTimeout(exec.exited, KILL_TIMEOUT_MS))) throw new TsrunError(`exec ${execId} did not exit after SIGKILL`, { code: 'internal' });
    }
    exec.remove();
    task.execs.delete(execId);
    return { pid: exec.record.pid, exit: exec.record.exit! };
  }

  async pause(id: string): Promise<void> {
    const task = this.get(id);
    const status = this.statusOf(task);
    if (status !== 'RUNNING' && status !== 'CREATED')
      throw failedPrecondition(`task ${id} is ${status.toLowerCase()}: only a running task can be paused`);
    await freezeContainer(this.cgroupsOf(task));
    this.events.publish('pause', id, { pid: task.record.pid });
  }

  async resume(id: string): Promise<void> {
    const task = this.get(id);
    const status = this.statusOf(task);
    if (status !== 'PAUSED') throw failedPrecondition(`task ${id} is ${status.toLowerCase()}, not paused`);
    await thawContainer(this.cgroupsOf(task));
    this.events.publish('resume', id, { pid: task.record.pid });
  }

  pids(id: string): number[] {
    return this.cgroupsOf(this.get(id)).pids();
  }

  stats(id: string): StatsResponse {
    const task = this.get(id);
    return readStats(this.cgroupsOf(task));
  }

  /** `change` over `current` written to a live task's cgroups, as `tsrun update` does; returns the settings ignored. */
  updateResources(id: string, current: LinuxResources | undefined, change: LinuxResources): string[] {
    const task = this.get(id);
    const status = this.statusOf(task);
    if (status === 'STOPPED') throw failedPrecondition(`task ${id} has exited: there are no cgroups to update`);
    return updateResources(this.cgroupsOf(task), current, change).warnings;
  }

  /** The pressure stall figures of the task's cgroup (cgroup v2's; none on a v1-only host). */
  cgroupPressure(id: string): CgroupPressure {
    return readPressure(this.cgroupsOf(this.get(id)));
  }

  /** The task's whole cgroup reading (the CRI's stats need memory.stat's counters). */
  cgroupStats(id: string): Stats {
    return readTaskCgroups(this.cgroupsOf(this.get(id)));
  }

  async resizePty(ref: ProcessRef, cols: number, rows: number): Promise<void> {
    const p = this.processOf(ref);
    if (!p.terminal) throw failedPrecondition(`${p.name} has no terminal`);
    if (cols === 0 || rows === 0 || cols > 0xffff || rows > 0xffff) throw invalidArgument('width/height', 'must be 1..65535');
    await p.monitor().resizePty(cols, rows);
  }

  /** The task's init logs to a new file at its log path from now on (the old one was rotated away). */
  reopenLog(id: string): Promise<void> {
    return this.monitorOf(this.get(id)).reopenLog();
  }

  /** Resolves once every byte written before was delivered to the process's stdin, and it is closed. */
  async closeStdin(ref: ProcessRef): Promise<void> {
    const p = this.processOf(ref);
    if (!p.stdin) throw failedPrecondition(`${p.name} was created without stdin`);
    await stdinRequest(p.name, p.monitor().closeStdin());
  }

  /** Resolves once the process's monitor took `data`; writes are delivered in the order of the calls. */
  async writeStdin(ref: ProcessRef, data: Buffer): Promise<void> {
    const p = this.processOf(ref);
    if (!p.stdin) throw failedPrecondition(`${p.name} was created without stdin`);
    if (p.exited) throw failedPrecondition(`${p.name} has stopped`);
    await stdinRequest(p.name, p.monitor().writeStdin(data));
  }

  /** The log of an exec'd process (a container's own log is the container store's). */
  execLogPath(ref: ProcessRef): string {
    return this.execOf(this.get(ref.id), ref.execId).logPath;
  }

  describeById(id: string): Task {
    return this.describe(this.get(id));
  }

  list(): Task[] {
    return [...this.tasks.values()].map((t) => this.describe(t)).sort((a, b) => a.id.localeCompare(b.id));
  }

  /** True while the task (or the exec'd process) has not exited (Logs follows until then). */
  isLive(ref: ProcessRef): boolean {
    const task = this.tasks.get(ref.id);
    if (!task) return false;
    if (ref.execId) return task.execs.get(ref.execId)?.record.exit === null;
    return task.record.exit === null;
  }

  /**
   * After a (re)start: every task directory back in the table, each live monitor re-attached,
   * exits that happened meanwhile recorded and published; creates that never finished undone.
   */
  async recover(): Promise<void> {
    if (!fs.existsSync(this.dir)) return;
    await Promise.all(fs.readdirSync(this.dir).map((id) => this.recoverOne(id, path.join(this.dir, id))));
  }

  private async recoverOne(id: string, dir: string): Promise<void> {
    let record: TaskRecord | null = null;
    try {
      record = readTaskRecord(dir);
    } catch (err) {
      this.log.error(`task ${id}: unreadable record (${(err as Error).message}); removing it`);
    }
    const monitor = record
      ? await Monitor.attach(dir).catch((err: Error) => {
          this.log.warn(`task ${id}: cannot reattach (${err.message})`);
          return null;
        })
      : null;
    const cgroups = record?.cgroups ? loadCgroupManager(record.cgroups) : null;
    if (!record || record.pid === 0) {
      this.log.warn(`task ${id}: its create did not finish before tsrund stopped; removing it`);
      await this.undoCreate(dir, cgroups, monitor);
      return;
    }
    const task = this.track(record, dir, monitor, cgroups);
    task.recovered = true;
    const execs = await ExecProcess.recoverAll(dir, (execId, why) => this.log.error(`task ${id}: exec ${execId}: ${why}; killing it`));
    for (const e of execs) task.execs.set(e.record.execId, e);
    if (record.exit) return;
    if (monitor) this.watch(task);
    else this.lost(task, 'its monitor is gone and recorded no exit');
  }

  /** Disconnect from every monitor, leaving them and their containers running (tsrund stopping). */
  closeAll(): void {
    for (const task of this.tasks.values()) {
      task.monitor?.close();
      for (const e of task.execs.values()) e.close();
    }
  }

  private track(record: TaskRecord, dir: string, monitor: Monitor | null, cgroups: CgroupManager | null): LiveTask {
    let onExit!: (exit: TaskExit) => void;
    const exited = new Promise<TaskExit>((resolve) => (onExit = resolve));
    const task: LiveTask = { record, dir, monitor, cgroups, exited, onExit, execs: new Map(), ooms: 0, recovered: false };
    if (record.exit) onExit(record.exit);
    this.tasks.set(record.id, task);
    return task;
  }

  private watch(task: LiveTask): void {
    task.monitor!.onOom(() => this.publishOom(task));
    task.monitor!.wait().then(
      (exit) => {
        traced('task exit: record, event', task.record.id, () => this.recordExit(task, { exitStatus: exit.exitStatus, exitedAt: exit.exitedAt }));
      },
      (err: Error) => this.lost(task, err.message),
    );
  }

  /**
   * The monitor died before the exit was known: the container is out of reach (its stdio went
   * with the monitor), so it is killed, and its exit recorded as unknown (255) once it is gone.
   */
  private lost(task: LiveTask, why: string): void {
    this.log.error(`task ${task.record.id}: ${why}; killing it, its exit status will read ${LOST_EXIT_STATUS}`);
    const killed = task.cgroups ? killAllAndThaw(task.cgroups, isContainers(task.record.initNamespaces)) : Promise.resolve();
    killed.catch((err: Error) => this.log.error(`task ${task.record.id}: ${err.message}`));
    whenLostProcessGone(task.record.pid, task.record.initStartTime, (exit) => this.recordExit(task, exit));
  }

  private recordExit(task: LiveTask, exit: TaskExit): void {
    if (task.record.exit || this.tasks.get(task.record.id) !== task) return;
    const { id, pid } = task.record;
    // OOM kills the monitor could not report (it was not watching, or tsrund was down then).
    const kills = task.cgroups ? (oomCount(task.cgroups) ?? 0) : 0;
    while (task.ooms < kills) this.publishOom(task);
    task.record.exit = exit;
    // Journaled before the record says so: a tsrund killed between the two finds it in the
    // journal (and does not publish it twice); one killed before either publishes it at start-up.
    if (!(task.recovered && this.exitJournaled(task))) this.events.publish('exit', id, { pid, exitStatus: exit.exitStatus });
    try {
      writeTaskRecord(task.dir, task.record);
    } catch (err) {
      this.log.error(`task ${id}: could not record its exit (${(err as Error).message})`);
    }
    this.log.debug(`task ${id}: exited with status ${exit.exitStatus}`);
    task.onExit(exit);
  }

  /** Whether the journal holds this task's exit already (published by the tsrund before this one). */
  private exitJournaled(task: LiveTask): boolean {
    const { id, pid, createdAt } = task.record;
    const created = Date.parse(createdAt);
    const found = this.events.findJournaled(
      (e) => e.type === 'exit' && e.id === id && e.pid === pid && e.timestamp!.seconds * 1000 + e.timestamp!.nanos / 1e6 >= created,
    );
    return found !== null;
  }

  private publishOom(task: LiveTask): void {
    task.ooms++;
    this.events.publish('oom', task.record.id, { pid: task.record.pid });
  }

  private get(id: string): LiveTask {
    const task = this.tasks.get(id);
    if (!task) throw notFound(`task ${id}`);
    return task;
  }

  private cgroupsOf(task: LiveTask): CgroupManager {
    if (!task.cgroups) throw new TsrunError(`task ${task.record.id} has no cgroups record`, { code: 'internal' });
    return task.cgroups;
  }

  private execOf(task: LiveTask, execId: string): ExecProcess {
    const exec = task.execs.get(execId);
    if (!exec) throw notFound(`exec ${execId} of task ${task.record.id}`);
    return exec;
  }

  /** What stdio requests need of the init or of an exec'd process. */
  private processOf(ref: ProcessRef): { name: string; terminal: boolean; stdin: boolean; exited: boolean; monitor: () => Monitor } {
    const task = this.get(ref.id);
    if (!ref.execId) {
      const r = task.record;
      return { name: `task ${r.id}`, terminal: r.terminal, stdin: r.stdin, exited: r.exit !== null, monitor: () => this.monitorOf(task) };
    }
    const exec = this.execOf(task, ref.execId);
    const r = exec.record;
    return { name: `exec ${r.execId}`, terminal: r.terminal, stdin: r.stdin, exited: r.exit !== null, monitor: () => exec.monitorOf() };
  }

  private monitorOf(task: LiveTask): Monitor {
    if (!task.monitor) throw failedPrecondition(`task ${task.record.id} has lost its monitor`);
    return task.monitor;
  }

  private statusOf(task: LiveTask): Task['status'] {
    const frozen = !task.record.exit && task.cgroups !== null && task.cgroups.isFrozen();
    return taskStatus(task.record, frozen);
  }

  private describe(task: LiveTask): Task {
    const r = task.record;
    return {
      id: r.id,
      pid: r.pid,
      status: this.statusOf(task),
      exitStatus: r.exit?.exitStatus ?? 0,
      exitedAt: r.exit ? timestampFromRfc3339(r.exit.exitedAt) : null,
      terminal: r.terminal,
      stdin: r.stdin,
      monitorPid: r.monitorPid,
      createdAt: timestampFromRfc3339(r.createdAt),
    };
  }
}

/** Hook programs tsrund runs must be there before anything is made: a bad entry is INVALID_ARGUMENT, a missing program FAILED_PRECONDITION. */
function checkTaskHooks(spec: Spec): void {
  try {
    checkHookPrograms(spec);
  } catch (err) {
    if (err instanceof PlanError) throw invalidArgument(`spec ${err.path}`, err.reason);
    if (err instanceof TsrunError) throw failedPrecondition(err.message);
    throw err;
  }
}

/** Stdin that was closed (CloseIO, or no process reads it any more) is the client's to know: FAILED_PRECONDITION. */
async function stdinRequest(name: string, request: Promise<void>): Promise<void> {
  try {
    await request;
  } catch (err) {
    if (err instanceof StdinClosedError) throw failedPrecondition(`${name}: ${err.message}`);
    throw err;
  }
}

/** Kill the task's processes, wait for its monitor to see the init gone, and let the monitor go. */
async function killAndRelease(monitor: Monitor, cgroups: CgroupManager | null): Promise<void> {
  if (cgroups) await killAllAndThaw(cgroups, isContainers(readInitNamespaces(monitor.pid)));
  await withTimeout(monitor.wait(), KILL_TIMEOUT_MS);
  monitor.release();
}

/**
 * `exec`: a new process in a created or running container. It joins the container's namespaces
 * and cgroups and takes the container's seccomp filter (runtime/plan/exec-plan.ts).
 *
 * startExec is the one set-up of both front ends: the plan context (host facts, the container's
 * namespaces by its init's pid, its cgroups, the seccomp agent's view of the container), the
 * plan, the spawn step the front end passes (tsrun: the addon, in its own process; tsrund: a
 * monitor of the exec's own, supervisor/tasks/exec.ts), and the check that the init was not
 * replaced meanwhile. What the process is comes from the front end: `tsrun exec`'s flags over the
 * container's process as runc applies them (execProcess), a process.json, or a Tasks.Exec request.
 *
 * execInContainer is `tsrun exec`: in the foreground tsrun waits for the process, passing signals
 * on, and returns its status; detached it writes the pid file and returns at once. Nothing is
 * changed when it cannot start: no state is written, and the container keeps running.
 */
import * as fs from 'fs';
import * as os from 'os';
import { parseJson } from '../../spec/json-syntax';
import { loadBundleConfig } from '../../spec/load';
import { checkProcessSchema, formatIssue } from '../../spec/validate';
import type { LinuxNamespaceType, Process, Spec } from '../../spec/types';
import { loadCgroupManager, type CgroupManager } from '../cgroups';
import { openConsoleChannel, type ConsoleChannel } from '../console/channel';
import { attachTerminal } from '../console/tty-proxy';
import { TsrunError } from '../../common/errors';
import { pidfdOpen, pidfdSendSignal, PlanExecutionError, spawnInit, waitExit } from '../native';
import { buildExecPlan, execCgroupProcsFiles, execProcess, type ExecOverrides } from '../plan/exec-plan';
import { NAMESPACE_TYPES } from '../plan/namespaces';
import { renderFailure } from '../plan/render-failure';
import { agentState } from '../plan/seccomp';
import type { InitPlan } from '../plan/types';
import { isSameLiveProcess } from '../state/proc';
import type { StateStore } from '../state/store';
import { writePidFile } from './stored';
import { readHostFacts } from './host-facts';
import { observeStatus } from './observe';
import { FORWARDED } from './run';
import type { Spawned } from './spawner';

/** The container an exec joins, as its front end knows it. */
export interface ExecTarget {
  id: string;
  /** The container's config: its namespaces, seccomp filter and annotations apply to the exec. */
  spec: Spec;
  bundle: string;
  /** The container's root filesystem on the host (failure messages name paths in it). */
  rootfs: string;
  initPid: number;
  /** /proc/<init>/stat start time: a recycled pid is not taken for the init. */
  initStartTime: string;
  /** What the container is while the exec starts (a seccomp agent is told). */
  status: 'created' | 'running';
  cgroups: CgroupManager;
  /** --no-new-keyring at create: the process keeps the caller's session keyring, as the init did. */
  noNewKeyring?: boolean;
}

export interface ExecSetup {
  process: Process;
  /** Fds after stdio the process inherits (tsrun exec --preserve-fds and $LISTEN_FDS). */
  preserveFds: number;
  /** The fd, in the spawning process, of the socket the terminal's master is sent on; null: no terminal. */
  consoleSocket: number | null;
  /** tsrun exec --cgroup: sub-cgroups of the container's to run in (execCgroupProcsFiles). */
  subCgroups: readonly string[];
}

/** The spawn step: runs the plan (and throws PlanExecutionError when a step fails, leaving nothing). */
export type ExecSpawn<S extends Spawned> = (plan: InitPlan) => Promise<S>;

/**
 * The exec did not start, and nothing of it is left: a step of the plan failed (`detail` says
 * which and why), or the container's init was gone once the process was spawned (`stopped`).
 */
export class ExecStartError extends TsrunError {
  constructor(
    readonly detail: string,
    readonly stopped: boolean,
  ) {
    // runc's wording, which tools match on.
    super(stopped ? 'cannot exec in a stopped container' : `unable to start container process: ${detail}`);
    this.name = 'ExecStartError';
  }
}

/** The names of namespace files in /proc/<pid>/ns. */
const PROC_NS_NAME: Readonly<Record<LinuxNamespaceType, string>> = {
  user: 'user',
  ipc: 'ipc',
  uts: 'uts',
  network: 'net',
  pid: 'pid',
  mount: 'mnt',
  cgroup: 'cgroup',
  time: 'time',
};

/**
 * Build the exec plan of `setup.process` in `target` and spawn it with `spawn`. Resolves with
 * what the spawn made once the process runs in the container.
 * @throws PlanError for a process the plan cannot express; ExecStartError when it did not start.
 */
export async function startExec<S extends Spawned>(target: ExecTarget, setup: ExecSetup, spawn: ExecSpawn<S>): Promise<S> {
  const plan = buildExecPlan(setup.process, target.spec, {
    ...readHostFacts(),
    preserveFds: setup.preserveFds,
    consoleSocket: setup.consoleSocket,
    namespaces: containerNamespaces(target.initPid),
    containerRoot: `/proc/${target.initPid}/root`,
    // Joins the container's session keyring, _ses.<id>.
    containerId: target.id,
    noNewKeyring: target.noNewKeyring,
    cgroupProcsFiles: execCgroupProcsFiles(target.cgroups.placement(), setup.subCgroups),
    agent: agentState({ id: target.id, bundle: target.bundle, status: target.status, annotations: target.spec.annotations }, target.initPid),
  });
  let spawned: S;
  try {
    spawned = await spawn(plan);
  } catch (err) {
    if (err instanceof PlanExecutionError) throw new ExecStartError(renderFailure(plan, err.failure, { rootfs: target.rootfs }), false);
    throw err;
  }
  // The namespace files were opened by pid: had the init died and its pid been reused
  // meanwhile, the process would be in a stranger's namespaces.
  if (!isSameLiveProcess(target.initPid, target.initStartTime)) {
    await spawned.discard();
    throw new ExecStartError(`container ${target.id} has stopped`, true);
  }
  return spawned;
}

/** The container's namespaces that are not the runtime's own, by the path of the init's file. */
function containerNamespaces(pid: number): { type: LinuxNamespaceType; path: string }[] {
  return NAMESPACE_TYPES.flatMap((type) => {
    const theirs = `/proc/${pid}/ns/${PROC_NS_NAME[type]}`;
    let a: fs.Stats, b: fs.Stats;
    try {
      a = fs.statSync(theirs);
      b = fs.statSync(`/proc/self/ns/${PROC_NS_NAME[type]}`);
    } catch (err) {
      // A namespace type this kernel lacks; an init that is gone is caught after the spawn.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return a.ino === b.ino && a.dev === b.dev ? [] : [{ type, path: theirs }];
  });
}

export interface ExecOptions {
  id: string;
  /** A process.json (--process) to run as it is; otherwise the container's process with `overrides`. */
  processFile?: string;
  overrides: ExecOverrides;
  consoleSocket?: string;
  detach: boolean;
  pidFile?: string;
  preserveFds: number;
  ignorePaused: boolean;
  /** --cgroup values. */
  cgroups: string[];
}

/** How long output of the terminal is still copied after the process exited. */
const TERMINAL_DRAIN_MS = 2000;

interface SpawnedHere extends Spawned {
  pidfd: number;
}

/** tsrun's spawn step: the addon runs the plan in this process; a pidfd keeps hold of the process. */
async function spawnHere(plan: InitPlan): Promise<SpawnedHere> {
  const pid = spawnInit(plan).pid;
  const pidfd = pidfdOpen(pid);
  return {
    pid,
    pidfd,
    discard: async () => {
      pidfdSendSignal(pidfd, os.constants.signals.SIGKILL);
      await waitExit(pid);
      fs.closeSync(pidfd);
    },
  };
}

/** `tsrun exec`. Resolves to the exit status (128+N when killed by signal N), or 0 once a detached process started. */
export async function execInContainer(store: StateStore, opts: ExecOptions): Promise<number> {
  const state = store.read(opts.id);
  if (!state) throw new TsrunError('container does not exist');
  const status = observeStatus(store, state);
  if (status === 'stopped') throw new TsrunError('cannot exec in a stopped container');
  if (status === 'paused' && !opts.ignorePaused) throw new TsrunError('cannot exec in a paused container (use --ignore-paused to override)');
  if (status === 'creating') throw new TsrunError('cannot exec in a container that is still being created');

  const spec = loadBundleConfig(state.bundle).spec;
  const proc = opts.processFile ? readProcessFile(opts.processFile) : execProcess(spec.process ?? missingProcess(), opts.overrides);
  const channel = openConsoleChannel(proc.terminal === true, opts.detach, opts.consoleSocket);
  try {
    const target: ExecTarget = {
      id: state.id,
      spec,
      bundle: state.bundle,
      rootfs: state.rootfs,
      initPid: state.pid,
      initStartTime: state.initStartTime,
      // A paused container is not a state of the spec's: its processes are, to an agent, running.
      status: status === 'created' ? 'created' : 'running',
      cgroups: loadCgroupManager(state.cgroups),
      noNewKeyring: state.noNewKeyring,
    };
    const setup = { process: proc, preserveFds: opts.preserveFds, consoleSocket: channel?.initFd ?? null, subCgroups: opts.cgroups };
    return await runExec(await startExec(target, setup, spawnHere), channel, opts);
  } finally {
    channel?.close();
  }
}

async function runExec(spawned: SpawnedHere, channel: ConsoleChannel | null, opts: ExecOptions): Promise<number> {
  const terminal = attachTerminal(channel);
  try {
    if (opts.pidFile) writePidFile(opts.pidFile, spawned.pid);
    if (opts.detach) return 0;
    return await waitForeground(spawned.pid, spawned.pidfd);
  } finally {
    if (terminal) {
      await terminal.drained(opts.detach ? 0 : TERMINAL_DRAIN_MS);
      terminal.close();
    }
    fs.closeSync(spawned.pidfd);
  }
}

/** As runc exec: every signal tsrun may catch goes to the process, until it exits. */
async function waitForeground(pid: number, pidfd: number): Promise<number> {
  const forward = (signal: NodeJS.Signals) => {
    try {
      pidfdSendSignal(pidfd, os.constants.signals[signal]);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  };
  for (const s of FORWARDED) process.on(s, forward);
  try {
    const exit = await waitExit(pid);
    return exit.signal !== null ? 128 + exit.signal : (exit.code ?? 0);
  } finally {
    for (const s of FORWARDED) process.off(s, forward);
  }
}

function readProcessFile(file: string): Process {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new TsrunError(`open ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let proc: unknown;
  try {
    proc = parseJson(text);
    if (typeof proc !== 'object' || proc === null || Array.isArray(proc)) throw new Error('not a JSON object');
  } catch (err) {
    throw new TsrunError(`${file}: ${(err as Error).message}`);
  }
  // Checked as config.json's process is (a uid of 4294967295 would run as root, for one).
  const issues = checkProcessSchema(proc);
  if (issues.length > 0) throw new TsrunError(`${file}: ${issues.map(formatIssue).join('; ')}`);
  return proc as Process;
}

function missingProcess(): never {
  throw new TsrunError('the container\'s config.json has no process to exec from: use --process');
}

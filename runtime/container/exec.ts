/**
 * `exec`: run a new process in a running container. It joins the container's namespaces and
 * cgroups and takes the container's seccomp filter (runtime/plan/exec-plan.ts); in the
 * foreground tsrun waits for it, passing signals on, and returns its status; detached it writes
 * the pid file and returns at once. Nothing is changed when it cannot start: no state is written,
 * and the container keeps running.
 */
import * as fs from 'fs';
import * as os from 'os';
import { parseJson } from '../../spec/json-syntax';
import { loadBundleConfig } from '../../spec/load';
import { checkProcessSchema, formatIssue } from '../../spec/validate';
import type { LinuxNamespaceType, Process, Spec } from '../../spec/types';
import { loadCgroupManager } from '../cgroups';
import { openConsoleChannel, type ConsoleChannel } from '../console/channel';
import { attachTerminal } from '../console/tty-proxy';
import { ContainerError } from '../errors';
import { pidfdOpen, pidfdSendSignal, PlanExecutionError, spawnInit, waitExit } from '../native';
import { buildExecPlan, execCgroupProcsFiles, execProcess, type ExecOverrides } from '../plan/exec-plan';
import { NAMESPACE_TYPES } from '../plan/namespaces';
import { renderFailure } from '../plan/render-failure';
import type { InitPlan } from '../plan/types';
import { isSameLiveProcess } from '../state/proc';
import type { StateStore, StoredState } from '../state/store';
import { writePidFile } from '../lifecycle/stored';
import { readHostFacts } from '../lifecycle/host-facts';
import { observeStatus } from '../lifecycle/observe';
import { FORWARDED } from '../lifecycle/run';

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

/** Resolves to the exit status (128+N when killed by signal N), or 0 once a detached process started. */
export async function execInContainer(store: StateStore, opts: ExecOptions): Promise<number> {
  const state = store.read(opts.id);
  if (!state) throw new ContainerError('container does not exist');
  const status = observeStatus(store, state);
  if (status === 'stopped') throw new ContainerError('cannot exec in a stopped container');
  if (status === 'paused' && !opts.ignorePaused) throw new ContainerError('cannot exec in a paused container (use --ignore-paused to override)');
  if (status === 'creating') throw new ContainerError('cannot exec in a container that is still being created');

  const spec = loadBundleConfig(state.bundle).spec;
  const proc = opts.processFile ? readProcessFile(opts.processFile) : execProcess(spec.process ?? missingProcess(), opts.overrides);
  const channel = openConsoleChannel(proc.terminal === true, opts.detach, opts.consoleSocket);
  try {
    return await execWith(state, spec, proc, channel, opts);
  } finally {
    channel?.close();
  }
}

async function execWith(state: StoredState, spec: Spec, proc: Process, channel: ConsoleChannel | null, opts: ExecOptions): Promise<number> {
  const cgroups = loadCgroupManager(state.cgroups);
  const plan = buildExecPlan(proc, spec, {
    ...readHostFacts(),
    preserveFds: opts.preserveFds,
    consoleSocket: channel?.initFd,
    namespaces: containerNamespaces(state.pid),
    containerRoot: `/proc/${state.pid}/root`,
    containerId: state.id,
    noNewKeyring: state.noNewKeyring,
    cgroupProcsFiles: execCgroupProcsFiles(cgroups.placement(), opts.cgroups),
    agent: {
      state: { ociVersion: state.ociVersion, id: state.id, status: 'running', bundle: state.bundle, annotations: state.annotations },
      containerPid: state.pid,
    },
  });
  const pid = spawn(plan, state);
  const pidfd = pidfdOpen(pid);
  const terminal = attachTerminal(channel);
  try {
    // The namespace files were opened by pid: had the init died and its pid been reused
    // meanwhile, the process would be in a stranger's namespaces.
    if (!isSameLiveProcess(state.pid, state.initStartTime)) {
      pidfdSendSignal(pidfd, os.constants.signals.SIGKILL);
      await waitExit(pid);
      throw new ContainerError('cannot exec in a stopped container');
    }
    if (opts.pidFile) writePidFile(opts.pidFile, pid);
    if (opts.detach) return 0;
    return await waitForeground(pid, pidfd);
  } finally {
    if (terminal) {
      await terminal.drained(opts.detach ? 0 : TERMINAL_DRAIN_MS);
      terminal.close();
    }
    fs.closeSync(pidfd);
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

function spawn(plan: InitPlan, state: StoredState): number {
  try {
    return spawnInit(plan).pid;
  } catch (err) {
    // runc's wording, which tools match on.
    if (err instanceof PlanExecutionError) {
      throw new ContainerError(`unable to start container process: ${renderFailure(plan, err.failure, { rootfs: state.rootfs })}`);
    }
    throw err;
  }
}

/** The container's namespaces that are not tsrun's own, by the path of the init's file. */
export function containerNamespaces(pid: number): { type: LinuxNamespaceType; path: string }[] {
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

function readProcessFile(file: string): Process {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ContainerError(`open ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let proc: unknown;
  try {
    proc = parseJson(text);
    if (typeof proc !== 'object' || proc === null || Array.isArray(proc)) throw new Error('not a JSON object');
  } catch (err) {
    throw new ContainerError(`${file}: ${(err as Error).message}`);
  }
  // Checked as config.json's process is (a uid of 4294967295 would run as root, for one).
  const issues = checkProcessSchema(proc);
  if (issues.length > 0) throw new ContainerError(`${file}: ${issues.map(formatIssue).join('; ')}`);
  return proc as Process;
}

function missingProcess(): never {
  throw new ContainerError('the container\'s config.json has no process to exec from: use --process');
}

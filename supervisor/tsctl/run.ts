/**
 * `tsctl run`: create a container (from --bundle DIR or an image) and its task, start it, and in
 * the foreground stream its output, pass signals on, and exit with its status; -d prints the id
 * and leaves it running; --rm has tsrund remove it once it exits (ProcessOverrides.auto_remove),
 * a foreground run waiting for that removal. The image is pulled first as --pull says
 * (./run-image.ts). `tsctl exec` does the same for a process
 * run in a task (Tasks.Exec), removing it once it exited. With -t the caller's terminal goes raw
 * and its size follows the process's terminal (ResizePty, at once and on SIGWINCH).
 */
import * as crypto from 'crypto';
import * as os from 'os';
import * as path from 'path';
import type { ResponseStream, TsrundClient } from '../client/client';
import type { ExitInfo, LogEntry, NetworkOverrides } from '../api/types';
import { timestampOf } from '../api/timestamp';
import { writeLogEntry } from './output';
import type { SecurityOverrides } from './security-flags';
import type { StorageOverrides } from './volume-flags';
import type { LifecycleOverrides } from './lifecycle-flags';
import type { ResourceOverrides } from './resource-flags';
import type { ProcessFlagOverrides, PullOptions } from './process-flags';
import { ensureImage } from './run-image';

/** What `tsctl create` and `tsctl run` make a container of. */
export interface CreateOptions {
  id?: string;
  bundle?: string;
  image?: string;
  args: string[];
  tty: boolean;
  /** --privileged, --cap-add, --cap-drop, --security-opt (./security-flags.ts). */
  security?: SecurityOverrides;
  /** Volumes, binds and tmpfs mounts (./volume-flags.ts). */
  storage?: StorageOverrides;
  /** null: tsrund's default network. */
  network: NetworkOverrides | null;
  /** --restart, --init, --stop-signal, --stop-timeout (./lifecycle-flags.ts). */
  lifecycle?: LifecycleOverrides;
  /** --memory, --cpus, --pids-limit, --ulimit, --device, --shm-size and the like (./resource-flags.ts). */
  resources?: ResourceOverrides;
  /** -e, --env-file, -w, -u, --entrypoint, --read-only, --rm (./process-flags.ts). */
  process?: ProcessFlagOverrides;
  /** The container's labels (--label, --label-file). */
  labels?: Record<string, string>;
  /** --pull and --platform, for an image; unset: the image must be here. */
  pull?: PullOptions;
}

export interface RunOptions extends CreateOptions {
  detach: boolean;
  interactive: boolean;
}

export interface ExecOptions {
  id: string;
  execId: string;
  args: string[];
  env: string[];
  cwd: string;
  user: string;
  detach: boolean;
  tty: boolean;
  interactive: boolean;
}

/** A task's init ('' exec id) or a process exec'd into it. */
interface Target {
  id: string;
  execId: string;
}

/** Signals a foreground run passes on to the container. */
const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

/** Create the container (only: its task is Tasks.Create's); its id. */
export async function createCommand(client: TsrundClient, o: CreateOptions): Promise<string> {
  const id = o.id ?? crypto.randomBytes(6).toString('hex');
  if (o.image && o.pull) await ensureImage(client, o.image, o.pull, (text) => process.stderr.write(text));
  await client.createContainer({
    id,
    bundle: o.bundle ? path.resolve(o.bundle) : '',
    image: o.image ?? '',
    labels: o.labels ?? {},
    overrides: {
      args: o.args,
      terminal: o.tty,
      ...o.process,
      ...o.security,
      ...o.storage,
      ...o.lifecycle,
      ...o.resources,
      ...(o.network ? { network: o.network } : {}),
    },
  });
  return id;
}

export async function runCommand(client: TsrundClient, o: RunOptions): Promise<{ id: string; exitStatus: number | null }> {
  const id = await createCommand(client, o);
  const stdin = o.interactive || o.tty;
  const autoRemove = o.process?.autoRemove === true;
  let removal: Removal | null = null;
  try {
    await client.createTask(id, { stdin });
    if (o.detach) {
      await client.startTask(id);
      return { id, exitStatus: null };
    }
    const target = { id, execId: '' };
    const output = pump(client.logs(id, { follow: true }));
    output.catch(() => undefined); // attach() sees the failure; until then it must not crash tsctl
    // Asked before the start: once the task exits, tsrund removes it (and the exit with it).
    removal = autoRemove ? followRemoval(client, id) : null;
    const exited = client.wait(id);
    exited.catch(() => undefined); // attach() awaits it
    // The terminal exists once the task is created: size it before the process looks.
    const size = callerSize(o.tty);
    if (size) await client.resizePty(id, size.width, size.height);
    await client.startTask(id);
    const exitStatus = await attach(client, target, output, { stdin, tty: o.tty, exited });
    if (removal) await removal.done();
    return { id, exitStatus };
  } catch (err) {
    // tsctl gives up on the container (it could not start it, its reader went away): as before auto-remove, it goes now.
    if (autoRemove) await remove(client, id).catch(() => undefined);
    throw err;
  } finally {
    removal?.cancel();
  }
}

/** How long a foreground `run --rm` waits for tsrund's removal after the exit before it warns. */
const REMOVAL_WAIT_MS = 30_000;

interface Removal {
  /** Resolves once the container is gone (or, with a warning on stderr, after REMOVAL_WAIT_MS). */
  done(): Promise<void>;
  cancel(): void;
}

/** Follow the container's removal (its container-delete event), from before its task can exit. */
function followRemoval(client: TsrundClient, id: string): Removal {
  const events = client.subscribe({ types: ['container-delete'], ids: [id] });
  const deleted = (async () => {
    for await (const e of events) if (e.id === id) return true;
    return false;
  })().catch(() => false);
  let timer: NodeJS.Timeout | undefined;
  return {
    async done() {
      const gone = await client.getContainer(id).then(
        () => false,
        (err: { code?: number }) => (err.code === 5 ? true : Promise.reject(err)),
      );
      if (gone) return;
      const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), REMOVAL_WAIT_MS)));
      if (!(await Promise.race([deleted, late]))) process.stderr.write(`tsctl: container ${id}: tsrund has not removed it (see its log)\n`);
    },
    cancel() {
      clearTimeout(timer);
      events.cancel();
    },
  };
}

/**
 * `tsctl attach`: the running task's output from now on, its stdin when it has one, signals passed
 * on, until it exits; its exit status. `start` (`tsctl start -a`): the task is created and not
 * started yet: start it once its output is followed, and pass stdin on only when `stdin` too.
 */
export async function attachCommand(client: TsrundClient, id: string, o: { start?: boolean; stdin?: boolean } = {}): Promise<number> {
  const task = await client.getTask(id);
  const target = { id, execId: '' };
  // The log is the container's, across its runs: a run started here is shown from its first line, none of the earlier runs'.
  const output = pump(client.logs(id, o.start ? { follow: true, since: timestampOf(new Date()) } : { follow: true, tail: 0 }));
  output.catch(() => undefined); // attach() sees the failure; until then it must not crash tsctl
  if (o.start) {
    const size = callerSize(task.terminal);
    if (size) await client.resizePty(id, size.width, size.height);
    await client.startTask(id);
  }
  // Attached to a container it did not start, as docker attach: its stdin outlives this client.
  return attach(client, target, output, { stdin: task.stdin && (o.stdin ?? true), tty: task.terminal, keepStdinOpen: !o.start });
}

/** Resolves with the pid (detached) or the exit status of the process. */
export async function execCommand(client: TsrundClient, o: ExecOptions): Promise<{ pid: number; exitStatus: number | null }> {
  const stdin = o.interactive || o.tty;
  const target = { id: o.id, execId: o.execId };
  const size = callerSize(o.tty);
  const pid = await client.exec({
    ...target,
    args: o.args,
    env: o.env,
    cwd: o.cwd,
    user: o.user,
    terminal: o.tty,
    stdin,
    consoleWidth: size?.width ?? 0,
    consoleHeight: size?.height ?? 0,
  });
  if (o.detach) return { pid, exitStatus: null };
  try {
    const output = pump(client.logs(o.id, { follow: true, execId: o.execId }));
    output.catch(() => undefined); // attach() sees the failure; until then it must not crash tsctl
    return { pid, exitStatus: await attach(client, target, output, { stdin, tty: o.tty }) };
  } finally {
    await client.deleteTask(o.id, { execId: o.execId, force: true }).catch(() => undefined);
  }
}

/**
 * Pass signals and stdin on until the process exits and its output is printed; its exit status.
 * Rejects with StdoutClosedError as soon as the reader of tsctl's stdout went away.
 */
async function attach(
  client: TsrundClient,
  t: Target,
  output: Promise<void>,
  o: { stdin: boolean; tty: boolean; keepStdinOpen?: boolean; exited?: Promise<ExitInfo> },
): Promise<number> {
  const stopForwarding = forwardSignals(client, t);
  const stopInput = o.stdin ? forwardStdin(client, t, o.tty, !o.keepStdinOpen) : () => undefined;
  // Only a failure of the output (its reader went away) ends the wait early.
  const outputFailed = output.then(() => new Promise<never>(() => undefined));
  try {
    const exit = await Promise.race([o.exited ?? client.wait(t.id, { execId: t.execId }), outputFailed]);
    await output;
    return exit.exitStatus;
  } finally {
    stopForwarding();
    stopInput();
  }
}

/** The size of the caller's terminal, when it has one and wants a terminal. */
function callerSize(tty: boolean): { width: number; height: number } | null {
  const out = process.stdout;
  return tty && out.isTTY && out.columns > 0 && out.rows > 0 ? { width: out.columns, height: out.rows } : null;
}

/** As tsrund's auto-remove does: the task, the container and its anonymous volumes. */
async function remove(client: TsrundClient, id: string): Promise<void> {
  await client.deleteTask(id, { force: true }).catch(() => undefined);
  await client.deleteContainer(id, { removeVolumes: true });
}

/** The process's output, byte for byte, at the pace of tsctl's reader. */
async function pump(entries: ResponseStream<LogEntry>): Promise<void> {
  try {
    for await (const e of entries) await writeLogEntry(e);
  } catch (err) {
    entries.cancel();
    throw err;
  }
}

function forwardSignals(client: TsrundClient, t: Target): () => void {
  const forward = (signal: NodeJS.Signals) => void client.kill(t.id, os.constants.signals[signal], { execId: t.execId }).catch(() => undefined);
  for (const s of FORWARDED) process.on(s, forward);
  return () => {
    for (const s of FORWARDED) process.off(s, forward);
  };
}

/**
 * Pass tsctl's stdin on through one ordered stream (Tasks.Stdin), a chunk at a time as the
 * process takes it, and (`closeAtEnd`) close the process's stdin at end of file once every byte was delivered.
 * When the process stops reading (its stdin closed), input is no longer passed on, as docker does.
 */
function forwardStdin(client: TsrundClient, t: Target, tty: boolean, closeAtEnd: boolean): () => void {
  const input = process.stdin;
  const raw = tty && input.isTTY;
  if (raw) input.setRawMode(true);
  const ref = { execId: t.execId };
  const resize = () => {
    const size = callerSize(tty);
    if (size) void client.resizePty(t.id, size.width, size.height, ref).catch(() => undefined);
  };
  if (tty) process.on('SIGWINCH', resize);
  const writer = client.stdin(t.id, ref);
  let stopped = false;
  void (async () => {
    try {
      for await (const chunk of input) {
        if (stopped) return;
        await writer.write(chunk as Buffer);
      }
      if (closeAtEnd) await writer.close();
      else writer.cancel();
    } catch {
      // The call's own failure is what attach() reports; stop forwarding.
      writer.cancel();
    }
  })();
  return () => {
    stopped = true;
    process.off('SIGWINCH', resize);
    if (raw) input.setRawMode(false);
    writer.cancel();
    input.destroy();
  };
}

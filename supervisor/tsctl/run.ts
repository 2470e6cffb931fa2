/**
 * `tsctl run`: create a container (from --bundle DIR or an image) and its task, start it, and in
 * the foreground stream its output, pass signals on, and exit with its status; -d prints the id
 * and leaves it running; --rm removes it once it exits. `tsctl exec` does the same for a process
 * run in a task (Tasks.Exec), removing it once it exited. With -t the caller's terminal goes raw
 * and its size follows the process's terminal (ResizePty, at once and on SIGWINCH).
 */
import * as crypto from 'crypto';
import * as os from 'os';
import * as path from 'path';
import type { ResponseStream, TsrundClient } from '../client/client';
import type { LogEntry } from '../api/types';
import { writeLogEntry } from './output';

export interface RunOptions {
  id?: string;
  bundle?: string;
  image?: string;
  args: string[];
  rm: boolean;
  detach: boolean;
  tty: boolean;
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

export async function runCommand(client: TsrundClient, o: RunOptions): Promise<{ id: string; exitStatus: number | null }> {
  const id = o.id ?? crypto.randomBytes(6).toString('hex');
  await client.createContainer({
    id,
    bundle: o.bundle ? path.resolve(o.bundle) : '',
    image: o.image ?? '',
    overrides: { args: o.args, terminal: o.tty },
  });
  const stdin = o.interactive || o.tty;
  try {
    await client.createTask(id, { stdin });
    if (o.detach) {
      await client.startTask(id);
      return { id, exitStatus: null };
    }
    const target = { id, execId: '' };
    const output = pump(client.logs(id, { follow: true }));
    output.catch(() => undefined); // attach() sees the failure; until then it must not crash tsctl
    // The terminal exists once the task is created: size it before the process looks.
    const size = callerSize(o.tty);
    if (size) await client.resizePty(id, size.width, size.height);
    await client.startTask(id);
    const exitStatus = await attach(client, target, output, { stdin, tty: o.tty });
    if (o.rm) await remove(client, id);
    return { id, exitStatus };
  } catch (err) {
    if (o.rm) await remove(client, id).catch(() => undefined);
    throw err;
  }
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
async function attach(client: TsrundClient, t: Target, output: Promise<void>, o: { stdin: boolean; tty: boolean }): Promise<number> {
  const stopForwarding = forwardSignals(client, t);
  const stopInput = o.stdin ? forwardStdin(client, t, o.tty) : () => undefined;
  // Only a failure of the output (its reader went away) ends the wait early.
  const outputFailed = output.then(() => new Promise<never>(() => undefined));
  try {
    const exit = await Promise.race([client.wait(t.id, { execId: t.execId }), outputFailed]);
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

async function remove(client: TsrundClient, id: string): Promise<void> {
  await client.deleteTask(id, { force: true }).catch(() => undefined);
  await client.deleteContainer(id);
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
 * process takes it, and close the process's stdin at end of file once every byte was delivered.
 * When the process stops reading (its stdin closed), input is no longer passed on, as docker does.
 */
function forwardStdin(client: TsrundClient, t: Target, tty: boolean): () => void {
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
      await writer.close();
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

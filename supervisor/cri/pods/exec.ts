/**
 * Commands run in a pod's container (ExecSync, and Exec's streaming sessions) through tsrund's
 * own exec path (services/container-exec.ts, the one Tasks.Exec takes): a process under a monitor
 * of its own, its output read from its log as it is written, stdin and terminal sizes fed to it
 * through the task manager, and the exec removed once its exit is known.
 */
import { randomBytes } from 'crypto';
import type { Readable } from 'stream';
import { startContainerExec } from '../../services/container-exec';
import type { Supervisor } from '../../services/supervisor';
import { invalidArgument, TsrunError } from '../../shared/errors';
import { readLog } from '../../tasks/log-reader';
import type { ProcessRef } from '../../tasks/manager';
import type { TerminalSize } from '../streaming/types';

const SIGKILL = 9;
/** Tasks.WriteStdin's limit per message. */
const STDIN_CHUNK = 1 << 20;
/** ExecSync keeps at most this much of each stream, as containerd does; the rest is dropped. */
export const EXEC_SYNC_OUTPUT_CAP = 16 << 20;
const NEWLINE = Buffer.from('\n');
/** The longest delay a Node timer takes (about 24.8 days); a longer one would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export type OutputStream = 'stdout' | 'stderr';

/** How an exec is wired: its command, where its output goes, what feeds it. */
export interface ExecWiring {
  cmd: string[];
  tty: boolean;
  stdin?: Readable;
  /** Each piece of output in order; the next waits for it (a slow client slows the reading). */
  output(stream: OutputStream, data: Buffer): Promise<void> | void;
  resize?: AsyncIterable<TerminalSize>;
  /** Aborted: the process is killed. */
  signal?: AbortSignal;
  /** Killed after this long (0: never). */
  timeoutMs: number;
}

/** The request's command, or INVALID_ARGUMENT naming `cmd` (or the argument execve would cut at a NUL). */
export function checkCmd(cmd: string[]): string[] {
  if (cmd.length === 0 || cmd[0] === '') throw invalidArgument('cmd', 'is required: name the program to run');
  const nul = cmd.findIndex((a) => a.includes('\0'));
  if (nul >= 0) throw invalidArgument(`cmd[${nul}]`, 'contains a NUL character, which no argument can hold');
  return cmd;
}

/** Run `w.cmd` in container `id` (which runs) and resolve with its exit once all its output was handed on. */
export async function runExec(s: Supervisor, id: string, w: ExecWiring): Promise<{ exitCode: number; timedOut: boolean }> {
  const ref: ProcessRef = { id, execId: `cri-${randomBytes(16).toString('hex')}` };
  await startContainerExec(s, {
    id,
    execId: ref.execId,
    args: checkCmd(w.cmd),
    env: [],
    cwd: '',
    user: '',
    terminal: w.tty,
    stdin: w.stdin !== undefined,
    consoleWidth: 0,
    consoleHeight: 0,
  });
  const exited = s.tasks.wait(ref);
  let timedOut = false;
  const kill = () => s.tasks.kill(ref, SIGKILL, false).catch(() => undefined);
  const timer = w.timeoutMs > 0 ? setTimeout(() => ((timedOut = true), kill()), Math.min(w.timeoutMs, MAX_TIMER_MS)) : null;
  const onAbort = () => void kill();
  w.signal?.addEventListener('abort', onAbort);
  try {
    if (w.stdin) void feedStdin(s, ref, w.stdin, true);
    if (w.resize) void feedSizes(s, ref, w.resize);
    const entries = readLog(s.tasks.execLogPath(ref), { follow: true, isLive: () => s.tasks.isLive(ref), cancelled: () => false, exited });
    for await (const e of entries) await w.output(w.tty ? 'stdout' : (e.stream as OutputStream), e.partial ? e.data : Buffer.concat([e.data, NEWLINE]));
    const exit = await exited;
    return { exitCode: exit.exitStatus, timedOut };
  } finally {
    if (timer) clearTimeout(timer);
    w.signal?.removeEventListener('abort', onAbort);
    await s.lock.run(id, () => s.tasks.delete(ref, true)).catch((err: Error) => s.log.warn(`container ${id}: exec ${ref.execId} not removed: ${err.message}`));
  }
}

/** ExecSync: the output of each stream up to the cap; a timeout is DEADLINE_EXCEEDED once the process was killed, as containerd answers. */
export async function execSync(s: Supervisor, id: string, cmd: string[], timeoutSeconds: number): Promise<{ stdout: Buffer; stderr: Buffer; exitCode: number }> {
  const kept = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  const size = { stdout: 0, stderr: 0 };
  const output = (stream: OutputStream, data: Buffer) => {
    const room = EXEC_SYNC_OUTPUT_CAP - size[stream];
    if (room <= 0) return;
    const part = data.length > room ? data.subarray(0, room) : data;
    kept[stream].push(part);
    size[stream] += part.length;
  };
  const { exitCode, timedOut } = await runExec(s, id, { cmd, tty: false, output, timeoutMs: Math.max(0, timeoutSeconds) * 1000 });
  if (timedOut) throw new TsrunError(`timeout ${timeoutSeconds}s exceeded: the command was killed`, { code: 'deadline-exceeded' });
  return { stdout: Buffer.concat(kept.stdout), stderr: Buffer.concat(kept.stderr), exitCode };
}

/**
 * `stdin`'s bytes to the process, in messages Tasks.WriteStdin takes; its end closes the
 * process's stdin when `closeAtEnd`. A process that is gone took its stdin with it: nothing to do.
 */
export async function feedStdin(s: Supervisor, ref: ProcessRef, stdin: Readable, closeAtEnd: boolean): Promise<void> {
  try {
    for await (const chunk of stdin as AsyncIterable<Buffer>) {
      for (let at = 0; at < chunk.length; at += STDIN_CHUNK) await s.tasks.writeStdin(ref, chunk.subarray(at, at + STDIN_CHUNK));
    }
    if (closeAtEnd) await s.tasks.closeStdin(ref);
  } catch {
    stdin.resume();
  }
}

/** Each size the client sends to the process's terminal; one that cannot be set (zero, or the process gone) is passed over. */
export async function feedSizes(s: Supervisor, ref: ProcessRef, sizes: AsyncIterable<TerminalSize>): Promise<void> {
  for await (const { width, height } of sizes) await s.tasks.resizePty(ref, width, height).catch(() => undefined);
}

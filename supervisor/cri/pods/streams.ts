/**
 * The handlers of the streaming server's sessions (../streaming/) for Exec, Attach and
 * PortForward: an exec wired to the session's streams (./exec.ts); an attach to a container's
 * init, its output followed in its log from the moment of the attach and its stdin fed as
 * Tasks.Stdin feeds it; a forwarded port bridged to 127.0.0.1:<port> in the pod's network
 * namespace by a `nsenter --net busybox nc` child of tsrund's, whose stdio is the connection.
 */
import { spawn } from 'child_process';
import { once } from 'events';
import { pipeline } from 'stream/promises';
import type { Duplex, Writable } from 'stream';
import type { Supervisor } from '../../services/supervisor';
import { invalidArgument } from '../../shared/errors';
import { readLog } from '../../tasks/log-reader';
import { entriesToSkip, windowed } from '../../tasks/log-window';
import type { PortForwardHandler, RemoteCommandHandler, RemoteCommandRequest, RemoteCommandStreams } from '../streaming/types';
import { feedSizes, feedStdin, runExec, type OutputStream } from './exec';

const NEWLINE = Buffer.from('\n');

/** The proto's rules for Exec's and Attach's streams: at least one, and no stderr beside a tty. */
export function checkStreams(req: RemoteCommandRequest): void {
  if (!req.stdin && !req.stdout && !req.stderr) throw invalidArgument('stdin/stdout/stderr', 'ask for at least one of them');
  if (req.tty && req.stderr) throw invalidArgument('stderr', 'must be false with tty: a terminal has one output (stdout)');
}

/** `data` on `w` once it has room; nothing when the client closed it. */
async function writeTo(w: Writable | undefined, data: Buffer): Promise<void> {
  if (!w || w.destroyed || w.writableEnded) return;
  if (!w.write(data)) await Promise.race([once(w, 'drain'), once(w, 'close')]);
}

const outputTo = (streams: RemoteCommandStreams) => (stream: OutputStream, data: Buffer) => writeTo(stream === 'stderr' ? streams.stderr : streams.stdout, data);

export function execHandler(s: Supervisor, id: string, cmd: string[]): RemoteCommandHandler {
  return async (streams) => {
    const { exitCode } = await runExec(s, id, { cmd, tty: streams.tty, stdin: streams.stdin, output: outputTo(streams), resize: streams.resize, signal: streams.signal, timeoutMs: 0 });
    return { exitCode };
  };
}

/**
 * Attach to the init of container `id`: its output from now on until it exits or the client
 * leaves (then the exit code is 0: the container goes on). `logPath` is the init's log;
 * `stdinOnce`: the client's end of stdin closes the container's (the proto's stdin_once).
 */
export function attachHandler(s: Supervisor, id: string, logPath: string, stdinOnce: boolean): RemoteCommandHandler {
  return async (streams) => {
    const ref = { id, execId: '' };
    const gone = () => streams.signal.aborted;
    const exited = s.tasks.wait(ref);
    const skip = await entriesToSkip(logPath, { since: null, tail: 0 }, gone);
    if (streams.stdin) void feedStdin(s, ref, streams.stdin, stdinOnce);
    if (streams.resize) void feedSizes(s, ref, streams.resize);
    const left = new Promise<void>((resolve) => streams.signal.addEventListener('abort', () => resolve(), { once: true }));
    const entries = readLog(logPath, { follow: true, isLive: () => s.tasks.isLive(ref) && !gone(), cancelled: gone, exited: Promise.race([exited, left]) });
    const output = outputTo(streams);
    for await (const e of windowed(entries, null, skip)) await output(streams.tty ? 'stdout' : (e.stream as OutputStream), e.partial ? e.data : Buffer.concat([e.data, NEWLINE]));
    return { exitCode: gone() ? 0 : (await exited).exitStatus };
  };
}

/** Each forwarded connection: nc to 127.0.0.1:<port> inside the network namespace of process `pid` (the pod's pause). */
export function portForwardHandler(pid: () => number): PortForwardHandler {
  return async (port, socket: Duplex) => {
    const child = spawn('nsenter', [`--net=/proc/${pid()}/ns/net`, 'busybox', 'nc', '127.0.0.1', String(port)], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // nsenter or busybox missing on the host: said on the error stream, as any failure to connect.
    child.on('error', (err) => (stderr += err.message));
    const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    // The client's end stops the connection; the pod's end (nc exits) ends the client's stream.
    socket.on('close', () => child.kill('SIGKILL'));
    socket.pipe(child.stdin).on('error', () => undefined);
    await pipeline(child.stdout, socket, { end: true }).catch(() => undefined);
    const code = await closed;
    if (code !== 0 && code !== null && !socket.destroyed) throw new Error(`nc 127.0.0.1:${port}: ${stderr.trim() || `exit status ${code}`}`);
  };
}

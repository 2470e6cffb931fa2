/**
 * Exec and attach (Kubernetes' remotecommand) over either transport: wait for the streams the
 * request needs, run the caller's handler on them, then report the outcome on the error stream
 * and end the connection, as kubelet's ServeExec/ServeAttach do.
 */
import { Readable, Writable } from 'stream';
import { finished } from 'stream/promises';
import { asError, statusJson, statusText, Outcome } from './status';
import { resizeEvents } from './resize';
import { RstStatus } from './spdy-frames';
import type { SpdySession, SpdyStream } from './spdy-session';
import type { WsProtocol } from './protocols';
import { WsChannels } from './ws-channels';
import type { WsSession } from './websocket-session';
import type { RemoteCommandHandler, RemoteCommandRequest, RemoteCommandStreams } from './types';

type StreamType = 'error' | 'stdin' | 'stdout' | 'stderr' | 'resize';
const STREAM_TYPES: StreamType[] = ['error', 'stdin', 'stdout', 'stderr', 'resize'];

/** The streams a client of `version` opens for `req` (v1 still opens stderr under a tty; v3 adds resize). */
export function expectedStreams(req: RemoteCommandRequest, version: number): StreamType[] {
  const out: StreamType[] = ['error'];
  if (req.stdin) out.push('stdin');
  if (req.stdout) out.push('stdout');
  if (req.stderr && (!req.tty || version < 2)) out.push('stderr');
  if (req.tty && version >= 3) out.push('resize');
  return out;
}

async function endAll(outputs: (Writable | undefined)[]): Promise<void> {
  await Promise.all(
    outputs.map(async (w) => {
      if (!w || w.destroyed) return;
      if (!w.writableEnded) w.end();
      await finished(w, { readable: false }).catch(() => undefined);
    }),
  );
}

async function run(handler: RemoteCommandHandler, streams: RemoteCommandStreams): Promise<Outcome> {
  try {
    const { exitCode } = await handler(streams);
    return { exitCode };
  } catch (err) {
    return { error: asError(err) };
  } finally {
    await endAll([streams.stdout, streams.stderr]);
  }
}

function spdyVersion(protocol: string): number {
  const m = /^v(\d)\./.exec(protocol);
  return m ? Number(m[1]) : 1;
}

export interface RemoteCommandOptions {
  /** How long the client has to open its streams (kubelet: 30 s). */
  streamCreationTimeoutMs: number;
}

export function serveSpdyRemoteCommand(
  session: SpdySession,
  protocol: string,
  req: RemoteCommandRequest,
  handler: RemoteCommandHandler,
  opts: RemoteCommandOptions,
): Promise<void> {
  const version = spdyVersion(protocol);
  const expected = expectedStreams(req, version);
  const got = new Map<StreamType, SpdyStream>();
  const abort = new AbortController();
  session.once('close', () => abort.abort());

  return new Promise<void>((resolve) => {
    session.once('close', resolve);
    let started = false;
    const timer = setTimeout(() => {
      const err = got.get('error');
      if (err) err.end(`timed out waiting for the client to open its streams (${expected.filter((t) => !got.has(t)).join(', ')} missing)`);
      (err ? finished(err, { readable: false }).catch(() => undefined) : Promise.resolve()).then(() => session.close());
    }, opts.streamCreationTimeoutMs);
    timer.unref();

    session.on('stream', (s: SpdyStream) => {
      const type = s.header('streamtype') as StreamType;
      if (started || !STREAM_TYPES.includes(type) || got.has(type)) {
        session.refuse(s, RstStatus.ProtocolError);
        return;
      }
      got.set(type, s);
      void session.accept(s);
      // A stream the request did not ask for (stdin on an exec without it) is drained, so that
      // what the client writes there cannot hold up the connection.
      if (!expected.includes(type)) s.resume();
      if (!expected.every((t) => got.has(t))) return;
      started = true;
      clearTimeout(timer);
      const resize = got.get('resize');
      const streams: RemoteCommandStreams = {
        stdin: req.stdin ? got.get('stdin') : undefined,
        stdout: req.stdout ? got.get('stdout') : undefined,
        stderr: req.stderr && !req.tty ? got.get('stderr') : undefined,
        resize: req.tty && resize ? resizeEvents(resize) : undefined,
        tty: req.tty,
        signal: abort.signal,
      };
      void run(handler, streams).then(async (outcome) => {
        const errStream = got.get('error')!;
        const text = version >= 4 ? statusJson(outcome) : statusText(outcome);
        errStream.end(text);
        await finished(errStream, { readable: false }).catch(() => undefined);
        session.close();
      });
    });
  });
}

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const RESIZE = 4;

export function serveWsRemoteCommand(
  ws: WsSession,
  proto: WsProtocol,
  req: RemoteCommandRequest,
  handler: RemoteCommandHandler,
): Promise<void> {
  const ch = new WsChannels(ws, proto);
  const abort = new AbortController();
  ws.once('close', () => abort.abort());
  const stdin: Readable | undefined = req.stdin ? ch.readable(STDIN) : undefined;
  const resize = req.tty ? ch.readable(RESIZE) : undefined;
  const stdout = req.stdout ? ch.writable(STDOUT) : undefined;
  const stderr = req.stderr && !req.tty ? ch.writable(STDERR) : undefined;
  // kubelet's first message: an empty one on the lowest channel it writes, so the client knows
  // the streams are up.
  void ch.send(stdout ? STDOUT : stderr ? STDERR : ERROR, Buffer.alloc(0));
  const streams: RemoteCommandStreams = {
    stdin,
    stdout,
    stderr,
    resize: resize ? resizeEvents(resize) : undefined,
    tty: req.tty,
    signal: abort.signal,
  };
  return run(handler, streams).then(async (outcome) => {
    const text = proto.version >= 4 ? statusJson(outcome) : statusText(outcome);
    if (text !== undefined) await ch.send(ERROR, Buffer.from(text, 'utf8'));
    ws.close();
  });
}

/**
 * Port forwarding (Kubernetes' portforward.k8s.io) over either transport.
 *
 * SPDY: per forwarded connection the client opens an error stream and a data stream carrying
 * the same `port` and `requestID` headers (clients older than requestID are paired by stream id,
 * the data stream two below its error stream, as kubelet does); the session stays up for more
 * pairs until the client closes it.
 *
 * WebSocket: the ports are the request's `port` query parameters; port i gets channel 2i for
 * data and 2i+1 for errors, and the server's first message on each is the port number, two bytes
 * little-endian.
 */
import { Duplex } from 'stream';
import { finished } from 'stream/promises';
import { RstStatus } from './spdy-frames';
import { asError } from './status';
import type { SpdySession, SpdyStream } from './spdy-session';
import type { WsProtocol } from './protocols';
import { WsChannels } from './ws-channels';
import type { WsSession } from './websocket-session';
import type { PortForwardHandler, PortForwardRequest } from './types';

/** A port header or query value as a TCP port, or an error message naming it. */
export function parsePort(value: string | undefined): number | string {
  if (value === undefined) return 'no port given';
  const port = /^\d{1,5}$/.test(value) ? Number(value) : NaN;
  if (!(port >= 1 && port <= 65535)) return `port "${value}" is not a TCP port (1-65535)`;
  return port;
}

function forwardError(req: PortForwardRequest, port: number, err: unknown): string {
  return `error forwarding port ${port} to pod ${req.podSandboxId}, uid : ${asError(err).message}`;
}

export interface PortForwardOptions {
  /** How long the second stream of a pair may lag the first (kubelet: the stream creation timeout). */
  streamCreationTimeoutMs: number;
}

export function serveSpdyPortForward(
  session: SpdySession,
  req: PortForwardRequest,
  handler: PortForwardHandler,
  opts: PortForwardOptions,
): Promise<void> {
  const pairs = new Map<string, { data?: SpdyStream; error?: SpdyStream; timer: NodeJS.Timeout }>();

  const forward = async (data: SpdyStream, error: SpdyStream) => {
    const port = parsePort(data.header('port'));
    if (typeof port === 'string') {
      error.end(port);
    } else {
      try {
        await handler(port, data);
      } catch (err) {
        error.end(forwardError(req, port, err));
      }
    }
    if (!data.writableEnded) data.end();
    if (!error.writableEnded) error.end();
    await Promise.all([finished(data, { readable: false }).catch(() => undefined), finished(error, { readable: false }).catch(() => undefined)]);
  };

  return new Promise<void>((resolve) => {
    session.once('close', () => {
      for (const p of pairs.values()) clearTimeout(p.timer);
      resolve();
    });
    session.on('stream', (s: SpdyStream) => {
      const type = s.header('streamtype');
      if (type !== 'data' && type !== 'error') {
        session.refuse(s, RstStatus.ProtocolError);
        return;
      }
      const id = s.header('requestid') ?? String(type === 'error' ? s.id : s.id - 2);
      let pair = pairs.get(id);
      if (pair?.[type]) {
        session.refuse(s, RstStatus.ProtocolError);
        return;
      }
      void session.accept(s);
      if (!pair) {
        const timer = setTimeout(() => {
          pairs.delete(id);
          for (const half of [pair!.data, pair!.error]) if (half) session.reset(half, RstStatus.Cancel);
        }, opts.streamCreationTimeoutMs);
        timer.unref();
        pair = { timer };
        pairs.set(id, pair);
      }
      pair[type] = s;
      if (pair.data && pair.error) {
        clearTimeout(pair.timer);
        pairs.delete(id);
        void forward(pair.data, pair.error);
      }
    });
  });
}

/** The data channel of one port as a Duplex for the handler. */
function channelDuplex(ch: WsChannels, n: number): Duplex {
  const incoming = ch.readable(n);
  const outgoing = ch.writable(n);
  const d = new Duplex({
    read: () => {
      incoming.resume();
    },
    write: (chunk: Buffer, _enc, cb) => outgoing.write(chunk, () => cb()),
    final: (cb) => cb(),
  });
  incoming.pause();
  incoming.on('data', (chunk: Buffer) => {
    if (!d.push(chunk)) incoming.pause();
  });
  incoming.on('end', () => d.push(null));
  return d;
}

export function serveWsPortForward(
  ws: WsSession,
  proto: WsProtocol,
  req: PortForwardRequest,
  ports: number[],
  handler: PortForwardHandler,
): Promise<void> {
  const ch = new WsChannels(ws, proto);
  const runs = ports.map(async (port, i) => {
    const data = 2 * i;
    const error = 2 * i + 1;
    const prefix = Buffer.alloc(2);
    prefix.writeUInt16LE(port);
    await ch.send(data, prefix);
    await ch.send(error, prefix);
    const socket = channelDuplex(ch, data);
    try {
      await handler(port, socket);
    } catch (err) {
      await ch.send(error, Buffer.from(forwardError(req, port, err), 'utf8'));
    }
  });
  return Promise.all(runs).then(() => ws.close());
}

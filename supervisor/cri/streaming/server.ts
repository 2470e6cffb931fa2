/**
 * The streaming server CRI's Exec, Attach and PortForward answers point at: an HTTP server on
 * `--stream-address` that holds each registered session under a single-use token
 * (/exec/<token>, /attach/<token>, /portforward/<token>) until its client upgrades the
 * connection to SPDY/3.1 or WebSocket and speaks Kubernetes' remotecommand or portforward
 * protocol over it. Nothing here knows about containers: the handlers are the caller's.
 */
import * as http from 'http';
import type * as net from 'net';
import type { Duplex } from 'stream';
import {
  HEADER_ACCEPTED_PROTOCOL_VERSIONS,
  HEADER_PROTOCOL_VERSION,
  SPDY_PORT_FORWARD,
  SPDY_REMOTE_COMMAND,
  WS_PORT_FORWARD,
  WS_REMOTE_COMMAND,
  headerList,
  negotiate,
} from './protocols';
import { parsePort, serveSpdyPortForward, serveWsPortForward } from './port-forward';
import { serveSpdyRemoteCommand, serveWsRemoteCommand } from './remote-command';
import { SpdySession } from './spdy-session';
import { TokenCache } from './token-cache';
import { acceptKey } from './websocket-frames';
import { WsSession } from './websocket-session';
import type {
  PortForwardHandler,
  PortForwardRequest,
  RemoteCommandHandler,
  RemoteCommandRequest,
  StreamKind,
} from './types';

export interface StreamingServerOptions {
  /** host:port to listen on ("127.0.0.1:0", "[::1]:10010"); port 0 picks a free one. */
  address?: string;
  /** How long a registered session waits for its client (kubelet: one minute). */
  tokenTtlMs?: number;
  /** Sessions waiting at once (kubelet: 1000). */
  maxInFlight?: number;
  /** How long a client has, once upgraded, to open its streams (kubelet: 30 s). */
  streamCreationTimeoutMs?: number;
  /** An upgraded connection with no traffic either way for this long is closed (kubelet: 4 h). */
  streamIdleTimeoutMs?: number;
  /** Where a line about each refused connection goes (a protocol error, a bad handshake). */
  log?: (line: string) => void;
}

type Pending =
  | { kind: 'exec' | 'attach'; request: RemoteCommandRequest; handler: RemoteCommandHandler }
  | { kind: 'portforward'; request: PortForwardRequest; handler: PortForwardHandler };

/** "host:port" as host and port, or an error naming the flag and the form expected. */
export function parseStreamAddress(address: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(address);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    throw new Error(`--stream-address "${address}": expected host:port, e.g. 127.0.0.1:0 or [::1]:10010`);
  }
  return { host: m[1] ?? m[2], port };
}

const PATH = /^\/(exec|attach|portforward)\/([A-Za-z0-9_-]{1,64})$/;

function reply(socket: Duplex, status: number, reason: string, body: string, headers: Record<string, string | string[]> = {}): void {
  const lines = [`HTTP/1.1 ${status} ${reason}`, 'Content-Type: text/plain; charset=utf-8', `Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close'];
  for (const [k, v] of Object.entries(headers)) for (const one of Array.isArray(v) ? v : [v]) lines.push(`${k}: ${one}`);
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}

export class StreamingServer {
  private readonly cache: TokenCache<Pending>;
  private readonly sockets = new Set<Duplex>();
  private readonly streamCreationTimeoutMs: number;
  private readonly streamIdleTimeoutMs: number;
  private readonly log: (line: string) => void;

  private constructor(private readonly server: http.Server, readonly host: string, readonly port: number, opts: StreamingServerOptions) {
    this.cache = new TokenCache({ ttlMs: opts.tokenTtlMs ?? 60_000, maxInFlight: opts.maxInFlight ?? 1000 });
    this.streamCreationTimeoutMs = opts.streamCreationTimeoutMs ?? 30_000;
    this.streamIdleTimeoutMs = opts.streamIdleTimeoutMs ?? 4 * 60 * 60_000;
    this.log = opts.log ?? (() => undefined);
    server.on('request', (req, res) => this.onRequest(req, res));
    server.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
  }

  static async start(opts: StreamingServerOptions = {}): Promise<StreamingServer> {
    const { host, port } = parseStreamAddress(opts.address ?? '127.0.0.1:0');
    const server = http.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    }).catch((err: Error) => {
      throw new Error(`--stream-address ${opts.address ?? '127.0.0.1:0'}: cannot listen: ${err.message}`);
    });
    return new StreamingServer(server, host, (server.address() as net.AddressInfo).port, opts);
  }

  /** The base URL clients reach, e.g. http://127.0.0.1:34567. */
  get url(): string {
    return `http://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}`;
  }

  /** Sessions registered and not yet used or expired. */
  get pending(): number {
    return this.cache.size;
  }

  /** Connections currently upgraded. */
  get connections(): number {
    return this.sockets.size;
  }

  register(kind: 'exec' | 'attach', request: RemoteCommandRequest, handler: RemoteCommandHandler): string;
  register(kind: 'portforward', request: PortForwardRequest, handler: PortForwardHandler): string;
  register(kind: StreamKind, request: RemoteCommandRequest | PortForwardRequest, handler: RemoteCommandHandler | PortForwardHandler): string {
    const token = this.cache.insert({ kind, request, handler } as Pending);
    return `${this.url}/${kind}/${token}`;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  private lookup(url: string | undefined): { pending: Pending; query: URLSearchParams } | undefined {
    const u = new URL(url ?? '/', 'http://streaming');
    const m = PATH.exec(u.pathname);
    if (!m) return undefined;
    const pending = this.cache.consume(m[2]);
    if (!pending || pending.kind !== m[1]) return undefined;
    return { pending, query: u.searchParams };
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const found = this.lookup(req.url);
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    if (!found) {
      res.writeHead(404).end('404 page not found\n');
      return;
    }
    res.writeHead(400).end('unable to upgrade: missing upgrade headers in request: this endpoint speaks SPDY/3.1 or WebSocket only\n');
  }

  private onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => undefined);
    const found = this.lookup(req.url);
    if (!found) return reply(socket, 404, 'Not Found', '404 page not found\n');
    if (req.method !== 'GET' && req.method !== 'POST') return reply(socket, 405, 'Method Not Allowed', `method ${req.method} not allowed\n`);
    const upgrade = (req.headers.upgrade ?? '').toLowerCase();
    if (upgrade === 'websocket') return this.upgradeWebSocket(req, socket, head, found.pending, found.query);
    if (upgrade === 'spdy/3.1') return this.upgradeSpdy(req, socket, head, found.pending);
    reply(socket, 400, 'Bad Request', `unable to upgrade: Upgrade "${req.headers.upgrade}" is neither SPDY/3.1 nor websocket\n`);
  }

  private track(socket: Duplex, head: Buffer): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    (socket as net.Socket).setTimeout(this.streamIdleTimeoutMs, () => socket.destroy());
    if (head.length > 0) socket.unshift(head);
  }

  private upgradeSpdy(req: http.IncomingMessage, socket: Duplex, head: Buffer, p: Pending): void {
    const server = p.kind === 'portforward' ? SPDY_PORT_FORWARD : SPDY_REMOTE_COMMAND;
    const client = headerList(req.headers[HEADER_PROTOCOL_VERSION.toLowerCase()]);
    // Clients from before version negotiation get the oldest protocol, as kubelet gives them.
    const protocol = client.length === 0 ? server[server.length - 1] : negotiate(client, server);
    if (!protocol) {
      const msg = `unable to upgrade: unable to negotiate protocol: client supports [${client.join(' ')}], server accepts [${server.join(' ')}]`;
      this.log(`${p.kind}: ${msg}`);
      return reply(socket, 403, 'Forbidden', `${msg}\n`, { [HEADER_ACCEPTED_PROTOCOL_VERSIONS]: server });
    }
    socket.write(
      ['HTTP/1.1 101 Switching Protocols', 'Connection: Upgrade', 'Upgrade: SPDY/3.1', `${HEADER_PROTOCOL_VERSION}: ${protocol}`, '', ''].join('\r\n'),
    );
    this.track(socket, head);
    const session = new SpdySession(socket);
    session.on('protocolError', (m: string) => this.log(`${p.kind} (SPDY): ${m}`));
    const opts = { streamCreationTimeoutMs: this.streamCreationTimeoutMs };
    if (p.kind === 'portforward') void serveSpdyPortForward(session, p.request, p.handler, opts);
    else void serveSpdyRemoteCommand(session, protocol, p.request, p.handler, opts);
  }

  private upgradeWebSocket(req: http.IncomingMessage, socket: Duplex, head: Buffer, p: Pending, query: URLSearchParams): void {
    if (req.method !== 'GET') return reply(socket, 400, 'Bad Request', 'a WebSocket handshake is a GET request\n');
    if (req.headers['sec-websocket-version'] !== '13') {
      return reply(socket, 426, 'Upgrade Required', 'Sec-WebSocket-Version 13 is the one spoken here\n', { 'Sec-WebSocket-Version': '13' });
    }
    const key = req.headers['sec-websocket-key'] ?? '';
    if (Buffer.from(key, 'base64').length !== 16) return reply(socket, 400, 'Bad Request', 'Sec-WebSocket-Key must be 16 bytes in base64\n');
    const table = p.kind === 'portforward' ? WS_PORT_FORWARD : WS_REMOTE_COMMAND;
    const client = headerList(req.headers['sec-websocket-protocol']);
    const chosen = client.length === 0 ? '' : client.find((c) => c in table);
    if (chosen === undefined) {
      const msg = `requested protocol(s) are not supported: [${client.join(' ')}]; supports [${Object.keys(table).filter((k) => k).join(' ')}]`;
      this.log(`${p.kind}: ${msg}`);
      return reply(socket, 403, 'Forbidden', `${msg}\n`);
    }
    let ports: number[] = [];
    if (p.kind === 'portforward') {
      const parsed = query.getAll('port').flatMap((v) => v.split(',')).map(parsePort);
      const bad = parsed.find((x) => typeof x === 'string');
      if (parsed.length === 0 || bad !== undefined) {
        return reply(socket, 400, 'Bad Request', `${bad ?? 'no port given'}: name each port as ?port=N\n`);
      }
      ports = parsed as number[];
    }
    const lines = ['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${acceptKey(key)}`];
    if (chosen) lines.push(`Sec-WebSocket-Protocol: ${chosen}`);
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    this.track(socket, head);
    const ws = new WsSession(socket);
    ws.on('protocolError', (m: string) => this.log(`${p.kind} (WebSocket): ${m}`));
    const proto = table[chosen];
    if (p.kind === 'portforward') void serveWsPortForward(ws, proto, p.request, ports, p.handler);
    else void serveWsRemoteCommand(ws, proto, p.request, p.handler);
  }
}

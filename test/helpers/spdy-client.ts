/**
 * A SPDY/3.1 client for the streaming server's tests, speaking as client-go's remotecommand and
 * portforward clients do (streams opened by SYN_STREAM with a streamtype header, stdin closed by
 * a FIN), with two flow-control manners: none at all, like moby/spdystream, or a strict one that
 * announces a small window, grants more only as it consumes, and keeps the server's window when
 * it sends.
 */
import { EventEmitter } from 'events';
import type * as net from 'net';
import {
  DEFAULT_WINDOW,
  FLAG_FIN,
  Frame,
  FrameReader,
  SETTINGS_INITIAL_WINDOW_SIZE,
  encodeFrame,
} from '../../supervisor/cri/streaming/spdy-frames';
import { HeaderCompressor, HeaderDecompressor, HeaderMap } from '../../supervisor/cri/streaming/spdy-headers';
import { upgrade, UpgradeResponse } from './http-upgrade';
import type { RemoteCommandRequest } from '../../supervisor/cri/streaming/types';

export class ClientStream extends EventEmitter {
  chunks: Buffer[] = [];
  received = 0;
  ended = false;
  resetStatus: number | undefined;
  replied = false;
  sendWindow = DEFAULT_WINDOW;

  constructor(readonly client: SpdyClient, readonly id: number) {
    super();
  }

  get data(): Buffer {
    return Buffer.concat(this.chunks);
  }

  write(data: Buffer | string): Promise<void> {
    return this.client.send(this, Buffer.from(data));
  }

  end(): Promise<void> {
    return this.client.send(this, Buffer.alloc(0), true);
  }

  /** Resolves once the server has finished the stream (FIN) or reset it. */
  done(): Promise<void> {
    if (this.ended || this.resetStatus !== undefined) return Promise.resolve();
    return new Promise((resolve) => this.once('done', resolve));
  }
}

export interface SpdyClientOptions {
  /** Announce this window and grant more only as data is read; undefined behaves like spdystream. */
  window?: number;
}

export class SpdyClient extends EventEmitter {
  readonly frames: Frame[] = [];
  readonly streams = new Map<number, ClientStream>();
  private readonly reader = new FrameReader({ maxControlLength: 1 << 24, maxDataLength: 1 << 24 });
  private readonly deflate = new HeaderCompressor();
  private readonly inflate = new HeaderDecompressor();
  private nextId = 1;
  private sessionWindow = DEFAULT_WINDOW;
  private work: Promise<void> = Promise.resolve();
  goaway: { lastGoodStreamId: number; status: number } | undefined;
  closed = false;

  private constructor(readonly socket: net.Socket, rest: Buffer, readonly opts: SpdyClientOptions) {
    super();
    socket.on('data', (c: Buffer) => this.onBytes(c));
    socket.on('error', () => undefined);
    // Frames already read are handled before the close is.
    socket.on('close', () => {
      this.work = this.work.then(() => {
        this.closed = true;
        this.inflate.close();
        this.deflate.close();
        for (const s of this.streams.values()) if (!s.ended) s.emit('done');
        this.emit('close');
      });
    });
    if (opts.window !== undefined) {
      socket.write(encodeFrame({ type: 'settings', flags: 0, entries: [{ flags: 0, id: SETTINGS_INITIAL_WINDOW_SIZE, value: opts.window }] }));
    }
    if (rest.length) this.onBytes(rest);
    socket.resume();
  }

  /** Upgrades `url`; resolves with the client, or the refusal as the server answered it. */
  static async connect(url: string, protocols: string[], opts: SpdyClientOptions = {}): Promise<{ client?: SpdyClient; response: UpgradeResponse }> {
    const response = await upgrade(url, 'POST', [
      ['Connection', 'Upgrade'],
      ['Upgrade', 'SPDY/3.1'],
      ...protocols.map((p): [string, string] => ['X-Stream-Protocol-Version', p]),
      ['Content-Length', '0'],
    ]);
    if (response.status !== 101) return { response };
    return { client: new SpdyClient(response.socket, response.rest, opts), response };
  }

  async open(headers: HeaderMap, fin = false): Promise<ClientStream> {
    const id = this.nextId;
    this.nextId += 2;
    const s = new ClientStream(this, id);
    this.streams.set(id, s);
    const block = await this.deflate.encode(headers);
    this.raw(encodeFrame({ type: 'syn_stream', streamId: id, associatedId: 0, priority: 0, slot: 0, flags: fin ? FLAG_FIN : 0, headerBlock: block }));
    return s;
  }

  raw(bytes: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  async send(s: ClientStream, data: Buffer, fin = false): Promise<void> {
    let off = 0;
    do {
      let n = Math.min(data.length - off, 16 * 1024);
      if (this.opts.window !== undefined) n = Math.min(n, s.sendWindow, this.sessionWindow);
      if (n <= 0 && data.length > 0) {
        if (this.closed) return;
        await new Promise((r) => this.once('window', r));
        continue;
      }
      s.sendWindow -= n;
      this.sessionWindow -= n;
      const last = off + n >= data.length;
      const ok = this.socket.write(encodeFrame({ type: 'data', streamId: s.id, flags: fin && last ? FLAG_FIN : 0, data: data.subarray(off, off + n) }));
      off += n;
      if (!ok) await new Promise((r) => this.socket.once('drain', r));
    } while (off < data.length);
  }

  ping(id: number): void {
    this.raw(encodeFrame({ type: 'ping', id }));
  }

  close(): void {
    this.socket.end();
  }

  /** Resolves when the server ends the connection. */
  closedP(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((r) => this.once('close', r));
  }

  private onBytes(c: Buffer): void {
    for (const f of this.reader.push(c)) this.work = this.work.then(() => this.onFrame(f)).catch((err: Error) => {
        this.emit('clientError', err);
      });
  }

  private async onFrame(f: Frame): Promise<void> {
    this.frames.push(f);
    this.emit('frame', f);
    if (f.type === 'syn_reply' || f.type === 'syn_stream' || f.type === 'headers') await this.inflate.decode(f.headerBlock);
    const s = 'streamId' in f ? this.streams.get(f.streamId) : undefined;
    switch (f.type) {
      case 'syn_reply':
        if (s) s.replied = true;
        return;
      case 'data':
        if (!s) return;
        if (f.data.length) {
          s.chunks.push(f.data);
          s.received += f.data.length;
          if (this.opts.window !== undefined) {
            // Consumed at once: grant it back, as a reader that keeps up would.
            this.raw(encodeFrame({ type: 'window_update', streamId: s.id, delta: f.data.length }));
            this.raw(encodeFrame({ type: 'window_update', streamId: 0, delta: f.data.length }));
          }
          s.emit('data', f.data);
        }
        if (f.flags & FLAG_FIN) {
          s.ended = true;
          s.emit('done');
        }
        return;
      case 'rst_stream':
        if (!s) return;
        s.resetStatus = f.status;
        s.emit('done');
        return;
      case 'window_update':
        if (f.streamId === 0) this.sessionWindow += f.delta;
        else if (s) s.sendWindow += f.delta;
        this.emit('window');
        return;
      case 'goaway':
        this.goaway = { lastGoodStreamId: f.lastGoodStreamId, status: f.status };
        this.emit('goaway');
        return;
      default:
        return;
    }
  }
}

/** How spdyRemoteCommand drives a session: stdin to send (then its end), the protocol, a flow-control window, terminal sizes. */
export interface ExecRun {
  stdin?: Buffer;
  protocol?: string;
  window?: number;
  resize?: { Width: number; Height: number }[];
}

/** A remote command session opened as client-go's remotecommand opens it (error, stdin, stdout, stderr, resize), run to its end. */
export async function spdyRemoteCommand(url: string, req: RemoteCommandRequest, run: ExecRun = {}) {
  const { client, response } = await SpdyClient.connect(url, [run.protocol ?? 'v4.channel.k8s.io'], { window: run.window });
  if (response.status !== 101) throw new Error(`${url}: HTTP ${response.status}, not an upgrade`);
  const c = client!;
  const error = await c.open({ streamtype: ['error'] });
  const stdin = req.stdin ? await c.open({ streamtype: ['stdin'] }) : undefined;
  const stdout = req.stdout ? await c.open({ streamtype: ['stdout'] }) : undefined;
  const stderr = req.stderr && !req.tty ? await c.open({ streamtype: ['stderr'] }) : undefined;
  const resize = req.tty ? await c.open({ streamtype: ['resize'] }) : undefined;
  for (const size of run.resize ?? []) await resize!.write(`${JSON.stringify(size)}\n`);
  if (stdin && run.stdin) await stdin.write(run.stdin);
  if (stdin) await stdin.end();
  await Promise.all([error.done(), stdout?.done(), stderr?.done()]);
  await c.closedP();
  return {
    protocol: response.headers['x-stream-protocol-version']?.[0],
    stdout: stdout?.data ?? Buffer.alloc(0),
    stderr: stderr?.data ?? Buffer.alloc(0),
    error: error.data.toString('utf8'),
    client: c,
  };
}

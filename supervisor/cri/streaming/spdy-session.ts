/**
 * The server side of one SPDY/3.1 session over an upgraded HTTP connection: client-initiated
 * streams as Node Duplex streams, PING echo, GOAWAY, RST_STREAM, SETTINGS and both levels of
 * flow control (stream and, new in 3.1, session).
 *
 * Flow control: every byte sent is counted against the peer's windows, but sending only waits on
 * them once the peer has shown it keeps them (a SETTINGS or WINDOW_UPDATE frame). Kubernetes'
 * clients (moby/spdystream) never send either and never grant more window, so a strict sender
 * would stall every exec after 64 KiB; for them TCP's own backpressure is the limit, as it is
 * for kubelet, and a stream whose reader lags pauses the socket. What arrives is acknowledged
 * with WINDOW_UPDATE as the reader consumes it; a peer that keeps windows and sends past ours
 * gets RST_STREAM FLOW_CONTROL_ERROR.
 */
import { EventEmitter } from 'events';
import { Duplex } from 'stream';
import {
  DEFAULT_LIMITS,
  DEFAULT_WINDOW,
  FLAG_FIN,
  FLAG_UNIDIRECTIONAL,
  Frame,
  FrameLimits,
  FrameReader,
  GoAwayStatus,
  MAX_WINDOW,
  RstStatus,
  SETTINGS_INITIAL_WINDOW_SIZE,
  SpdyProtocolError,
  encodeFrame,
} from './spdy-frames';
import { HeaderCompressor, HeaderDecompressor, HeaderMap } from './spdy-headers';

const MAX_OUT_FRAME = 32 * 1024;

export interface SpdySessionOptions {
  limits?: FrameLimits;
  /** Streams open at once; a SYN_STREAM beyond it is refused (RST_STREAM REFUSED_STREAM). */
  maxStreams?: number;
}

/** One client-initiated stream. Its headers are the SYN_STREAM's (later HEADERS frames merge in). */
export class SpdyStream extends Duplex {
  remoteClosed = false;
  localClosed = false;
  wasReset = false;
  sendWindow: number;
  unacked = 0;
  replied: Promise<void>;
  markReplied!: () => void;

  constructor(private readonly session: SpdySession, readonly id: number, readonly headers: HeaderMap, window: number) {
    super({ allowHalfOpen: true });
    this.sendWindow = window;
    this.replied = new Promise((resolve) => (this.markReplied = resolve));
  }

  /** The first value of a header, or undefined. */
  header(name: string): string | undefined {
    return this.headers[name]?.[0];
  }

  _read(): void {
    this.session.consumed(this);
  }

  _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.session.sendData(this, chunk).then(() => cb(), () => cb());
  }

  _final(cb: (err?: Error | null) => void): void {
    this.session.sendFin(this).then(() => cb(), () => cb());
  }

  _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.session.forget(this, !this.wasReset && !(this.remoteClosed && this.localClosed));
    cb(err);
  }
}

/**
 * Emits 'stream' (SpdyStream) for each SYN_STREAM, which the owner answers with accept() or
 * refuse(); 'protocolError' (message) before a session ends on bad input; 'close' once the
 * socket is gone.
 */
export class SpdySession extends EventEmitter {
  private readonly reader: FrameReader;
  private readonly inflate = new HeaderDecompressor();
  private readonly deflate = new HeaderCompressor();
  private readonly streams = new Map<number, SpdyStream>();
  private readonly maxStreams: number;
  private lastRemoteId = 0;
  private initialWindow = DEFAULT_WINDOW;
  private sendWindow = DEFAULT_WINDOW;
  private peerFlowControl = false;
  private windowWaiters: (() => void)[] = [];
  private blocked = new Set<SpdyStream>();
  private work: Promise<void> = Promise.resolve();
  private goingAway = false;
  closed = false;

  constructor(private readonly socket: Duplex, opts: SpdySessionOptions = {}) {
    super();
    this.reader = new FrameReader(opts.limits ?? DEFAULT_LIMITS);
    this.maxStreams = opts.maxStreams ?? 100;
    socket.on('data', (chunk: Buffer) => this.onBytes(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => this.teardown());
    // The upgraded socket is half-open capable; a client that ends its side is done with the session.
    socket.on('end', () => this.finish());
    socket.on('drain', () => this.wake());
  }

  /** Sends the SYN_REPLY that opens the stream for the server's data. */
  async accept(stream: SpdyStream): Promise<void> {
    if (this.closed || stream.wasReset) return;
    const block = await this.deflate.encode({});
    if (this.closed) return;
    this.write({ type: 'syn_reply', streamId: stream.id, flags: 0, headerBlock: block });
    stream.markReplied();
  }

  refuse(stream: SpdyStream, status: RstStatus = RstStatus.RefusedStream): void {
    this.reset(stream, status);
  }

  reset(stream: SpdyStream, status: RstStatus): void {
    if (!stream.wasReset && !this.closed) this.write({ type: 'rst_stream', streamId: stream.id, status });
    stream.wasReset = true;
    stream.markReplied();
    stream.destroy();
  }

  /** A graceful end: GOAWAY OK, then the socket ends once what is queued has gone. */
  close(): void {
    if (this.closed) return;
    this.write({ type: 'goaway', lastGoodStreamId: this.lastRemoteId, status: GoAwayStatus.Ok });
    this.finish();
  }

  /** Ends the session on a violation: GOAWAY PROTOCOL_ERROR, then the socket. */
  fail(message: string, status: GoAwayStatus = GoAwayStatus.ProtocolError): void {
    if (this.closed) return;
    this.emit('protocolError', message);
    this.write({ type: 'goaway', lastGoodStreamId: this.lastRemoteId, status });
    this.finish();
  }

  private finish(): void {
    if (this.closed) return;
    this.goingAway = true;
    this.socket.end();
    // A peer that never closes its side does not hold the socket open for ever.
    setTimeout(() => this.socket.destroy(), 5000).unref();
    this.teardown();
  }

  private teardown(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of [...this.streams.values()]) s.destroy();
    this.streams.clear();
    this.wake();
    this.inflate.close();
    this.deflate.close();
    this.emit('close');
  }

  private write(frame: Frame): boolean {
    if (this.socket.destroyed || this.socket.writableEnded) return false;
    return this.socket.write(encodeFrame(frame));
  }

  private wake(): void {
    const waiters = this.windowWaiters;
    this.windowWaiters = [];
    for (const w of waiters) w();
  }

  /** Resolves on the next window change, drain or close. */
  private waitForRoom(): Promise<void> {
    return new Promise((resolve) => this.windowWaiters.push(resolve));
  }

  async sendData(s: SpdyStream, chunk: Buffer): Promise<void> {
    await s.replied;
    let off = 0;
    while (off < chunk.length) {
      if (this.closed || s.wasReset || s.localClosed) return;
      let n = Math.min(chunk.length - off, MAX_OUT_FRAME);
      if (this.peerFlowControl) n = Math.min(n, s.sendWindow, this.sendWindow);
      if (n <= 0) {
        await this.waitForRoom();
        continue;
      }
      s.sendWindow -= n;
      this.sendWindow -= n;
      const ok = this.write({ type: 'data', streamId: s.id, flags: 0, data: chunk.subarray(off, off + n) });
      off += n;
      if (!ok) await this.waitForRoom();
    }
  }

  async sendFin(s: SpdyStream): Promise<void> {
    await s.replied;
    if (this.closed || s.wasReset || s.localClosed) return;
    s.localClosed = true;
    this.write({ type: 'data', streamId: s.id, flags: FLAG_FIN, data: Buffer.alloc(0) });
    this.settle(s);
  }

  /** The reader wants more: acknowledge what it took and let the socket flow again. */
  consumed(s: SpdyStream): void {
    this.ack(s);
    if (this.blocked.delete(s) && this.blocked.size === 0) this.socket.resume();
  }

  forget(s: SpdyStream, cancel: boolean): void {
    if (cancel && !this.closed) this.write({ type: 'rst_stream', streamId: s.id, status: RstStatus.Cancel });
    s.wasReset ||= cancel;
    this.streams.delete(s.id);
    if (this.blocked.delete(s) && this.blocked.size === 0) this.socket.resume();
  }

  private ack(s: SpdyStream): void {
    if (s.unacked === 0 || this.closed) return;
    const n = s.unacked;
    s.unacked = 0;
    if (!s.remoteClosed) this.write({ type: 'window_update', streamId: s.id, delta: n });
    this.write({ type: 'window_update', streamId: 0, delta: n });
  }

  private settle(s: SpdyStream): void {
    if (s.remoteClosed && s.localClosed) this.streams.delete(s.id);
  }

  private onBytes(chunk: Buffer): void {
    if (this.closed) return;
    let frames: Frame[];
    try {
      frames = this.reader.push(chunk);
    } catch (err) {
      this.fail((err as Error).message);
      return;
    }
    for (const f of frames) {
      this.work = this.work
        .then(() => (this.closed ? undefined : this.onFrame(f)))
        .catch((err: Error) => this.fail(err instanceof SpdyProtocolError ? err.message : `SPDY session: ${err.message}`, err instanceof SpdyProtocolError ? GoAwayStatus.ProtocolError : GoAwayStatus.InternalError));
    }
  }

  private async onFrame(f: Frame): Promise<void> {
    switch (f.type) {
      case 'syn_stream': {
        const headers = await this.inflate.decode(f.headerBlock);
        if (f.streamId === 0 || f.streamId % 2 === 0) throw new SpdyProtocolError(`SYN_STREAM with stream id ${f.streamId}: a client opens odd ids`);
        if (f.streamId <= this.lastRemoteId) {
          throw new SpdyProtocolError(`SYN_STREAM with stream id ${f.streamId}, not above the last one (${this.lastRemoteId})`);
        }
        this.lastRemoteId = f.streamId;
        const s = new SpdyStream(this, f.streamId, headers, this.initialWindow);
        if (this.goingAway || this.streams.size >= this.maxStreams) {
          this.reset(s, RstStatus.RefusedStream);
          return;
        }
        this.streams.set(s.id, s);
        if (f.flags & FLAG_FIN) this.remoteEnd(s);
        if (f.flags & FLAG_UNIDIRECTIONAL) s.localClosed = true;
        this.emit('stream', s);
        return;
      }
      case 'syn_reply': {
        await this.inflate.decode(f.headerBlock);
        const s = this.streams.get(f.streamId);
        if (s) this.reset(s, RstStatus.StreamInUse);
        else this.write({ type: 'rst_stream', streamId: f.streamId, status: RstStatus.InvalidStream });
        return;
      }
      case 'headers': {
        const headers = await this.inflate.decode(f.headerBlock);
        const s = this.streams.get(f.streamId);
        if (!s) return;
        Object.assign(s.headers, headers);
        if (f.flags & FLAG_FIN) this.remoteEnd(s);
        return;
      }
      case 'data':
        return this.onData(f.streamId, f.flags, f.data);
      case 'rst_stream': {
        const s = this.streams.get(f.streamId);
        if (!s) return;
        s.wasReset = true;
        s.markReplied();
        s.destroy();
        return;
      }
      case 'settings':
        for (const e of f.entries) {
          if (e.id !== SETTINGS_INITIAL_WINDOW_SIZE) continue;
          if (e.value > MAX_WINDOW) throw new SpdyProtocolError(`SETTINGS INITIAL_WINDOW_SIZE ${e.value} exceeds 2^31-1`);
          const delta = e.value - this.initialWindow;
          this.initialWindow = e.value;
          for (const s of this.streams.values()) s.sendWindow += delta;
          this.peerFlowControl = true;
        }
        this.wake();
        return;
      case 'ping':
        // Odd ids are the client's own pings, to be echoed; even ones would answer ours.
        if (f.id % 2 === 1) this.write(f);
        return;
      case 'goaway':
        this.goingAway = true;
        this.emit('goaway');
        return;
      case 'window_update':
        return this.onWindowUpdate(f.streamId, f.delta);
      case 'unknown':
        return; // the draft: unknown control frames are ignored
    }
  }

  private onData(id: number, flags: number, data: Buffer): void {
    const s = this.streams.get(id);
    if (!s) {
      // Data for a stream that is gone (reset, or never opened) is answered, not buffered.
      this.write({ type: 'rst_stream', streamId: id, status: id <= this.lastRemoteId ? RstStatus.StreamAlreadyClosed : RstStatus.InvalidStream });
      return;
    }
    if (s.remoteClosed) {
      this.reset(s, RstStatus.StreamAlreadyClosed);
      return;
    }
    if (data.length > 0) {
      s.unacked += data.length;
      if (s.push(data)) this.ack(s);
      else if (this.peerFlowControl) {
        // The window bounds what a peer that keeps it may send; the grant waits for the reader.
        // Pausing the socket here would also hold back the WINDOW_UPDATEs our own output waits on.
        if (s.unacked > DEFAULT_WINDOW) this.reset(s, RstStatus.FlowControlError);
      } else if (!this.blocked.has(s)) {
        this.blocked.add(s);
        this.socket.pause();
      }
    }
    if (flags & FLAG_FIN) this.remoteEnd(s);
  }

  private remoteEnd(s: SpdyStream): void {
    s.remoteClosed = true;
    s.push(null);
    this.settle(s);
  }

  private onWindowUpdate(id: number, delta: number): void {
    this.peerFlowControl = true;
    if (id === 0) {
      if (delta === 0 || this.sendWindow + delta > MAX_WINDOW) {
        throw new SpdyProtocolError(`session WINDOW_UPDATE of ${delta} leaves the window outside 1..2^31-1`);
      }
      this.sendWindow += delta;
    } else {
      const s = this.streams.get(id);
      if (!s) return;
      if (delta === 0 || s.sendWindow + delta > MAX_WINDOW) {
        this.reset(s, RstStatus.FlowControlError);
        return;
      }
      s.sendWindow += delta;
    }
    this.wake();
  }
}

/**
 * One server-side WebSocket connection after the handshake (RFC 6455): messages reassembled
 * from fragments, UTF-8 checked for text, pings answered, the closing handshake. Bad input ends
 * the connection with the close code the RFC names for it.
 */
import { EventEmitter } from 'events';
import { Duplex } from 'stream';
import { isUtf8 } from 'buffer';
import { CloseCode, Opcode, WsFrameReader, WsProtocolError, encodeWsFrame } from './websocket-frames';

export interface WsSessionOptions {
  /** Largest frame and largest reassembled message accepted. */
  maxMessage?: number;
}

/** Emits 'message' (data: Buffer, text: boolean), 'protocolError' (message), 'close'. */
export class WsSession extends EventEmitter {
  private readonly reader: WsFrameReader;
  private readonly maxMessage: number;
  private fragments: Buffer[] = [];
  private fragmentSize = 0;
  private fragmentOpcode = -1;
  private closeSent = false;
  closed = false;

  constructor(private readonly socket: Duplex, opts: WsSessionOptions = {}) {
    super();
    this.maxMessage = opts.maxMessage ?? 16 * 1024 * 1024;
    this.reader = new WsFrameReader(this.maxMessage, true);
    socket.on('data', (chunk: Buffer) => this.onBytes(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => this.teardown());
    socket.on('end', () => {
      this.socket.end();
      this.teardown();
    });
    socket.on('drain', () => this.emit('drain'));
  }

  /** Queues a message; false means the socket is full and 'drain' will follow. */
  send(data: Buffer | string): boolean {
    if (this.closeSent || this.socket.destroyed) return true;
    const text = typeof data === 'string';
    return this.socket.write(encodeWsFrame(text ? Opcode.Text : Opcode.Binary, text ? Buffer.from(data, 'utf8') : data));
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** Starts the closing handshake; the socket ends once the close frame is out. */
  close(code: number = CloseCode.Normal, reason = ''): void {
    if (this.closeSent) return;
    this.closeSent = true;
    const r = Buffer.from(reason, 'utf8').subarray(0, 123);
    const payload = Buffer.alloc(2 + r.length);
    payload.writeUInt16BE(code, 0);
    r.copy(payload, 2);
    if (!this.socket.destroyed) this.socket.end(encodeWsFrame(Opcode.Close, payload));
    setTimeout(() => this.socket.destroy(), 5000).unref();
    this.teardown();
  }

  private teardown(): void {
    if (this.closed) return;
    this.closed = true;
    this.emit('close');
  }

  private fail(code: CloseCode, message: string): void {
    if (this.closeSent) return;
    this.emit('protocolError', message);
    this.close(code, message);
  }

  private onBytes(chunk: Buffer): void {
    if (this.closeSent) return;
    try {
      for (const f of this.reader.push(chunk)) {
        this.onFrame(f.fin, f.opcode, f.payload);
        if (this.closeSent) return;
      }
    } catch (err) {
      if (err instanceof WsProtocolError) this.fail(err.code, err.message);
      else this.fail(CloseCode.InternalError, (err as Error).message);
    }
  }

  private onFrame(fin: boolean, opcode: number, payload: Buffer): void {
    switch (opcode) {
      case Opcode.Ping:
        this.socket.write(encodeWsFrame(Opcode.Pong, payload));
        return;
      case Opcode.Pong:
        return;
      case Opcode.Close:
        return this.onClose(payload);
      case Opcode.Continuation:
        if (this.fragmentOpcode < 0) throw new WsProtocolError(CloseCode.ProtocolError, 'WebSocket continuation frame with no message to continue');
        return this.collect(this.fragmentOpcode, fin, payload);
      default:
        if (this.fragmentOpcode >= 0) throw new WsProtocolError(CloseCode.ProtocolError, 'WebSocket data frame inside a fragmented message');
        return this.collect(opcode, fin, payload);
    }
  }

  private collect(opcode: number, fin: boolean, payload: Buffer): void {
    this.fragmentSize += payload.length;
    if (this.fragmentSize > this.maxMessage) {
      throw new WsProtocolError(CloseCode.TooBig, `WebSocket message exceeds this server's limit of ${this.maxMessage} bytes`);
    }
    this.fragments.push(payload);
    if (!fin) {
      this.fragmentOpcode = opcode;
      return;
    }
    const data = this.fragments.length === 1 ? this.fragments[0] : Buffer.concat(this.fragments);
    this.fragments = [];
    this.fragmentSize = 0;
    this.fragmentOpcode = -1;
    const text = opcode === Opcode.Text;
    if (text && !isUtf8(data)) throw new WsProtocolError(CloseCode.InvalidData, 'WebSocket text message is not UTF-8');
    this.emit('message', data, text);
  }

  private onClose(payload: Buffer): void {
    if (payload.length === 1) throw new WsProtocolError(CloseCode.ProtocolError, 'WebSocket close frame with a 1-byte payload');
    let code: number = CloseCode.Normal;
    if (payload.length >= 2) {
      code = payload.readUInt16BE(0);
      const valid = (code >= 1000 && code <= 1011 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999);
      if (!valid) throw new WsProtocolError(CloseCode.ProtocolError, `WebSocket close code ${code} is not one a peer may send`);
      if (!isUtf8(payload.subarray(2))) throw new WsProtocolError(CloseCode.InvalidData, 'WebSocket close reason is not UTF-8');
    }
    this.emit('peerClose', code);
    this.close(code);
  }
}

/**
 * A WebSocket client for the streaming server's tests (RFC 6455: masked frames, the accept-key
 * check, fragmentation on demand, ping, the closing handshake) with Kubernetes' channel framing
 * on top: binary messages led by a channel byte, or base64 text led by a channel digit.
 */
import { createHash, randomBytes } from 'crypto';
import { EventEmitter } from 'events';
import type * as net from 'net';
import { Opcode, WsFrame, WsFrameReader, encodeWsFrame } from '../../supervisor/cri/streaming/websocket-frames';
import { upgrade, UpgradeResponse } from './http-upgrade';

export class WsClient extends EventEmitter {
  readonly frames: WsFrame[] = [];
  /** Channel messages in arrival order (channel, payload decoded). */
  readonly messages: { channel: number; data: Buffer }[] = [];
  closeCode: number | undefined;
  closed = false;
  private readonly reader = new WsFrameReader(1 << 30, false);

  private constructor(readonly socket: net.Socket, rest: Buffer, readonly protocol: string) {
    super();
    socket.on('data', (c: Buffer) => this.onBytes(c));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      this.emit('close');
    });
    if (rest.length) this.onBytes(rest);
    socket.resume();
  }

  static async connect(url: string, protocols: string[]): Promise<{ client?: WsClient; response: UpgradeResponse }> {
    const key = randomBytes(16).toString('base64');
    const headers: [string, string][] = [
      ['Connection', 'Upgrade'],
      ['Upgrade', 'websocket'],
      ['Sec-WebSocket-Version', '13'],
      ['Sec-WebSocket-Key', key],
    ];
    if (protocols.length) headers.push(['Sec-WebSocket-Protocol', protocols.join(', ')]);
    const response = await upgrade(url, 'GET', headers);
    if (response.status !== 101) return { response };
    const expect = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    if (response.headers['sec-websocket-accept']?.[0] !== expect) throw new Error(`bad Sec-WebSocket-Accept ${response.headers['sec-websocket-accept']}`);
    return { client: new WsClient(response.socket, response.rest, response.headers['sec-websocket-protocol']?.[0] ?? ''), response };
  }

  get base64(): boolean {
    return this.protocol.includes('base64');
  }

  /** Sends `data` on `channel`, split into `fragments` frames. */
  send(channel: number, data: Buffer | string, fragments = 1): void {
    const payload = this.base64
      ? Buffer.from(String.fromCharCode(48 + channel) + Buffer.from(data).toString('base64'))
      : Buffer.concat([Buffer.from([channel]), Buffer.from(data)]);
    this.sendFrames(this.base64 ? Opcode.Text : Opcode.Binary, payload, fragments);
  }

  sendFrames(opcode: number, payload: Buffer, fragments = 1): void {
    const size = Math.ceil(payload.length / fragments) || 1;
    for (let off = 0, first = true; first || off < payload.length; off += size, first = false) {
      const last = off + size >= payload.length;
      this.raw(encodeWsFrame(first ? opcode : Opcode.Continuation, payload.subarray(off, off + size), { fin: last, mask: randomBytes(4) }));
    }
  }

  raw(bytes: Buffer): boolean {
    return this.socket.destroyed ? false : this.socket.write(bytes);
  }

  ping(data: Buffer): void {
    this.raw(encodeWsFrame(Opcode.Ping, data, { mask: randomBytes(4) }));
  }

  close(code = 1000): void {
    const p = Buffer.alloc(2);
    p.writeUInt16BE(code);
    this.raw(encodeWsFrame(Opcode.Close, p, { mask: randomBytes(4) }));
  }

  output(channel: number): Buffer {
    return Buffer.concat(this.messages.filter((m) => m.channel === channel).map((m) => m.data));
  }

  closedP(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((r) => this.once('close', r));
  }

  private onBytes(c: Buffer): void {
    for (const f of this.reader.push(c)) {
      this.frames.push(f);
      if (f.opcode === Opcode.Close) {
        this.closeCode = f.payload.length >= 2 ? f.payload.readUInt16BE(0) : 1005;
        this.emit('closeFrame', this.closeCode);
      } else if (f.opcode === Opcode.Binary || f.opcode === Opcode.Text) {
        const channel = this.base64 ? f.payload[0] - 48 : f.payload[0];
        const rest = f.payload.subarray(1);
        const data = this.base64 ? Buffer.from(rest.toString('latin1'), 'base64') : Buffer.from(rest);
        this.messages.push({ channel, data });
        this.emit('message', channel, data);
      } else if (f.opcode === Opcode.Pong) this.emit('pong', f.payload);
    }
  }
}

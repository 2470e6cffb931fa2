/**
 * WebSocket framing (RFC 6455 section 5): the frame layout, masking, and an incremental reader
 * that checks what a server must refuse (unmasked client frames, reserved bits without an
 * extension, unknown opcodes, fragmented or oversized control frames, lengths past the limit).
 * Pure: no sockets.
 */
import { createHash } from 'crypto';
import { ByteQueue } from './byte-queue';

export enum Opcode {
  Continuation = 0x0,
  Text = 0x1,
  Binary = 0x2,
  Close = 0x8,
  Ping = 0x9,
  Pong = 0xa,
}

/** Close codes of RFC 6455 section 7.4.1 that this server sends. */
export enum CloseCode {
  Normal = 1000,
  GoingAway = 1001,
  ProtocolError = 1002,
  InvalidData = 1007,
  PolicyViolation = 1008,
  TooBig = 1009,
  InternalError = 1011,
}

export interface WsFrame {
  fin: boolean;
  opcode: number;
  /** Unmasked payload. */
  payload: Buffer;
}

export class WsProtocolError extends Error {
  constructor(readonly code: CloseCode, message: string) {
    super(message);
    this.name = 'WsProtocolError';
  }
}

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Sec-WebSocket-Accept for a Sec-WebSocket-Key (section 4.2.2). */
export function acceptKey(key: string): string {
  return createHash('sha1').update(key + GUID).digest('base64');
}

export function applyMask(data: Buffer, mask: Buffer): Buffer {
  const out = Buffer.allocUnsafe(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i] ^ mask[i & 3];
  return out;
}

/** One frame's bytes; a client passes a 4-byte mask, a server none. */
export function encodeWsFrame(opcode: number, payload: Buffer, opts: { fin?: boolean; mask?: Buffer } = {}): Buffer {
  const fin = opts.fin ?? true;
  const len = payload.length;
  const extra = len < 126 ? 0 : len < 0x10000 ? 2 : 8;
  const head = Buffer.alloc(2 + extra + (opts.mask ? 4 : 0));
  head[0] = (fin ? 0x80 : 0) | (opcode & 0x0f);
  head[1] = (opts.mask ? 0x80 : 0) | (extra === 0 ? len : extra === 2 ? 126 : 127);
  if (extra === 2) head.writeUInt16BE(len, 2);
  if (extra === 8) head.writeBigUInt64BE(BigInt(len), 2);
  if (opts.mask) {
    opts.mask.copy(head, 2 + extra);
    return Buffer.concat([head, applyMask(payload, opts.mask)]);
  }
  return Buffer.concat([head, payload]);
}

const KNOWN = new Set<number>([Opcode.Continuation, Opcode.Text, Opcode.Binary, Opcode.Close, Opcode.Ping, Opcode.Pong]);

export class WsFrameReader {
  private readonly bytes = new ByteQueue();

  /** `masked`: whether frames must be masked (true on a server) or must not be (a client). */
  constructor(private readonly maxPayload: number, private readonly masked: boolean) {}

  push(chunk: Buffer): WsFrame[] {
    this.bytes.push(chunk);
    const out: WsFrame[] = [];
    for (;;) {
      if (this.bytes.length < 2) return out;
      // The longest header (2 + 8 length + 4 mask) is all a frame needs before its payload.
      const b = this.bytes.peek(Math.min(this.bytes.length, 14));
      const fin = (b[0] & 0x80) !== 0;
      const rsv = b[0] & 0x70;
      const opcode = b[0] & 0x0f;
      const isMasked = (b[1] & 0x80) !== 0;
      let len = b[1] & 0x7f;
      let off = 2;
      if (rsv !== 0) throw new WsProtocolError(CloseCode.ProtocolError, `WebSocket frame with reserved bits ${rsv >> 4} set and no extension agreed`);
      if (!KNOWN.has(opcode)) throw new WsProtocolError(CloseCode.ProtocolError, `WebSocket frame with unknown opcode ${opcode}`);
      if (isMasked !== this.masked) {
        throw new WsProtocolError(CloseCode.ProtocolError, this.masked ? 'unmasked WebSocket frame from a client' : 'masked WebSocket frame from a server');
      }
      const control = opcode >= 0x8;
      if (control && (!fin || len > 125)) throw new WsProtocolError(CloseCode.ProtocolError, `WebSocket control frame (opcode ${opcode}) fragmented or over 125 bytes`);
      if (len === 126) {
        if (b.length < 4) return out;
        len = b.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (b.length < 10) return out;
        const big = b.readBigUInt64BE(2);
        if (big > BigInt(this.maxPayload)) {
          throw new WsProtocolError(CloseCode.TooBig, `WebSocket frame of ${big} bytes exceeds this server's limit of ${this.maxPayload}`);
        }
        len = Number(big);
        off = 10;
      }
      if (len > this.maxPayload) throw new WsProtocolError(CloseCode.TooBig, `WebSocket frame of ${len} bytes exceeds this server's limit of ${this.maxPayload}`);
      const maskOff = off;
      if (isMasked) off += 4;
      if (b.length < off) return out;
      if (this.bytes.length < off + len) return out;
      const mask = isMasked ? Buffer.from(b.subarray(maskOff, maskOff + 4)) : undefined;
      const raw = this.bytes.take(off + len).subarray(off);
      out.push({ fin, opcode, payload: mask ? applyMask(raw, mask) : Buffer.from(raw) });
    }
  }
}

/**
 * SPDY/3.1 framing (draft 3.1, section 2.2): the byte layout of every frame and an incremental
 * reader that turns a socket's chunks into frames. Header blocks stay compressed here; their
 * zlib context belongs to the session (spdy-headers.ts). Pure: no sockets, no timers.
 */
import { ByteQueue } from './byte-queue';

export const SPDY_VERSION = 3;
export const FLAG_FIN = 0x01;
export const FLAG_UNIDIRECTIONAL = 0x02;
/** SETTINGS id 7: the initial per-stream window the sender of the SETTINGS will honour. */
export const SETTINGS_INITIAL_WINDOW_SIZE = 7;
/** The window every stream and (in 3.1) the session start with. */
export const DEFAULT_WINDOW = 64 * 1024;
export const MAX_WINDOW = 0x7fffffff;

export enum ControlType {
  SynStream = 1,
  SynReply = 2,
  RstStream = 3,
  Settings = 4,
  Ping = 6,
  GoAway = 7,
  Headers = 8,
  WindowUpdate = 9,
}

export enum RstStatus {
  ProtocolError = 1,
  InvalidStream = 2,
  RefusedStream = 3,
  UnsupportedVersion = 4,
  Cancel = 5,
  InternalError = 6,
  FlowControlError = 7,
  StreamInUse = 8,
  StreamAlreadyClosed = 9,
  FrameTooLarge = 11,
}

export enum GoAwayStatus {
  Ok = 0,
  ProtocolError = 1,
  InternalError = 2,
}

export interface SettingEntry {
  flags: number;
  id: number;
  value: number;
}

export type Frame =
  | { type: 'data'; streamId: number; flags: number; data: Buffer }
  | { type: 'syn_stream'; streamId: number; associatedId: number; priority: number; slot: number; flags: number; headerBlock: Buffer }
  | { type: 'syn_reply'; streamId: number; flags: number; headerBlock: Buffer }
  | { type: 'rst_stream'; streamId: number; status: number }
  | { type: 'settings'; flags: number; entries: SettingEntry[] }
  | { type: 'ping'; id: number }
  | { type: 'goaway'; lastGoodStreamId: number; status: number }
  | { type: 'headers'; streamId: number; flags: number; headerBlock: Buffer }
  | { type: 'window_update'; streamId: number; delta: number }
  /** A control frame of a type this draft does not define: the spec says to ignore it. */
  | { type: 'unknown'; controlType: number; flags: number; payload: Buffer };

/** A violation of the framing that ends the session (GOAWAY PROTOCOL_ERROR), with what and where. */
export class SpdyProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SpdyProtocolError';
  }
}

const STREAM_ID_MASK = 0x7fffffff;

function control(type: ControlType, flags: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  head.writeUInt16BE(type, 2);
  head.writeUInt32BE(((flags & 0xff) << 24 | payload.length) >>> 0, 4);
  return Buffer.concat([head, payload]);
}

function words(...values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeUInt32BE(v >>> 0, i * 4));
  return b;
}

/** The wire bytes of one frame. */
export function encodeFrame(f: Frame): Buffer {
  switch (f.type) {
    case 'data': {
      if (f.data.length > 0xffffff) throw new RangeError(`SPDY data frame of ${f.data.length} bytes exceeds 2^24-1`);
      const head = words(f.streamId & STREAM_ID_MASK, ((f.flags & 0xff) << 24) | f.data.length);
      return Buffer.concat([head, f.data]);
    }
    case 'syn_stream': {
      const fixed = Buffer.alloc(10);
      fixed.writeUInt32BE(f.streamId & STREAM_ID_MASK, 0);
      fixed.writeUInt32BE(f.associatedId & STREAM_ID_MASK, 4);
      fixed[8] = (f.priority & 7) << 5;
      fixed[9] = f.slot & 0xff;
      return control(ControlType.SynStream, f.flags, Buffer.concat([fixed, f.headerBlock]));
    }
    case 'syn_reply':
      return control(ControlType.SynReply, f.flags, Buffer.concat([words(f.streamId & STREAM_ID_MASK), f.headerBlock]));
    case 'headers':
      return control(ControlType.Headers, f.flags, Buffer.concat([words(f.streamId & STREAM_ID_MASK), f.headerBlock]));
    case 'rst_stream':
      return control(ControlType.RstStream, 0, words(f.streamId & STREAM_ID_MASK, f.status));
    case 'settings': {
      const body = Buffer.alloc(4 + f.entries.length * 8);
      body.writeUInt32BE(f.entries.length, 0);
      f.entries.forEach((e, i) => {
        body.writeUInt32BE((((e.flags & 0xff) << 24) | (e.id & 0xffffff)) >>> 0, 4 + i * 8);
        body.writeUInt32BE(e.value >>> 0, 8 + i * 8);
      });
      return control(ControlType.Settings, f.flags, body);
    }
    case 'ping':
      return control(ControlType.Ping, 0, words(f.id));
    case 'goaway':
      return control(ControlType.GoAway, 0, words(f.lastGoodStreamId & STREAM_ID_MASK, f.status));
    case 'window_update':
      return control(ControlType.WindowUpdate, 0, words(f.streamId & STREAM_ID_MASK, f.delta & STREAM_ID_MASK));
    case 'unknown':
      return control(f.controlType, f.flags, f.payload);
  }
}

export interface FrameLimits {
  /** Largest control-frame payload accepted (header blocks are small; a huge one is an attack). */
  maxControlLength: number;
  /** Largest data-frame payload accepted. */
  maxDataLength: number;
}

export const DEFAULT_LIMITS: FrameLimits = { maxControlLength: 64 * 1024, maxDataLength: 1024 * 1024 };

function need(cond: boolean, what: string): void {
  if (!cond) throw new SpdyProtocolError(what);
}

function decodeControl(version: number, type: number, flags: number, p: Buffer): Frame {
  need(version === SPDY_VERSION, `SPDY control frame of version ${version}: only version 3 is spoken here`);
  const streamId = (off: number) => p.readUInt32BE(off) & STREAM_ID_MASK;
  switch (type) {
    case ControlType.SynStream:
      need(p.length >= 10, `SYN_STREAM of ${p.length} bytes: at least 10 expected`);
      return {
        type: 'syn_stream',
        streamId: streamId(0),
        associatedId: streamId(4),
        priority: p[8] >> 5,
        slot: p[9],
        flags,
        headerBlock: p.subarray(10),
      };
    case ControlType.SynReply:
      need(p.length >= 4, `SYN_REPLY of ${p.length} bytes: at least 4 expected`);
      return { type: 'syn_reply', streamId: streamId(0), flags, headerBlock: p.subarray(4) };
    case ControlType.Headers:
      need(p.length >= 4, `HEADERS of ${p.length} bytes: at least 4 expected`);
      return { type: 'headers', streamId: streamId(0), flags, headerBlock: p.subarray(4) };
    case ControlType.RstStream:
      need(p.length === 8, `RST_STREAM of ${p.length} bytes: 8 expected`);
      return { type: 'rst_stream', streamId: streamId(0), status: p.readUInt32BE(4) };
    case ControlType.Settings: {
      need(p.length >= 4, `SETTINGS of ${p.length} bytes: at least 4 expected`);
      const n = p.readUInt32BE(0);
      need(p.length === 4 + n * 8, `SETTINGS announces ${n} entries in ${p.length - 4} bytes`);
      const entries: SettingEntry[] = [];
      for (let i = 0; i < n; i++) {
        const fw = p.readUInt32BE(4 + i * 8);
        entries.push({ flags: fw >>> 24, id: fw & 0xffffff, value: p.readUInt32BE(8 + i * 8) });
      }
      return { type: 'settings', flags, entries };
    }
    case ControlType.Ping:
      need(p.length === 4, `PING of ${p.length} bytes: 4 expected`);
      return { type: 'ping', id: p.readUInt32BE(0) };
    case ControlType.GoAway:
      need(p.length === 8, `GOAWAY of ${p.length} bytes: 8 expected`);
      return { type: 'goaway', lastGoodStreamId: streamId(0), status: p.readUInt32BE(4) };
    case ControlType.WindowUpdate:
      need(p.length === 8, `WINDOW_UPDATE of ${p.length} bytes: 8 expected`);
      return { type: 'window_update', streamId: streamId(0), delta: p.readUInt32BE(4) & STREAM_ID_MASK };
    default:
      return { type: 'unknown', controlType: type, flags, payload: p };
  }
}

/**
 * Frames out of a byte stream that arrives in arbitrary pieces. A length over the limits is
 * refused from the 8-byte header alone, before any of the payload is buffered.
 */
export class FrameReader {
  private readonly bytes = new ByteQueue();

  constructor(private readonly limits: FrameLimits = DEFAULT_LIMITS) {}

  /** Frames completed by `chunk`; throws SpdyProtocolError on the first malformed one. */
  push(chunk: Buffer): Frame[] {
    this.bytes.push(chunk);
    const out: Frame[] = [];
    for (;;) {
      if (this.bytes.length < 8) return out;
      const head = Buffer.from(this.bytes.peek(8));
      const isControl = (head[0] & 0x80) !== 0;
      const flags = head[4];
      const length = head.readUInt32BE(4) & 0xffffff;
      const limit = isControl ? this.limits.maxControlLength : this.limits.maxDataLength;
      need(
        length <= limit,
        `SPDY ${isControl ? 'control' : 'data'} frame of ${length} bytes exceeds this server's limit of ${limit}`,
      );
      if (this.bytes.length < 8 + length) return out;
      const whole = this.bytes.take(8 + length);
      const payload = whole.subarray(8);
      if (isControl) {
        out.push(decodeControl(head.readUInt16BE(0) & 0x7fff, head.readUInt16BE(2), flags, payload));
      } else {
        const streamId = head.readUInt32BE(0) & STREAM_ID_MASK;
        need(streamId !== 0, 'SPDY data frame on stream 0');
        out.push({ type: 'data', streamId, flags, data: payload });
      }
    }
  }
}

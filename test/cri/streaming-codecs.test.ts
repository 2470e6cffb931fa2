/**
 * The pure parts of the streaming library on their own: SPDY and WebSocket frames through a
 * round trip in pieces of every size, the one-line errors malformed input gets, header blocks,
 * resize parsing, port parsing, status JSON.
 */
import { Readable } from 'stream';
import * as zlib from 'zlib';
import { SPDY3_DICTIONARY } from '../../supervisor/cri/streaming/spdy-dictionary';
import { encodeFrame, Frame, FrameReader } from '../../supervisor/cri/streaming/spdy-frames';
import { decodeHeaderBlock, encodeHeaderBlock, HeaderCompressor, HeaderDecompressor } from '../../supervisor/cri/streaming/spdy-headers';
import { encodeWsFrame, Opcode, WsFrameReader } from '../../supervisor/cri/streaming/websocket-frames';
import { resizeEvents } from '../../supervisor/cri/streaming/resize';
import { parsePort } from '../../supervisor/cri/streaming/port-forward';
import { statusJson } from '../../supervisor/cri/streaming/status';
import { parseStreamAddress } from '../../supervisor/cri/streaming/server';

const frames: Frame[] = [
  { type: 'syn_stream', streamId: 1, associatedId: 0, priority: 3, slot: 0, flags: 1, headerBlock: Buffer.from('hb') },
  { type: 'syn_reply', streamId: 1, flags: 0, headerBlock: Buffer.alloc(0) },
  { type: 'rst_stream', streamId: 3, status: 5 },
  { type: 'settings', flags: 0, entries: [{ flags: 1, id: 7, value: 1 << 20 }, { flags: 0, id: 4, value: 100 }] },
  { type: 'ping', id: 0xfffffffe },
  { type: 'goaway', lastGoodStreamId: 7, status: 0 },
  { type: 'headers', streamId: 5, flags: 1, headerBlock: Buffer.from([1, 2, 3]) },
  { type: 'window_update', streamId: 0, delta: 0x7fffffff },
  { type: 'data', streamId: 9, flags: 1, data: Buffer.alloc(70_000, 7) },
  { type: 'unknown', controlType: 10, flags: 0, payload: Buffer.from('credential') },
];

test('every SPDY frame type survives a round trip fed one byte, then 7, then 4096 at a time', () => {
  const wire = Buffer.concat(frames.map(encodeFrame));
  for (const step of [1, 7, 4096]) {
    const r = new FrameReader();
    const got: Frame[] = [];
    for (let off = 0; off < wire.length; off += step) got.push(...r.push(wire.subarray(off, off + step)));
    expect(got).toEqual(frames);
  }
});

test.each([
  [Buffer.from([0x80, 0x03, 0x00, 0x03, 0x00, 0x00, 0x00, 0x04, 0, 0, 0, 1]), 'RST_STREAM of 4 bytes: 8 expected'],
  [Buffer.from([0x80, 0x02, 0x00, 0x06, 0x00, 0x00, 0x00, 0x04, 0, 0, 0, 1]), 'SPDY control frame of version 2: only version 3 is spoken here'],
  [Buffer.from([0x80, 0x03, 0x00, 0x01, 0x00, 0x01, 0x00, 0x01]), "SPDY control frame of 65537 bytes exceeds this server's limit of 65536"],
  [Buffer.from([0, 0, 0, 0, 0, 0, 0, 1, 0x41]), 'SPDY data frame on stream 0'],
])('a malformed SPDY frame is refused with one line: %#', (bytes, message) => {
  expect(() => new FrameReader().push(bytes)).toThrow(message);
});

test('header blocks: round trip with several values, and each malformation named', async () => {
  const headers = { streamtype: ['data'], port: ['8080'], 'x-multi': ['a', 'b'] };
  expect(decodeHeaderBlock(encodeHeaderBlock(headers))).toEqual(headers);
  const c = new HeaderCompressor();
  const d = new HeaderDecompressor();
  // One zlib stream per direction: the second block depends on the first.
  for (let i = 0; i < 3; i++) expect(await d.decode(await c.encode({ ...headers, n: [String(i)] }))).toEqual({ ...headers, n: [String(i)] });
  c.close();
  d.close();
  const block = encodeHeaderBlock({ port: ['1'] });
  block.write('P', 8); // the name's first byte, after the pair count and the name's length
  expect(() => decodeHeaderBlock(block)).toThrow('SPDY header block: header name "Port" is not lower case');
  expect(() => decodeHeaderBlock(Buffer.from([0, 0, 1, 0, 0, 0, 0, 0]))).toThrow('SPDY header block: announces 256 pairs in 4 bytes');
  const good = encodeHeaderBlock({ port: ['1'] });
  expect(() => decodeHeaderBlock(good.subarray(0, good.length - 1))).toThrow('SPDY header block: value of "port" of 1 bytes runs past the block');
});

test('a header block compressed by plain zlib with the SPDY/3 dictionary inflates (the dictionary is the spec one)', async () => {
  expect(SPDY3_DICTIONARY.length).toBe(1423);
  const d = new HeaderDecompressor();
  const block = zlib.deflateSync(encodeHeaderBlock({ streamtype: ['stdout'] }), { dictionary: SPDY3_DICTIONARY });
  // zlib names the dictionary by its Adler-32 in the stream header: 0xe3c6a7c2 for SPDY/3.
  expect(block.readUInt32BE(2).toString(16)).toBe('e3c6a7c2');
  expect(await d.decode(block)).toEqual({ streamtype: ['stdout'] });
  d.close();
});

test('WebSocket frames: 7-bit, 16-bit and 64-bit lengths, masked, fed in pieces', () => {
  const mask = Buffer.from([1, 2, 3, 4]);
  const payloads = [Buffer.from('hi'), Buffer.alloc(300, 1), Buffer.alloc(70_000, 2)];
  const wire = Buffer.concat(payloads.map((p) => encodeWsFrame(Opcode.Binary, p, { mask })));
  const r = new WsFrameReader(1 << 20, true);
  const got = [];
  for (let off = 0; off < wire.length; off += 1000) got.push(...r.push(wire.subarray(off, off + 1000)));
  expect(got.map((f) => f.payload)).toEqual(payloads);
  expect(() => new WsFrameReader(100, true).push(encodeWsFrame(Opcode.Binary, Buffer.alloc(101), { mask }))).toThrow(
    "WebSocket frame of 101 bytes exceeds this server's limit of 100",
  );
});

test('resize: concatenated and newline-separated sizes; the first bad one ends the sequence', async () => {
  const src = Readable.from([Buffer.from('{"Width":80,"Height":24}\n{"Width":1'), Buffer.from('00,"Height":5}{"Width":-1,"Height":2}{"Width":3,"Height":3}')]);
  const got = [];
  for await (const s of resizeEvents(src)) got.push(s);
  expect(got).toEqual([{ width: 80, height: 24 }, { width: 100, height: 5 }]);
});

test('ports, addresses and the Success status as kubelet spells them', () => {
  expect(parsePort('8080')).toBe(8080);
  expect(parsePort('0')).toBe('port "0" is not a TCP port (1-65535)');
  expect(parsePort('80x')).toBe('port "80x" is not a TCP port (1-65535)');
  expect(parseStreamAddress('[::1]:10010')).toEqual({ host: '::1', port: 10010 });
  expect(() => parseStreamAddress('127.0.0.1:70000')).toThrow('--stream-address "127.0.0.1:70000": expected host:port');
  expect(statusJson({ exitCode: 0 })).toBe('{"metadata":{},"status":"Success"}');
});

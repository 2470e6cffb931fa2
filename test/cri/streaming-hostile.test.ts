/**
 * Hostile input to the streaming server from a bounded seeded generator: random and truncated
 * bytes, frames with impossible lengths, bad header compression, a compression bomb, unknown
 * stream types, frames RFC 6455 forbids. Each connection must end (with GOAWAY PROTOCOL_ERROR or
 * the close code the RFC names where the case is clear-cut), and the server must go on serving
 * a real exec, with no socket left behind.
 */
import * as zlib from 'zlib';
import { randomBytes } from 'crypto';
import { StreamingServer } from '../../supervisor/cri/streaming/server';
import { SPDY3_DICTIONARY } from '../../supervisor/cri/streaming/spdy-dictionary';
import { encodeFrame, FLAG_FIN, GoAwayStatus } from '../../supervisor/cri/streaming/spdy-frames';
import { encodeWsFrame, Opcode } from '../../supervisor/cri/streaming/websocket-frames';
import { SeededRandom } from '../helpers/seeded-choices';
import { SpdyClient } from '../helpers/spdy-client';
import { WsClient } from '../helpers/websocket-client';
import { upgrade } from '../helpers/http-upgrade';
import { expectNoConnections, shell } from './streaming-handlers';

jest.setTimeout(120_000);

const SEED = 0x5eed15;
const CASES = 40;
const io = { stdin: true, stdout: true, stderr: true, tty: false };

let server: StreamingServer;
const logged: string[] = [];
beforeAll(async () => {
  server = await StreamingServer.start({ streamCreationTimeoutMs: 300, log: (l) => logged.push(l) });
});
afterAll(async () => {
  await server.close();
});

/** A header block compressed with the SPDY/3 dictionary, in a fresh zlib stream as a client's first block is. */
const compressed = (block: Buffer) => zlib.deflateSync(block, { dictionary: SPDY3_DICTIONARY });

function headerBlock(pairs: [string, string][]): Buffer {
  const parts: Buffer[] = [];
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  parts.push(u32(pairs.length));
  for (const [k, v] of pairs) parts.push(u32(k.length), Buffer.from(k), u32(v.length), Buffer.from(v));
  return Buffer.concat(parts);
}

const synStream = (id: number, block: Buffer, flags = 0) =>
  encodeFrame({ type: 'syn_stream', streamId: id, associatedId: 0, priority: 0, slot: 0, flags, headerBlock: block });

type SpdyCase = { name: string; bytes: Buffer; protocolError: boolean };

function spdyCase(r: SeededRandom): SpdyCase {
  const kind = r.int(10);
  switch (kind) {
    case 0:
      return { name: 'random bytes', bytes: randomBytesFrom(r, 1 + r.int(2048)), protocolError: false };
    case 1: {
      const head = Buffer.from([0x80, 0x03, 0x00, 0x01, 0x00, 0xff, 0xff, 0xff]);
      return { name: 'SYN_STREAM announcing 16 MiB', bytes: head, protocolError: true };
    }
    case 2:
      return { name: 'data frame on stream 0', bytes: encodeFrame({ type: 'data', streamId: 0, flags: 0, data: Buffer.from('x') }), protocolError: true };
    case 3:
      return { name: 'SYN_STREAM whose header block is not zlib', bytes: synStream(1, randomBytesFrom(r, 1 + r.int(64))), protocolError: true };
    case 4:
      return { name: 'SYN_STREAM with an even stream id', bytes: synStream(2, compressed(headerBlock([['streamtype', 'error']]))), protocolError: true };
    case 5: {
      const bomb = compressed(Buffer.concat([headerBlock([['streamtype', 'x'.repeat(1024)]]), Buffer.alloc(4 * 1024 * 1024)]));
      return { name: 'header block inflating to 4 MiB', bytes: synStream(1, bomb), protocolError: true };
    }
    case 6: {
      const f = encodeFrame({ type: 'ping', id: 1 });
      f.writeUInt16BE(0x8002, 0);
      return { name: 'control frame of SPDY version 2', bytes: f, protocolError: true };
    }
    case 7: {
      const f = encodeFrame({ type: 'settings', flags: 0, entries: [{ flags: 0, id: 7, value: 1 }] });
      f.writeUInt32BE(5, 8);
      return { name: 'SETTINGS with a false entry count', bytes: f, protocolError: true };
    }
    case 8:
      return { name: 'session WINDOW_UPDATE of 0', bytes: encodeFrame({ type: 'window_update', streamId: 0, delta: 0 }), protocolError: true };
    default: {
      const whole = synStream(1, compressed(headerBlock([['streamtype', 'stdout']])), FLAG_FIN);
      return { name: 'truncated SYN_STREAM', bytes: whole.subarray(0, 1 + r.int(whole.length - 1)), protocolError: false };
    }
  }
}

function randomBytesFrom(r: SeededRandom, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = r.int(256);
  return b;
}

const within = <T>(p: Promise<T>, ms: number, what: string) =>
  Promise.race([p, new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`${what}: not closed within ${ms} ms`)), ms))]);

async function serverStillServes(): Promise<void> {
  const url = server.register('exec', { ...io, stdin: false }, shell('echo alive'));
  const { client } = await SpdyClient.connect(url, ['v4.channel.k8s.io']);
  const err = await client!.open({ streamtype: ['error'] });
  const out = await client!.open({ streamtype: ['stdout'] });
  await client!.open({ streamtype: ['stderr'] });
  await Promise.all([err.done(), out.done()]);
  expect(out.data.toString()).toBe('alive\n');
  await client!.closedP();
}

const noSocketsLeft = () => expectNoConnections(server);

test(`SPDY: ${CASES} hostile sessions from seed ${SEED.toString(16)} each end, and exec still works`, async () => {
  const r = new SeededRandom(SEED);
  const seen = new Set<string>();
  for (let i = 0; i < CASES; i++) {
    const c = spdyCase(r);
    seen.add(c.name);
    const url = server.register('exec', io, shell('cat'));
    const { client } = await SpdyClient.connect(url, ['v4.channel.k8s.io']);
    client!.raw(c.bytes);
    await within(client!.closedP(), 5000, `case ${i} (${c.name})`);
    if (c.protocolError) expect({ i, name: c.name, goaway: client!.goaway?.status }).toEqual({ i, name: c.name, goaway: GoAwayStatus.ProtocolError });
  }
  expect(seen.size).toBeGreaterThanOrEqual(8);
  await serverStillServes();
  await noSocketsLeft();
  expect(logged.some((l) => /^exec \(SPDY\): SPDY header block/.test(l))).toBe(true);
});

test('SPDY: an unknown stream type is reset, the session carries on to its stream timeout', async () => {
  const url = server.register('exec', io, shell('cat'));
  const { client } = await SpdyClient.connect(url, ['v4.channel.k8s.io']);
  const odd = await client!.open({ streamtype: ['video'] });
  const err = await client!.open({ streamtype: ['error'] });
  await odd.done();
  expect(odd.resetStatus).toBe(1);
  await within(client!.closedP(), 5000, 'stream timeout');
  expect(err.data.toString()).toMatch(/^timed out waiting for the client to open its streams \(stdin, stdout, stderr missing\)$/);
  await noSocketsLeft();
});

type WsCase = { name: string; bytes: Buffer; code?: number };

function wsCase(r: SeededRandom): WsCase {
  const mask = randomBytesFrom(r, 4);
  const kind = r.int(10);
  switch (kind) {
    case 0:
      return { name: 'random bytes', bytes: randomBytesFrom(r, 1 + r.int(2048)) };
    case 1:
      return { name: 'unmasked frame', bytes: encodeWsFrame(Opcode.Binary, Buffer.from([0, 1])), code: 1002 };
    case 2: {
      const f = encodeWsFrame(Opcode.Binary, Buffer.from([0, 1]), { mask });
      f[0] |= 0x40;
      return { name: 'reserved bit set', bytes: f, code: 1002 };
    }
    case 3:
      return { name: `opcode ${3 + r.int(5)}`, bytes: encodeWsFrame(3 + r.int(5), Buffer.from('x'), { mask }), code: 1002 };
    case 4:
      return { name: 'ping of 126 bytes', bytes: encodeWsFrame(Opcode.Ping, Buffer.alloc(126), { mask }), code: 1002 };
    case 5: {
      const head = Buffer.from([0x82, 0xff, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, ...mask]);
      return { name: 'frame announcing 16 TiB', bytes: head, code: 1009 };
    }
    case 6:
      return { name: 'continuation with nothing to continue', bytes: encodeWsFrame(Opcode.Continuation, Buffer.from('x'), { mask }), code: 1002 };
    case 7:
      return { name: 'text that is not UTF-8', bytes: encodeWsFrame(Opcode.Text, Buffer.from([0x30, 0xff, 0xfe]), { mask }), code: 1007 };
    case 8:
      return { name: 'close with code 1005', bytes: encodeWsFrame(Opcode.Close, Buffer.from([0x03, 0xed]), { mask }), code: 1002 };
    default: {
      const whole = encodeWsFrame(Opcode.Binary, Buffer.alloc(300), { mask });
      return { name: 'truncated frame', bytes: whole.subarray(0, 1 + r.int(whole.length - 1)) };
    }
  }
}

test(`WebSocket: ${CASES} hostile connections from seed ${SEED.toString(16)} each end, and exec still works`, async () => {
  const r = new SeededRandom(SEED + 1);
  for (let i = 0; i < CASES; i++) {
    const c = wsCase(r);
    const url = server.register('exec', io, shell('sleep 0.3'));
    const { client } = await WsClient.connect(url, ['v5.channel.k8s.io']);
    client!.raw(c.bytes);
    await within(client!.closedP(), 5000, `case ${i} (${c.name})`);
    if (c.code !== undefined) expect({ i, name: c.name, code: client!.closeCode }).toEqual({ i, name: c.name, code: c.code });
  }
  await serverStillServes();
  await noSocketsLeft();
});

test('handshakes that are not one: a bad key, a wrong version, unknown paths', async () => {
  const url = server.register('exec', io, shell('true'));
  const u = new URL(url);
  const key = randomBytes(16).toString('base64');
  const bad = await upgrade(url, 'GET', [['Connection', 'Upgrade'], ['Upgrade', 'websocket'], ['Sec-WebSocket-Version', '13'], ['Sec-WebSocket-Key', 'short']]);
  expect([bad.status, bad.body]).toEqual([400, 'Sec-WebSocket-Key must be 16 bytes in base64\n']);
  const url2 = server.register('exec', io, shell('true'));
  const v8 = await upgrade(url2, 'GET', [['Connection', 'Upgrade'], ['Upgrade', 'websocket'], ['Sec-WebSocket-Version', '8'], ['Sec-WebSocket-Key', key]]);
  expect(v8.status).toBe(426);
  expect(v8.headers['sec-websocket-version']).toEqual(['13']);
  const other = await upgrade(`http://${u.host}/exec/../../etc/passwd`, 'GET', [['Connection', 'Upgrade'], ['Upgrade', 'SPDY/3.1']]);
  expect(other.status).toBe(404);
  const res = await fetch(`http://${u.host}/`);
  expect(res.status).toBe(404);
  await serverStillServes();
  await noSocketsLeft();
});

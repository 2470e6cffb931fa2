/** The monitor's wire format from the TypeScript side (no monitor process involved), and its one definition. */
import * as fs from 'fs';
import * as path from 'path';
import {
  encodeFrame,
  EVENT,
  FrameReader,
  HOOKS,
  MAX_PAYLOAD,
  parseExitRecord,
  parseStartReport,
  REQUEST,
  resizeFrame,
  SOCKET_FILE,
  stdinFrames,
} from '../../supervisor/tasks/monitor-protocol';

test('a frame is type, little-endian length, payload', () => {
  expect([...encodeFrame(REQUEST.closeStdin)]).toEqual([0x63, 0, 0, 0, 0]);
  expect([...resizeFrame(0x102, 24)]).toEqual([0x72, 4, 0, 0, 0, 0x02, 0x01, 24, 0]);
  expect(() => encodeFrame(REQUEST.stdin, Buffer.alloc(MAX_PAYLOAD + 1))).toThrow(RangeError);
});

test('stdin data is cut into frames the monitor accepts', () => {
  const frames = stdinFrames(Buffer.alloc(2 * MAX_PAYLOAD + 1, 'a'));
  expect(frames.map((f) => f.readUInt32LE(1))).toEqual([MAX_PAYLOAD, MAX_PAYLOAD, 1]);
  expect(stdinFrames(Buffer.alloc(0))).toEqual([]);
});

test('resize refuses what a u16 cannot hold', () => {
  expect(() => resizeFrame(70000, 24)).toThrow('pty cols must be an integer in [0, 65535], got 70000');
  expect(() => resizeFrame(80, 1.5)).toThrow('pty rows');
});

test('the reader reassembles frames split anywhere and keeps several in one chunk apart', () => {
  const exit = Buffer.from('{"pid":5,"exitStatus":137,"signal":9,"exitedAt":"2026-11-23T12:00:00.000000001Z"}');
  const stream = Buffer.concat([
    encodeFrame(EVENT.created, Buffer.from('{"pid":5,"monitorPid":4}')),
    encodeFrame(0x6b),
    encodeFrame(EVENT.exit, exit),
  ]);
  for (let cut = 0; cut <= stream.length; cut++) {
    const reader = new FrameReader();
    const frames = [...reader.push(stream.subarray(0, cut)), ...reader.push(stream.subarray(cut))];
    expect(frames.map((f) => [f.type, f.payload.toString()])).toEqual([
      [EVENT.created, '{"pid":5,"monitorPid":4}'],
      [0x6b, ''],
      [EVENT.exit, exit.toString()],
    ]);
  }
  expect(parseExitRecord(exit.toString())).toEqual({ pid: 5, exitStatus: 137, signal: 9, exitedAt: '2026-11-23T12:00:00.000000001Z' });
});

test('the start-up report has three shapes, and nothing else passes', () => {
  expect(parseStartReport('{"pid":12,"monitorPid":11}')).toEqual({ pid: 12, monitorPid: 11 });
  const error = { phase: 'monitor', step: -1, errno: 2, code: 'ENOENT', syscall: 'chdir', path: '/x' };
  expect(parseStartReport(JSON.stringify({ error }))).toEqual({ error });
  expect(() => parseStartReport('{"error":"chdir /x: ENOENT"}')).toThrow('unexpected report');
  const failure = { phase: 'init', step: 3, errno: 2, code: 'ENOENT', syscall: 'mount', path: '/mnt' };
  expect(parseStartReport(JSON.stringify({ failure }))).toEqual({ failure });
  expect(() => parseStartReport('{"pid":"12"}')).toThrow('unexpected report');
  expect(() => parseExitRecord('{"pid":1}')).toThrow('malformed exit record');
});

test('a runtime-hooks pause and an abort are report lines of their own', () => {
  expect(parseStartReport('{"runtimeHooks":{"pid":42}}')).toEqual({ runtimeHooks: { pid: 42 } });
  expect(parseStartReport('{"aborted":true}')).toEqual({ aborted: true });
  expect(() => parseStartReport('{"runtimeHooks":{}}')).toThrow('unexpected report');
});

describe('the protocol table (supervisor/tasks/monitor-protocol.json)', () => {
  const gen = require('../../supervisor/tasks/tools/gen-monitor-protocol.js') as {
    TABLE: string;
    checkTable(table: object): object;
    renderC(table: object): string;
  };
  type Table = Record<string, Record<string, { value: string | number }>>;
  const table: Table = JSON.parse(fs.readFileSync(gen.TABLE, 'utf8'));
  const variant = (edit: (t: Table) => void) => {
    const t: Table = JSON.parse(JSON.stringify(table));
    edit(t);
    return () => gen.checkTable(t);
  };

  test('the C header says what the TypeScript says', () => {
    const header = gen.renderC(table);
    expect(header).toContain(`#define MON_SOCKET_FILE "${SOCKET_FILE}"`);
    expect(header).toContain(`#define MON_MAX_PAYLOAD ${MAX_PAYLOAD}`);
    expect(header).toContain(`REQ_CLOSE_STDIN = '${String.fromCharCode(REQUEST.closeStdin)}'`);
    expect(header).toContain(`MON_HOOKS_ABORT = '${String.fromCharCode(HOOKS.abort)}'`);
    expect(fs.readFileSync(path.join(__dirname, '../../native/src/monitor/protocol.h'), 'utf8')).toBe(header);
  });

  test('two types one byte in the same direction, or a type of two bytes, are refused', () => {
    expect(variant((t) => (t.events.oom.value = 'k'))).toThrow("events.oom: 'k' is replies.ok's already (from the monitor)");
    expect(variant((t) => (t.requests.stdin.value = 'in'))).toThrow('requests.stdin: a type is one printable character');
    // A request may share its byte with an event: they travel in opposite directions.
    expect(variant((t) => (t.requests.stdin.value = 'X'))).not.toThrow();
  });
});

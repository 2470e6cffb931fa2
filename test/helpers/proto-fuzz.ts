/**
 * Seeded generators of protobuf requests for fuzzing a gRPC server from its loaded protos: every
 * field of a message type filled (or left out) at random with values from a list the test gives
 * (strings) and edge numbers, then encoded as valid bytes or bytes that are not the message (cut,
 * flipped, a field of the wrong wire type); one call of any streaming kind with such bytes.
 */
import * as grpc from '@grpc/grpc-js';
import type * as protobuf from 'protobufjs';

/** Random choices from a seeded source; `strings` gives the string values fields get. */
export class Gen {
  constructor(
    readonly next: () => number,
    readonly strings: () => readonly string[],
  ) {}
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
}

const INTS = [0, 1, -1, 9, 15, 64, 65, 2 ** 31 - 1, -(2 ** 31)];
const UINTS = [0, 1, 65535, 65536, 2 ** 32 - 1];
const LONGS = [0, -1, 1, 2 ** 40, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER];

export function scalar(g: Gen, field: protobuf.Field, depth: number): unknown {
  if (field.resolvedType && 'values' in field.resolvedType) {
    const e = field.resolvedType as protobuf.Enum;
    return g.int(4) === 0 ? 99 : g.pick(Object.keys(e.values));
  }
  if (field.resolvedType) return g.int(3) === 0 && !field.repeated && !field.map ? null : message(g, field.resolvedType as protobuf.Type, depth + 1);
  switch (field.type) {
    case 'string':
      return g.pick(g.strings());
    case 'bool':
      return g.int(2) === 0;
    case 'bytes':
      return g.pick([Buffer.alloc(0), Buffer.from('hello\n'), Buffer.alloc(1.5 * 1024 * 1024, 0x61), Buffer.from([0, 255, 0])]);
    case 'uint32':
    case 'fixed32':
      return g.pick(UINTS);
    case 'int64':
    case 'uint64':
    case 'sint64':
    case 'fixed64':
    case 'sfixed64':
      return g.pick(LONGS);
    case 'double':
    case 'float':
      return g.pick([0, -1, 1e308, Number.NaN, Number.POSITIVE_INFINITY]);
    default:
      return g.pick(INTS);
  }
}

export function message(g: Gen, type: protobuf.Type, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    field.resolve();
    if (g.int(4) === 0) continue;
    if (depth > 2 && field.resolvedType && !('values' in field.resolvedType)) continue;
    if (field.map) {
      const m: Record<string, unknown> = {};
      for (let i = g.int(4); i > 0; i--) m[g.pick(g.strings()).slice(0, 300)] = scalar(g, field, depth);
      out[field.name] = m;
    } else if (field.repeated) {
      out[field.name] = Array.from({ length: g.pick([0, 1, 3, 300]) }, () => scalar(g, field, depth));
    } else {
      out[field.name] = scalar(g, field, depth);
    }
  }
  return out;
}

/** Valid bytes of `type` with `obj` as its value, or bytes that are not one: cut, flipped, or a field of the wrong wire type. */
export function requestBytes(g: Gen, type: protobuf.Type, obj: Record<string, unknown>): Buffer {
  const bytes = Buffer.from(type.encode(type.fromObject(obj)).finish());
  switch (g.int(6)) {
    case 0:
      return bytes.subarray(0, g.int(bytes.length + 1));
    case 1: {
      const b = Buffer.from(bytes);
      for (let i = 0; i < 4 && b.length > 0; i++) b[g.int(b.length)] = g.int(256);
      return b;
    }
    case 2: {
      // A declared field with another wire type: a varint where a string is, a length where a number is.
      const field = type.fieldsArray.length ? g.pick(type.fieldsArray).id : 1;
      const wire = g.pick([0, 1, 2, 5, 3, 7]);
      const tail = wire === 2 ? [0x7f, 1, 2] : [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
      return Buffer.concat([bytes, Buffer.from([(field << 3) | wire]), Buffer.from(tail)]);
    }
    default:
      return bytes;
  }
}

export interface Outcome {
  code: number;
  details: string;
}

export function call(client: grpc.Client, def: grpc.MethodDefinition<unknown, unknown>, body: Buffer, deadlineMs: number): Promise<Outcome> {
  const raw = (b: Buffer) => b;
  const deadline = Date.now() + deadlineMs;
  return new Promise((resolve) => {
    const done = (err: grpc.ServiceError | null) => resolve(err ? { code: err.code, details: err.details } : { code: grpc.status.OK, details: '' });
    if (!def.requestStream && !def.responseStream) {
      client.makeUnaryRequest(def.path, raw, def.responseDeserialize, body, new grpc.Metadata(), { deadline }, done);
      return;
    }
    if (def.requestStream && !def.responseStream) {
      const s = client.makeClientStreamRequest(def.path, raw, def.responseDeserialize, new grpc.Metadata(), { deadline }, done);
      s.write(body);
      s.write(body);
      s.end();
      return;
    }
    const s = def.requestStream
      ? client.makeBidiStreamRequest(def.path, raw, def.responseDeserialize, new grpc.Metadata(), { deadline })
      : client.makeServerStreamRequest(def.path, raw, def.responseDeserialize, body, new grpc.Metadata(), { deadline });
    if (def.requestStream) {
      const w = s as grpc.ClientDuplexStream<Buffer, unknown>;
      w.write(body);
      w.end();
    }
    s.on('data', () => undefined);
    s.on('error', done);
    s.on('status', (st: grpc.StatusObject) => st.code === grpc.status.OK && done(null));
  });
}

/** Codes a failed request may end with: the caller's mistake or state, or a limit (never INTERNAL or UNKNOWN). */
export const ACCEPTED = new Set([
  grpc.status.OK,
  grpc.status.INVALID_ARGUMENT,
  grpc.status.NOT_FOUND,
  grpc.status.ALREADY_EXISTS,
  grpc.status.FAILED_PRECONDITION,
  grpc.status.OUT_OF_RANGE,
  grpc.status.RESOURCE_EXHAUSTED,
  grpc.status.UNAVAILABLE,
  grpc.status.UNIMPLEMENTED,
  grpc.status.DEADLINE_EXCEEDED,
]);


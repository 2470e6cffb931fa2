/**
 * Every RPC of every service (enumerated from the loaded protos, so a new RPC is covered without
 * touching this file) sent malformed and impossible requests from a seeded generator: empty and
 * huge strings, NULs, unknown ids, paths that do not exist, absurd numbers, and bytes that are not
 * the message at all (truncated, flipped, fields of the wrong wire type). After each request the
 * daemon must still answer Version and Health, and a failure must be a status a client can act on
 * with a one-line message free of Node's internals. tsrund runs in a network namespace of its
 * own (nothing but a down loopback), so no request can reach past this machine.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as grpc from '@grpc/grpc-js';
import type * as protobuf from 'protobufjs';
import { API_PACKAGE, apiRoot, apiServices, SERVICE_NAMES } from '../../supervisor/api/load';
import { makeBundle } from '../helpers/bundle';
import { buildBusyboxArchive } from '../helpers/oci-image';
import { seededRandom } from '../helpers/seeded-random';
import { TestDaemon, TSCTL } from './daemon';
import { NODE_INTERNAL_TEXT } from './messages';

const SEED = 0x7e57;
const CASES_PER_METHOD = 30;
const CALL_DEADLINE_MS = 1500;

const daemon = new TestDaemon();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrund-fuzz-'));
const bundle = makeBundle(['sleep', '600']);
const LIVE = 'fz-live';
const IMAGE = 'localhost/fuzz:1';

beforeAll(async () => {
  await daemon.start([], (argv) => ['unshare', '--net', '--', ...argv]);
  fs.writeFileSync(path.join(work, 'empty'), '');
  fs.writeFileSync(path.join(work, 'garbage.tar'), Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 131) & 0xff)));
  fs.mkdirSync(path.join(work, 'dir'));
  fs.mkdirSync(path.join(work, 'bad-bundle'));
  fs.writeFileSync(path.join(work, 'bad-bundle', 'config.json'), '{"ociVersion": 5, "process": null');
  // An image and a container with a running task, for requests to name things that exist.
  await daemon.client.importImages(buildBusyboxArchive(work, IMAGE).file);
  await daemon.client.createContainer({ id: LIVE, bundle: bundle.dir });
  await daemon.client.createTask(LIVE);
  await daemon.client.startTask(LIVE);
}, 30_000);

afterAll(async () => {
  await daemon.cleanup();
  bundle.cleanup();
  fs.rmSync(work, { recursive: true, force: true });
}, 60_000);

class Gen {
  constructor(readonly next: () => number) {}
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
}

const strings = (): string[] => [
  '',
  'fz',
  LIVE,
  'no-such-id',
  '-x',
  '..',
  '.hidden',
  'a\0b',
  '\0',
  '\n',
  'x'.repeat(100_000),
  'é\u{1F600}\uFFFD',
  'key=value',
  '=',
  'sha256:' + '0'.repeat(64),
  'sha256:xyz',
  'busybox',
  IMAGE,
  IMAGE,
  'docker.io/library/busybox:latest',
  '127.0.0.1:1/x/y:z',
  'linux/amd64',
  'os/arch/variant/extra',
  '4294967295',
  '4294967296:0',
  '-1',
  '/',
  '/missing/dir/x.tar',
  path.join(work, 'missing', 'dir', 'x.tar'),
  path.join(work, 'empty'),
  path.join(work, 'garbage.tar'),
  path.join(work, 'dir'),
  path.join(work, 'out.tar'),
  path.join(work, 'bad-bundle'),
  bundle.dir,
  'relative/path',
];

/** References Pull may be given: only a loopback registry (down in tsrund's netns) or malformed ones. */
const PULL_REFERENCES = ['', '127.0.0.1:1/x/y:z', '127.0.0.1:1/a@sha256:' + '0'.repeat(64), 'UPPER/Case', 'a\0b', 'x'.repeat(5000), '::'];

const INTS = [0, 1, -1, 9, 15, 64, 65, 2 ** 31 - 1, -(2 ** 31)];
const UINTS = [0, 1, 65535, 65536, 2 ** 32 - 1];
const LONGS = [0, -1, 1, 2 ** 40, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER];

function scalar(g: Gen, field: protobuf.Field, depth: number): unknown {
  if (field.resolvedType && 'values' in field.resolvedType) {
    const e = field.resolvedType as protobuf.Enum;
    return g.int(4) === 0 ? 99 : g.pick(Object.keys(e.values));
  }
  if (field.resolvedType) return g.int(3) === 0 && !field.repeated && !field.map ? null : message(g, field.resolvedType as protobuf.Type, depth + 1);
  switch (field.type) {
    case 'string':
      return g.pick(strings());
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

function message(g: Gen, type: protobuf.Type, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    field.resolve();
    if (g.int(4) === 0) continue;
    if (depth > 2 && field.resolvedType && !('values' in field.resolvedType)) continue;
    if (field.map) {
      const m: Record<string, unknown> = {};
      for (let i = g.int(4); i > 0; i--) m[g.pick(strings()).slice(0, 300)] = scalar(g, field, depth);
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
function requestBytes(g: Gen, type: protobuf.Type, obj: Record<string, unknown>): Buffer {
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

interface Outcome {
  code: number;
  details: string;
}

function call(client: grpc.Client, def: grpc.MethodDefinition<unknown, unknown>, body: Buffer): Promise<Outcome> {
  const raw = (b: Buffer) => b;
  const deadline = Date.now() + CALL_DEADLINE_MS;
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
const ACCEPTED = new Set([
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

test(`every RPC survives ${CASES_PER_METHOD} generated bad requests (seed ${SEED}) with a proper status`, async () => {
  const root = apiRoot();
  const defs = apiServices();
  const client = new grpc.Client(`unix://${daemon.address}`, grpc.credentials.createInsecure());
  const g = new Gen(seededRandom(SEED));
  const bad: string[] = [];
  let methods = 0;
  try {
    for (const serviceName of SERVICE_NAMES) {
      const service = root.lookupService(`${API_PACKAGE}.${serviceName}`);
      for (const method of service.methodsArray) {
        methods++;
        const def = Object.values(defs[serviceName]).find((d) => d.originalName === method.name)!;
        const type = method.resolvedRequestType!;
        for (let i = 0; i < CASES_PER_METHOD; i++) {
          const obj = message(g, type);
          if (serviceName === 'Images' && method.name === 'Pull') obj.reference = g.pick(PULL_REFERENCES);
          const body = requestBytes(g, type, obj);
          const what = `${serviceName}.${method.name} case ${i}`;
          const r = await call(client, def, body);
          // A request stream's messages are decoded by grpc-js itself, which answers INTERNAL for garbage.
          const undecodable = def.requestStream && r.code === grpc.status.INTERNAL && r.details === 'Error deserializing request';
          if (!ACCEPTED.has(r.code) && !undecodable) bad.push(`${what}: code ${grpc.status[r.code]}: ${r.details}`);
          if (r.details.includes('\n') || NODE_INTERNAL_TEXT.test(r.details)) bad.push(`${what}: message ${JSON.stringify(r.details.slice(0, 300))}`);
          expect(daemon.proc!.exitCode).toBeNull();
          const alive = await daemon.client.version().then(
            () => daemon.client.health(),
            (err: Error) => `down after ${what}: ${err.message}`,
          );
          expect(alive).toBe('SERVING');
        }
      }
    }
  } finally {
    client.close();
  }
  expect(methods).toBeGreaterThan(25);
  expect(bad).toEqual([]);
  expect(daemon.stderr).not.toMatch(/unhandled rejection|uncaught exception/);
}, 600_000);

/** Command names of a tsctl usage text ("   run        create and start..."). */
const commandsOf = (usage: string): string[] => [...usage.matchAll(/^ {3}([a-z]+) {2,}\S/gm)].map((m) => m[1]);

test('every tsctl command given bad arguments fails with one line of its own (no Node or gRPC text), tsrund serving', () => {
  const tsctl = (args: string[]) => spawnSync(TSCTL, ['--address', daemon.address, ...args], { encoding: 'utf8', timeout: 30_000 });
  const top = commandsOf(tsctl(['--help']).stdout);
  const images = commandsOf(tsctl(['images']).stdout + tsctl(['images']).stderr).map((s) => `images ${s}`);
  expect(top).toEqual(expect.arrayContaining(['run', 'ls', 'exec', 'images']));
  expect(images).toEqual(expect.arrayContaining(['images pull', 'images export']));
  const BAD_ARGS = [[], ['--no-such-flag'], ['no-such-id', 'x'], ['x'.repeat(5000)], ['a\u0001b', '/missing/dir/x.tar']];
  const bad: string[] = [];
  let failures = 0;
  for (const cmd of [...top.filter((c) => c !== 'images'), ...images, 'images no-such-subcommand']) {
    for (const args of BAD_ARGS) {
      // `events` with nothing wrong streams until interrupted.
      if (cmd === 'events' && args.length === 0) continue;
      const argv = [...cmd.split(' '), ...args];
      // Only a loopback registry may be asked for (tsrund's netns has nothing else either).
      if (/pull$/.test(cmd) && args.length > 0) argv.splice(cmd.split(' ').length, 1, '127.0.0.1:1/x/y:z');
      const r = tsctl(argv);
      const what = `tsctl ${argv.join(' ').slice(0, 80)}`;
      if (r.error) bad.push(`${what}: ${r.error.message}`);
      if (r.status === 0) continue;
      failures++;
      if (r.status !== 1) bad.push(`${what}: exit ${r.status}`);
      // One line; rm prints one per id it could not remove.
      const lines = r.stderr.replace(/\n$/, '').split('\n');
      const ok = (line: string) => /^tsctl( [a-z]+)*: /.test(line) && !NODE_INTERNAL_TEXT.test(line);
      if ((lines.length > 1 && cmd !== 'rm') || !lines.every(ok)) bad.push(`${what}: ${JSON.stringify(r.stderr.slice(0, 300))}`);
    }
  }
  expect(failures).toBeGreaterThan(50);
  expect(bad).toEqual([]);
  expect(daemon.proc!.exitCode).toBeNull();
}, 300_000);

/**
 * The CRI RPCs this module implements (runtime info and ImageService) sent requests a seeded
 * generator makes from the proto (tests/helpers/proto-fuzz.ts): random fields of every type, empty
 * and huge strings, NULs, references that are not ones, ids that are not there, and bytes that are
 * not the message at all. tsrund must keep serving, and answer each with a status a client can act
 * on, in one line without Node's internals. tsrund runs in a network namespace of its own (a down
 * loopback only): no pull can reach past this machine.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as grpc from '@grpc/grpc-js';
import { CRI_PACKAGE, criRoot, criServices, type CriServiceName } from '../../supervisor/api/cri/load';
import { buildBusyboxArchive } from '../helpers/oci-image';
import { ACCEPTED, call, Gen, message, requestBytes } from '../helpers/proto-fuzz';
import { seededRandom } from '../helpers/seeded-random';
import { TestDaemon } from '../supervisor/daemon';
import { NODE_INTERNAL_TEXT } from '../supervisor/messages';
import { CriClient } from './client';

const SEED = 0xcc15;
const CASES_PER_METHOD = 30;
const CALL_DEADLINE_MS = 1500;
const IMAGE = 'localhost/cc-fuzz:1';

/** The methods under test: what runtime-info.ts and images.ts implement. */
const METHODS: [CriServiceName, string[]][] = [
  ['RuntimeService', ['Version', 'Status', 'RuntimeConfig', 'UpdateRuntimeConfig', 'CheckpointContainer']],
  ['ImageService', ['ListImages', 'StreamImages', 'ImageStatus', 'PullImage', 'RemoveImage', 'ImageFsInfo']],
];

/** References PullImage may be given: a loopback registry (down in tsrund's netns) or malformed ones. */
const PULL_REFERENCES = ['', '127.0.0.1:1/x/y:z', '127.0.0.1:1/a@sha256:' + '0'.repeat(64), 'UPPER/Case', 'a\0b', 'x'.repeat(5000), '::', IMAGE];

const daemon = new TestDaemon();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-fuzz-'));
let configDigest = '';

const strings = (): string[] => [
  '',
  'cc-x',
  'busybox',
  IMAGE,
  configDigest,
  configDigest.slice(7),
  'sha256:' + '0'.repeat(64),
  'sha256:xyz',
  'localhost/cc-fuzz@sha256:' + '1'.repeat(64),
  'a\0b',
  '\n',
  'x'.repeat(100_000),
  'é\u{1F600}\uFFFD',
  '10.88.0.0/16',
  '10.88.0.0/16,fd00::/64',
  '::/129',
  '1.2.3.4/-1',
  ',',
  '/',
  'relative/path',
  Buffer.from('u:p').toString('base64'),
  '!!!not base64',
  '127.0.0.1:1',
];

beforeAll(async () => {
  await daemon.start([], (argv) => ['unshare', '--net', '--', ...argv]);
  await daemon.client.importImages(buildBusyboxArchive(work, IMAGE).file);
  const cri = new CriClient(daemon.criAddress);
  configDigest = (await cri.image('imageStatus', { image: { image: IMAGE } })).image!.id;
  cri.close();
}, 60_000);

afterAll(async () => {
  await daemon.cleanup();
  fs.rmSync(work, { recursive: true, force: true });
}, 60_000);

test(`the CRI RPCs tsrund implements survive ${CASES_PER_METHOD} generated requests each (seed ${SEED})`, async () => {
  const root = criRoot();
  const defs = criServices();
  const client = new grpc.Client(`unix://${daemon.criAddress}`, grpc.credentials.createInsecure());
  const cri = new CriClient(daemon.criAddress);
  const g = new Gen(seededRandom(SEED), strings);
  const bad: string[] = [];
  const codes = new Map<string, Set<number>>();
  try {
    for (const [serviceName, names] of METHODS) {
      const service = root.lookupService(`${CRI_PACKAGE}.${serviceName}`);
      for (const name of names) {
        const method = service.methods[name];
        const def = Object.values(defs[serviceName]).find((d) => d.originalName === name)!;
        const type = method.resolvedRequestType!;
        for (let i = 0; i < CASES_PER_METHOD; i++) {
          const obj = message(g, type);
          if (name === 'PullImage') obj.image = { ...((obj.image as object) ?? {}), image: g.pick(PULL_REFERENCES) };
          const body = requestBytes(g, type, obj);
          const what = `${serviceName}.${name} case ${i}`;
          const r = await call(client, def, body, CALL_DEADLINE_MS);
          codes.set(name, (codes.get(name) ?? new Set()).add(r.code));
          if (!ACCEPTED.has(r.code)) bad.push(`${what}: code ${grpc.status[r.code]}: ${r.details}`);
          if (r.details.includes('\n') || NODE_INTERNAL_TEXT.test(r.details)) bad.push(`${what}: message ${JSON.stringify(r.details.slice(0, 300))}`);
          expect(daemon.proc!.exitCode).toBeNull();
          expect((await cri.runtime('version')).runtimeName).toBe('tsrun');
        }
      }
    }
  } finally {
    client.close();
    cri.close();
  }
  expect(bad).toEqual([]);
  // The generator reaches both sides: requests answered, and requests refused.
  expect([...codes.get('ImageStatus')!]).toEqual(expect.arrayContaining([grpc.status.OK, grpc.status.INVALID_ARGUMENT]));
  expect([...codes.get('UpdateRuntimeConfig')!]).toEqual(expect.arrayContaining([grpc.status.OK, grpc.status.INVALID_ARGUMENT]));
  expect(daemon.stderr).not.toMatch(/unhandled rejection|uncaught exception/);
}, 600_000);

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
import { API_PACKAGE, apiRoot, apiServices, SERVICE_NAMES } from '../../supervisor/api/load';
import { makeBundle } from '../helpers/bundle';
import { buildBusyboxArchive } from '../helpers/oci-image';
import { seededRandom } from '../helpers/seeded-random';
import { ACCEPTED, call, Gen, message, requestBytes } from '../helpers/proto-fuzz';
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

/** Registries Login and Logout may name: loopback ones (down in tsrund's netns) or malformed ones; never Docker Hub's default. */
const LOGIN_SERVERS = ['127.0.0.1:1', 'http://127.0.0.1:1/', 'localhost:1', 'a\0b', 'x'.repeat(5000), '::', 'https://'];

test(`every RPC survives ${CASES_PER_METHOD} generated bad requests (seed ${SEED}) with a proper status`, async () => {
  const root = apiRoot();
  const defs = apiServices();
  const client = new grpc.Client(`unix://${daemon.address}`, grpc.credentials.createInsecure());
  const g = new Gen(seededRandom(SEED), strings);
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
          if (serviceName === 'Images' && method.name === 'Push') obj.destination = g.pick(PULL_REFERENCES);
          if (serviceName === 'Images' && (method.name === 'Login' || method.name === 'Logout')) obj.server = g.pick(LOGIN_SERVERS);
          const body = requestBytes(g, type, obj);
          const what = `${serviceName}.${method.name} case ${i}`;
          const r = await call(client, def, body, CALL_DEADLINE_MS);
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

/** Command names of a tsctl usage text ("  run        create and start..."). */
const commandsOf = (usage: string): string[] => [...usage.matchAll(/^ {2,3}([a-z]+) {2,}\S/gm)].map((m) => m[1]);

test('every tsctl command given bad arguments fails with one line of its own (no Node or gRPC text), tsrund serving', () => {
  const tsctl = (args: string[]) => spawnSync(TSCTL, ['--address', daemon.address, ...args], { encoding: 'utf8', timeout: 30_000 });
  const top = commandsOf(tsctl(['--help']).stdout);
  const subcommands = (group: string) => commandsOf(tsctl([group]).stdout + tsctl([group]).stderr).map((s) => `${group} ${s}`);
  const images = subcommands('images');
  const networks = subcommands('network');
  const volumes = subcommands('volume');
  const builder = subcommands('builder');
  expect(top).toEqual(expect.arrayContaining(['run', 'ls', 'exec', 'images', 'network', 'port', 'volume']));
  expect(images).toEqual(expect.arrayContaining(['images pull', 'images export']));
  expect(networks).toEqual(expect.arrayContaining(['network create', 'network disconnect']));
  expect(volumes).toEqual(expect.arrayContaining(['volume create', 'volume prune']));
  expect(builder).toEqual(['builder prune']);
  const BAD_ARGS = [[], ['--no-such-flag'], ['no-such-id', 'x'], ['x'.repeat(5000)], ['a\u0001b', '/missing/dir/x.tar']];
  const bad: string[] = [];
  let failures = 0;
  const groups = ['images', 'network', 'volume', 'builder'];
  for (const cmd of [...top.filter((c) => !groups.includes(c)), ...images, ...networks, ...volumes, ...builder, ...groups.map((g) => `${g} no-such-subcommand`)]) {
    for (const args of BAD_ARGS) {
      // `events` with nothing wrong streams until interrupted.
      if (cmd === 'events' && args.length === 0) continue;
      const argv = [...cmd.split(' '), ...args];
      // Only a loopback registry may be asked for (tsrund's netns has nothing else either).
      if (/pull$/.test(cmd) && args.length > 0) argv.splice(cmd.split(' ').length, 1, '127.0.0.1:1/x/y:z');
      // run and create pull a missing image (from docker.io for a bare name): not here.
      if (cmd === 'run' || cmd === 'create') argv.splice(1, 0, '--pull', 'never');
      const r = tsctl(argv);
      const what = `tsctl ${argv.join(' ').slice(0, 80)}`;
      if (r.error) bad.push(`${what}: ${r.error.message}`);
      if (r.status === 0) continue;
      failures++;
      // docker's statuses: 125 for a refused flag (an unknown subcommand is refused first, with 1),
      // and for every failure of run, create and exec.
      const flagRefused = argv.includes('--no-such-flag') && !cmd.endsWith('no-such-subcommand');
      const status = flagRefused || ['run', 'create', 'exec'].includes(cmd) ? 125 : 1;
      if (r.status !== status) bad.push(`${what}: exit ${r.status}, not ${status}`);
      // One line; the commands taking several names print one per name that failed.
      const lines = r.stderr.replace(/\n$/, '').split('\n');
      const ok = (line: string) => /^tsctl( [a-z]+)*: /.test(line) && !NODE_INTERNAL_TEXT.test(line);
      const perName = ['rm', 'stop', 'start', 'restart', 'kill', 'wait', 'inspect', 'stats', 'network rm', 'network inspect', 'volume rm', 'volume inspect'].includes(cmd);
      if ((lines.length > 1 && !perName) || !lines.every(ok)) bad.push(`${what}: ${JSON.stringify(r.stderr.slice(0, 300))}`);
    }
  }
  expect(failures).toBeGreaterThan(50);
  expect(bad).toEqual([]);
  expect(daemon.proc!.exitCode).toBeNull();
}, 300_000);

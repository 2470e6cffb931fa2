/**
 * RuntimeService's runtime questions through a real tsrund's CRI socket, with our client built
 * from the proto: Version, Status (NetworkReady follows --cni-conf-dir), RuntimeConfig,
 * UpdateRuntimeConfig (kept across a restart), CheckpointContainer; the socket itself (0600,
 * --cri=false, a clash with --address); an RPC nobody implements.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as grpc from '@grpc/grpc-js';
import { criServices } from '../../supervisor/api/cri/load';
import { implementation } from '../../supervisor/cri/server';
import { LineLogger } from '../../supervisor/daemon/logger';
import { failure, TestDaemon, TSRUND } from '../supervisor/daemon';
import { CriClient } from './client';

// Several cases start or restart a tsrund: 3.5 s alone, past jest's 5 s default on a loaded host.
jest.setTimeout(30_000);

describe('a tsrund serving the CRI', () => {
  const daemon = new TestDaemon();
  let cri: CriClient;

  beforeAll(async () => {
    await daemon.start();
    cri = new CriClient(daemon.criAddress);
  });

  afterAll(async () => {
    cri.close();
    await daemon.cleanup();
  });

  test('the socket is 0600 and answers Version as tsrun, runtime.v1', async () => {
    expect(fs.statSync(daemon.criAddress).mode & 0o777).toBe(0o600);
    expect(fs.statSync(daemon.criAddress).isSocket()).toBe(true);
    expect(await cri.runtime('version', { version: '0.1.0' })).toEqual({ version: '0.1.0', runtimeName: 'tsrun', runtimeVersion: '0.1.0', runtimeApiVersion: 'v1' });
  });

  test('Status: runtime ready; network not ready until --cni-conf-dir holds a network list', async () => {
    const before = await cri.runtime('status');
    const byType = (s: typeof before) => Object.fromEntries(s.status!.conditions.map((c) => [c.type, c]));
    expect(byType(before).RuntimeReady).toMatchObject({ status: true });
    expect(byType(before).NetworkReady).toMatchObject({ status: false, reason: 'NetworkPluginNotReady' });
    expect(byType(before).NetworkReady.message).toContain(daemon.cniConfDir);
    expect(before.info).toEqual({});

    await daemon.client.createNetwork({ name: 'cc-net' });
    const after = await cri.runtime('status', { verbose: true });
    expect(byType(after).NetworkReady).toEqual({ type: 'NetworkReady', status: true, reason: '', message: '' });
    const config = JSON.parse(after.info.config);
    expect(config).toMatchObject({ criAddress: daemon.criAddress, cniConfDir: daemon.cniConfDir, cniNetworks: ['cc-net'], cgroupDriver: 'cgroupfs' });
    expect(after.info.lastCNILoadStatus).toBe('OK');
    await daemon.client.deleteNetwork('cc-net');
  });

  test('RuntimeConfig: the cgroupfs driver', async () => {
    expect(await cri.runtime('runtimeConfig')).toEqual({ linux: { cgroupDriver: 'CGROUPFS' } });
  });

  test('UpdateRuntimeConfig keeps the pod CIDR, across a restart; a bad one is refused naming the field', async () => {
    expect(await cri.runtime('updateRuntimeConfig', { runtimeConfig: { networkConfig: { podCidr: '10.88.0.0/16,fd00:88::/64' } } })).toEqual({});
    // An empty CIDR (kubelet before it knows one) keeps what was set.
    await cri.runtime('updateRuntimeConfig', {});
    const podCidr = async () => JSON.parse((await cri.runtime('status', { verbose: true })).info.config).podCidr;
    expect(await podCidr()).toBe('10.88.0.0/16,fd00:88::/64');

    const bad = await failure(cri.runtime('updateRuntimeConfig', { runtimeConfig: { networkConfig: { podCidr: '10.88.0.0/33' } } }));
    expect(bad).toEqual({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringMatching(/^runtime_config\.network_config\.pod_cidr: "10\.88\.0\.0\/33" is not a CIDR/) });
    expect(await podCidr()).toBe('10.88.0.0/16,fd00:88::/64');

    await daemon.signal('SIGTERM');
    await daemon.start();
    cri.close();
    cri = new CriClient(daemon.criAddress);
    expect(await podCidr()).toBe('10.88.0.0/16,fd00:88::/64');
  });

  test('CheckpointContainer is UNIMPLEMENTED, saying why', async () => {
    expect(await failure(cri.runtime('checkpointContainer', { containerId: 'cc-x', location: '/tmp/cc.tar' }))).toEqual({
      code: grpc.status.UNIMPLEMENTED,
      details: expect.stringContaining('CheckpointContainer: tsrund cannot checkpoint containers'),
    });
  });

  test('a request whose bytes are no message of its type is INVALID_ARGUMENT, and tsrund keeps serving', async () => {
    const def = criServices().RuntimeService.version;
    const raw = new grpc.Client(`unix://${daemon.criAddress}`, grpc.credentials.createInsecure());
    const got = await new Promise<grpc.ServiceError | null>((resolve) =>
      raw.makeUnaryRequest(def.path, (b: Buffer) => b, def.responseDeserialize, Buffer.from([0x0a, 0xff]), (err) => resolve(err)),
    );
    raw.close();
    expect(got?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(got?.details).toMatch(/^request: not a valid VersionRequest message/);
    expect((await cri.runtime('version')).runtimeName).toBe('tsrun');
  });
});

describe('the CRI server table', () => {
  test('an RPC no module implements answers UNIMPLEMENTED naming it; streams too', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-table-'));
    const socket = path.join(dir, 'cri.sock');
    const server = new grpc.Server();
    const defs = criServices();
    const log = new LineLogger('error', () => undefined);
    server.addService(defs.RuntimeService, implementation(log, 'RuntimeService', defs.RuntimeService, { version: () => ({ runtimeName: 'only-this' }) }));
    server.addService(defs.ImageService, implementation(log, 'ImageService', defs.ImageService, {}));
    await new Promise<void>((resolve, reject) => server.bindAsync(`unix://${socket}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())));
    const cri = new CriClient(socket);
    try {
      expect((await cri.runtime('version')).runtimeName).toBe('only-this');
      expect(await failure(cri.runtime('runPodSandbox', { config: { metadata: { name: 'cc-p' } } }))).toEqual({
        code: grpc.status.UNIMPLEMENTED,
        details: 'RuntimeService/RunPodSandbox is not implemented by tsrund yet',
      });
      expect(await failure(cri.image('imageFsInfo'))).toEqual({ code: grpc.status.UNIMPLEMENTED, details: 'ImageService/ImageFsInfo is not implemented by tsrund yet' });
      expect(await failure(cri.stream('RuntimeService', 'getContainerEvents'))).toEqual({
        code: grpc.status.UNIMPLEMENTED,
        details: 'RuntimeService/GetContainerEvents is not implemented by tsrund yet',
      });
    } finally {
      cri.close();
      server.forceShutdown();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('tsrund --cri flags', () => {
  test('--cri=false: no CRI socket, the API served', async () => {
    const daemon = new TestDaemon();
    try {
      await daemon.start(['--cri=false']);
      expect(fs.existsSync(daemon.criAddress)).toBe(false);
      expect(fs.existsSync(daemon.address)).toBe(true);
    } finally {
      await daemon.cleanup();
    }
  });

  test('--cri-address that is --address is refused, naming the flag; nothing is created', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-flags-'));
    const sock = path.join(dir, 'same.sock');
    try {
      const r = spawnSync(TSRUND, ['--address', sock, '--cri-address', sock, '--root', path.join(dir, 'root'), '--state', path.join(dir, 'state')], { encoding: 'utf8', timeout: 30_000 });
      expect(r.status).not.toBe(0);
      expect(r.stderr.trim()).toBe(`tsrund: --cri-address ${sock} is also --address: give the CRI a socket of its own`);
      expect(fs.readdirSync(dir)).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a live CRI socket of another daemon is not taken over', async () => {
    const a = new TestDaemon();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-flags-'));
    try {
      await a.start();
      const r = spawnSync(TSRUND, ['--address', path.join(dir, 'b.sock'), '--cri-address', a.criAddress, '--root', path.join(dir, 'root'), '--state', path.join(dir, 'state')], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain(`another tsrund is serving ${a.criAddress}`);
      expect(fs.statSync(a.criAddress).isSocket()).toBe(true);
    } finally {
      await a.cleanup();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

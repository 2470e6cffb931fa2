/**
 * The Networks service's handlers (supervisor/services/networks.ts) over a recording stand-in for
 * the network manager: each request's fields checked (INVALID_ARGUMENT naming the field, the
 * manager never called; the rules of names, subnets and aliases are the manager's own), the
 * manager's answers as the API's messages (a managed network, a list tsrund did not write,
 * endpoints sorted by container), its errors as their statuses, and a container's network status
 * as Containers.Get shows it.
 */
import { status } from '@grpc/grpc-js';
import type { ServerUnaryCall } from '@grpc/grpc-js';
import { TsrunError } from '../../common/errors';
import type { Attachment, Endpoint } from '../../supervisor/network/types';
import type { NetworkInfo } from '../../supervisor/network/manager';
import { apiNetworkStatus, networksService, type NetworkManagerApi } from '../../supervisor/services/networks';
import type { Supervisor } from '../../supervisor/services/supervisor';
import type { UnaryHandler } from '../../supervisor/services/handlers';

const ID = 'a'.repeat(64);

const web: NetworkInfo = {
  name: 'web',
  id: ID,
  driver: 'bridge',
  configFile: '/etc/cni/net.d/tsrun-web.conflist',
  configList: { cniVersion: '1.0.0', name: 'web', plugins: [{ type: 'bridge' }] },
  managed: {
    id: ID,
    subnet: '10.235.7.0/24',
    gateway: '10.235.7.1',
    internal: true,
    bridge: 'tsr-aaaaaaaa',
    labels: { team: 'web' },
    createdAt: '2026-12-02T02:00:00.5Z',
  },
  endpoints: [
    { containerId: 'zeta', network: 'web', ifName: 'eth0', ipv4: '10.235.7.3/24', mac: '02:00:00:00:00:03', aliases: [] },
    { containerId: 'alpha', network: 'web', ifName: 'eth1', ipv4: '10.235.7.2/24', mac: '02:00:00:00:00:02', aliases: ['db'] },
  ],
};

/** A list found in --cni-conf-dir: host-local's ranges say its subnet. */
const foreign: NetworkInfo = {
  name: 'lab',
  id: 'b'.repeat(64),
  driver: 'macvlan',
  configFile: '/etc/cni/net.d/10-lab.conflist',
  configList: {
    cniVersion: '1.0.0',
    name: 'lab',
    plugins: [{ type: 'macvlan', ipam: { type: 'host-local', ranges: [[{ subnet: '192.168.77.0/24', gateway: '192.168.77.254' }]] } }, { type: 'tuning' }],
  },
  managed: null,
  endpoints: [],
};

const endpoint: Endpoint = { network: 'web', ifName: 'eth1', ipv4: '10.235.7.9/24', mac: '02:00:00:00:00:09', aliases: ['cache'] };

function fakeManager(calls: string[]): NetworkManagerApi {
  const record = (name: string, ...args: unknown[]) => calls.push(`${name} ${JSON.stringify(args)}`);
  return {
    create: (req) => {
      record('create', req);
      if (req.name === 'taken') throw new TsrunError('network taken already exists', { code: 'already-exists' });
      return { ...web, name: req.name };
    },
    get: (name) => {
      record('get', name);
      if (name === 'lab') return foreign;
      if (name !== 'web') throw new TsrunError(`network ${name} not found`, { code: 'not-found' });
      return web;
    },
    list: () => (record('list'), [{ ...web, endpoints: [] }, foreign]),
    remove: async (name) => {
      record('remove', name);
      if (name === 'web') throw new TsrunError('network web has containers attached: alpha, zeta', { code: 'failed-precondition' });
    },
    connect: async (containerId, network, aliases) => (record('connect', containerId, network, aliases), endpoint),
    disconnect: async (containerId, network) => void record('disconnect', containerId, network),
    attachment: () => null,
  };
}

const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** The service over a fresh stand-in, and the calls it received. */
function service(): { call: (method: string, request: object) => Promise<{ code: number; details: string } | { ok: unknown }>; calls: string[] } {
  const calls: string[] = [];
  const handlers = networksService({ log: silent, networks: fakeManager(calls) } as unknown as Supervisor) as Record<string, UnaryHandler>;
  const call = (method: string, request: object) =>
    new Promise<{ code: number; details: string } | { ok: unknown }>((resolve) =>
      handlers[method]({ request } as ServerUnaryCall<unknown, unknown>, (err, res) =>
        resolve(err ? { code: err.code!, details: err.details! } : { ok: res }),
      ),
    );
  return { call, calls };
}

const CREATE = { name: 'web', subnet: '', gateway: '', internal: false, labels: {} };

describe('request checks: INVALID_ARGUMENT naming the field, and the manager is not called', () => {
  test.each([
    ['create', { ...CREATE, name: '' }, 'name: a network name is required'],
    ['create', { ...CREATE, name: 'n'.repeat(65) }, 'name: is 65 characters long; a network name or id has at most 64'],
    ['create', { ...CREATE, gateway: '10.0.0.1' }, 'gateway: give the subnet it is in too'],
    ['create', { ...CREATE, labels: { '': 'x' } }, 'labels: has a label with an empty key'],
    ['get', { name: '' }, 'name: a network name is required'],
    ['delete', { name: 'x'.repeat(100_000) }, 'name: is 100000 characters long; a network name or id has at most 64'],
    ['connect', { network: '', containerId: 'c1', aliases: [] }, 'network: a network name is required'],
    ['connect', { network: 'web', containerId: '', aliases: [] }, 'container_id: must not be empty'],
    ['connect', { network: 'web', containerId: '../x', aliases: [] }, 'container_id: "../x" is not a valid id'],
    ['disconnect', { network: 'web', containerId: '' }, 'container_id: must not be empty'],
  ])('%s %j', async (method, request, details) => {
    const { call, calls } = service();
    const r = await call(method, request);
    expect(r).toEqual({ code: status.INVALID_ARGUMENT, details: expect.stringContaining(details) });
    expect(calls).toEqual([]);
  });

  test('Connect passes the aliases on (the manager checks them) and answers the endpoint', async () => {
    const { call, calls } = service();
    const aliases = ['db', 'db-1.web'];
    expect(await call('connect', { network: 'web', containerId: 'c1', aliases })).toEqual({
      ok: { endpoint: { containerId: 'c1', interface: 'eth1', ipv4Address: '10.235.7.9/24', macAddress: '02:00:00:00:00:09', aliases: ['cache'] } },
    });
    expect(calls).toEqual([`connect ${JSON.stringify(['c1', 'web', aliases])}`]);
  });
});

describe("the manager's answers as API messages", () => {
  test('a managed network: its meta, endpoints sorted by container id', async () => {
    const { call } = service();
    expect(await call('get', { name: 'web' })).toEqual({
      ok: {
        network: {
          name: 'web',
          id: ID,
          driver: 'bridge',
          subnet: '10.235.7.0/24',
          gateway: '10.235.7.1',
          internal: true,
          labels: { team: 'web' },
          createdAt: { seconds: Date.parse('2026-12-02T02:00:00Z') / 1000, nanos: 500_000_000 },
          managed: true,
          bridge: 'tsr-aaaaaaaa',
          configFile: '/etc/cni/net.d/tsrun-web.conflist',
          endpoints: [
            { containerId: 'alpha', interface: 'eth1', ipv4Address: '10.235.7.2/24', macAddress: '02:00:00:00:00:02', aliases: ['db'] },
            { containerId: 'zeta', interface: 'eth0', ipv4Address: '10.235.7.3/24', macAddress: '02:00:00:00:00:03', aliases: [] },
          ],
        },
      },
    });
  });

  test("a list tsrund did not write: its IPAM's subnet and gateway, no labels, bridge or time", async () => {
    const { call } = service();
    expect(await call('get', { name: 'lab' })).toEqual({
      ok: {
        network: expect.objectContaining({
          name: 'lab',
          driver: 'macvlan',
          subnet: '192.168.77.0/24',
          gateway: '192.168.77.254',
          internal: false,
          labels: {},
          createdAt: null,
          managed: false,
          bridge: '',
        }),
      },
    });
  });

  test('List sorted by name; Create and Delete pass the request on', async () => {
    const { call, calls } = service();
    const listed = (await call('list', {})) as { ok: { networks: { name: string }[] } };
    expect(listed.ok.networks.map((n) => n.name)).toEqual(['lab', 'web']);
    const req = { name: 'db', subnet: '10.235.8.0/24', gateway: '10.235.8.254', internal: true, labels: { a: 'b' } };
    expect(await call('create', req)).toEqual({ ok: { network: expect.objectContaining({ name: 'db' }) } });
    expect(await call('delete', { name: 'lab' })).toEqual({ ok: {} });
    expect(await call('disconnect', { network: 'web', containerId: 'c1' })).toEqual({ ok: {} });
    expect(calls).toEqual(['list []', `create ${JSON.stringify([req])}`, 'remove ["lab"]', 'disconnect ["c1","web"]']);
  });

  test("the manager's refusals keep their codes and messages", async () => {
    const { call } = service();
    expect(await call('get', { name: 'nope' })).toEqual({ code: status.NOT_FOUND, details: 'network nope not found' });
    expect(await call('create', { ...CREATE, name: 'taken' })).toEqual({ code: status.ALREADY_EXISTS, details: 'network taken already exists' });
    expect(await call('delete', { name: 'web' })).toEqual({ code: status.FAILED_PRECONDITION, details: 'network web has containers attached: alpha, zeta' });
  });
});

test("a container's network status: null without an attachment; its endpoints and ports as bound; no namespace of its own in another container's", () => {
  expect(apiNetworkStatus(null)).toBeNull();
  const a: Attachment = {
    containerId: 'c1',
    mode: 'networks',
    netnsPath: '/run/tsrund/netns/c1',
    peer: '',
    endpoints: [endpoint],
    ports: [{ hostIp: '127.0.0.1', hostPort: 32768, containerPort: 80, protocol: 'tcp' }],
    hostname: 'c1',
    etcDir: '/run/tsrund/etc/c1',
  };
  expect(apiNetworkStatus(a)).toEqual({
    netnsPath: '/run/tsrund/netns/c1',
    endpoints: [{ containerId: 'c1', interface: 'eth1', ipv4Address: '10.235.7.9/24', macAddress: '02:00:00:00:00:09', aliases: ['cache'] }],
    ports: [{ hostIp: '127.0.0.1', hostPort: 32768, containerPort: 80, protocol: 'tcp' }],
    hostname: 'c1',
  });
  expect(apiNetworkStatus({ ...a, mode: 'container', peer: 'c0', netnsPath: '/run/tsrund/netns/c0', endpoints: [], ports: [] })).toEqual({
    netnsPath: '',
    endpoints: [],
    ports: [],
    hostname: 'c1',
  });
});

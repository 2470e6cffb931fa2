/**
 * Networks refused: a subnet overlapping another network's or a host route, a network that does
 * not exist, a port the host has taken already, a plugin that is missing or fails (through lists
 * tsrund did not write, dropped into its --cni-conf-dir). Each is one line naming the field or
 * the plugin, and leaves nothing behind: no attachment, pinned namespace, etc files, CNI cache
 * entry or veth.
 */
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { GrpcStatus } from '../../../supervisor/client/client';
import { hostIpv4Routes } from '../../../supervisor/network/subnets';
import { failure } from '../daemon';
import { hostLinks, IMAGE, networkOverrides, useNetworkDaemon, WEB_SERVER } from './net-fixture';

jest.setTimeout(120_000);

const f = useNetworkDaemon();
const c = () => f.daemon.client;
const third = () => Number(f.daemon.networkPool.split('.')[2]);

/** A task create that fails: its one-line status, and nothing of it left. */
async function refusedTask(id: string, network: Parameters<typeof networkOverrides>[0]): Promise<{ code: number; details: string }> {
  const links = hostLinks();
  await c().createContainer({ id, image: IMAGE, overrides: { args: ['sh', '-c', WEB_SERVER], network: networkOverrides(network) } });
  const f1 = await failure(c().createTask(id));
  expect(f1).not.toBeNull();
  expect(f1!.details).not.toContain('\n');
  expect((await c().getContainer(id)).networkStatus).toBeNull();
  await c().deleteContainer(id);
  expect(f.leftovers()).toEqual([]);
  expect(hostLinks().filter((l) => !links.includes(l) && l.startsWith('veth'))).toEqual([]);
  return f1!;
}

function writeForeignList(name: string, plugins: unknown[]): void {
  fs.mkdirSync(f.daemon.cniConfDir, { recursive: true });
  fs.writeFileSync(path.join(f.daemon.cniConfDir, `50-${name}.conflist`), JSON.stringify({ cniVersion: '1.0.0', name, plugins }));
}

test('subnets: overlapping another network or a route of the host is FAILED_PRECONDITION, a bad CIDR INVALID_ARGUMENT, nothing written', async () => {
  const first = `10.234.${third() + 1}.0/24`;
  await c().createNetwork({ name: 'first', subnet: first });
  expect(await failure(c().createNetwork({ name: 'second', subnet: `10.234.${third() + 1}.128/25` }))).toEqual({
    code: GrpcStatus.FAILED_PRECONDITION,
    details: `subnet 10.234.${third() + 1}.128/25 overlaps network first's ${first}`,
  });
  const route = hostIpv4Routes()[0];
  expect((await failure(c().createNetwork({ name: 'routed', subnet: route })))?.details).toBe(`subnet ${route} overlaps the host's route to ${route}`);
  expect(await failure(c().createNetwork({ name: 'bad', subnet: '10.234.1.1/24' }))).toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT, details: expect.stringMatching(/^subnet: /) });
  expect(await failure(c().createNetwork({ name: 'first' }))).toMatchObject({ code: GrpcStatus.ALREADY_EXISTS });
  expect(await failure(c().createNetwork({ name: 'none' }))).toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT });
  expect(fs.readdirSync(f.daemon.cniConfDir).sort()).toEqual(['tsrun-first.conflist']);
  await c().deleteNetwork('first');
});

test('a network that does not exist, and bad overrides, are INVALID_ARGUMENT naming the field at Containers.Create', async () => {
  const create = (network: Parameters<typeof networkOverrides>[0]) =>
    failure(c().createContainer({ id: 'bad-net', image: IMAGE, overrides: { network: networkOverrides(network) } }));
  expect(await create({ networks: [{ network: 'nowhere', aliases: [] }] })).toEqual({
    code: GrpcStatus.INVALID_ARGUMENT,
    details: 'overrides.network.networks[0].network: network nowhere not found',
  });
  expect((await create({ networks: [{ network: 'host', aliases: [] }, { network: 'bridge', aliases: [] }] }))?.details).toMatch(/^overrides\.network\.networks\[0\]\.network: /);
  expect((await create({ ports: [{ hostIp: '', hostPort: 70000, containerPort: 80, protocol: 'tcp' }] }))?.details).toMatch(/^overrides\.network\.ports\[0\]/);
  expect((await create({ hostname: 'not a hostname' }))?.details).toMatch(/^overrides\.network\.hostname: /);
  expect((await create({ addHosts: ['nocolon'] }))?.details).toMatch(/^overrides\.network\.add_hosts\[0\]/);
  expect(await c().listContainers()).toEqual([]);
});

test('a host port taken already fails the task create with nothing left', async () => {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  try {
    const refused = await refusedTask('port-taken', { ports: [{ hostIp: '127.0.0.1', hostPort: port, containerPort: 80, protocol: 'tcp' }] });
    expect(refused.code).toBe(GrpcStatus.FAILED_PRECONDITION);
    expect(refused.details).toContain(String(port));
  } finally {
    server.close();
  }
});

test('a missing plugin and a failing plugin of a foreign list: the plugin named in one line, nothing left', async () => {
  writeForeignList('ghostly', [{ type: 'nc-no-such-plugin' }]);
  const missing = await refusedTask('missing-plugin', { networks: [{ network: 'ghostly', aliases: [] }] });
  expect(missing.code).toBe(GrpcStatus.FAILED_PRECONDITION);
  expect(missing.details).toMatch(/^CNI plugin nc-no-such-plugin \(ADD on network ghostly\): /);

  // The bridge plugin refuses a bridge name Linux cannot have: nothing of it is made. host-local's
  // leases go under the test daemon's directory (its default is the host's /var/lib/cni).
  const ipam = { type: 'host-local', subnet: `10.234.${third() + 2}.0/24`, dataDir: path.join(f.daemon.dir, 'ipam') };
  writeForeignList('broken', [{ type: 'bridge', bridge: 'nc-name-far-too-long-for-linux', ipam }]);
  const failing = await refusedTask('failing-plugin', { networks: [{ network: 'broken', aliases: [] }] });
  expect(failing.code).toBe(GrpcStatus.FAILED_PRECONDITION);
  expect(failing.details).toMatch(/^CNI plugin bridge \(ADD on network broken\): /);

  // A foreign list is used, never removed by tsrund.
  expect(await failure(c().deleteNetwork('broken'))).toMatchObject({ code: GrpcStatus.FAILED_PRECONDITION });
  for (const n of ['ghostly', 'broken']) fs.rmSync(path.join(f.daemon.cniConfDir, `50-${n}.conflist`));
});

test('a task create that fails after its network was set up (a mount whose source is missing) tears the network down', async () => {
  const links = hostLinks();
  await c().createContainer({ id: 'late-failure', image: IMAGE, overrides: { args: ['true'], mounts: [{ destination: '/data', type: 'bind', source: '/nonexistent/nc-source', options: ['bind'] }] } });
  const refused = await failure(c().createTask('late-failure'));
  expect(refused?.code).toBe(GrpcStatus.FAILED_PRECONDITION);
  expect((await c().getContainer('late-failure')).networkStatus).toBeNull();
  await c().deleteContainer('late-failure');
  expect(f.leftovers()).toEqual([]);
  expect(hostLinks().filter((l) => !links.includes(l) && l.startsWith('veth'))).toEqual([]);
});

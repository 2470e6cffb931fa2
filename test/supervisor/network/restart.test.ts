/**
 * Networks across a tsrund restart: containers on a user network and on the default one with a
 * published port keep running while tsrund is stopped and started again (in the same held mount
 * namespace, where their network namespaces stay pinned); afterwards traffic still flows — the
 * published port, and a name through the embedded DNS server serving again — and removing
 * everything leaves no attachment, pinned namespace, veth, bridge or rule behind.
 */
import { failure } from '../daemon';
import { GrpcStatus } from '../../../supervisor/client/client';
import { answered, hostLinks, httpGet, iptablesRules, useNetworkDaemon, WEB_SERVER } from './net-fixture';

jest.setTimeout(120_000);

const f = useNetworkDaemon();
const c = () => f.daemon.client;

test('a restarted tsrund finds its networked containers: traffic still flows, and removal afterwards leaves nothing', async () => {
  const linksBefore = hostLinks();
  const net = await c().createNetwork({ name: 'survivors' });
  await f.run('keeper', WEB_SERVER, { networks: [{ network: 'survivors', aliases: ['kept'] }] });
  await f.run('exposed', WEB_SERVER, { ports: [{ hostIp: '127.0.0.1', hostPort: 0, containerPort: 80, protocol: 'tcp' }] });
  const port = (await c().getContainer('exposed')).networkStatus!.ports[0].hostPort;
  expect(await answered(() => httpGet('127.0.0.1', port))).toBe('hello from exposed\n');

  expect(await f.daemon.signal('SIGTERM')).toEqual({ code: 0, signal: null });
  await f.daemon.start();
  f.daemon.reconnect();

  expect(await answered(() => httpGet('127.0.0.1', port))).toBe('hello from exposed\n');
  const status = (await c().getContainer('keeper')).networkStatus!;
  expect(status.endpoints.map((e) => [e.interface, e.aliases])).toEqual([['eth0', ['kept']]]);
  const { out } = await f.runToEnd('asker', 'timeout 5 wget -q -O - http://kept/', { networks: [{ network: 'survivors', aliases: [] }] });
  expect(out).toBe('hello from keeper\n');
  // The port is still the exposed container's: a second container cannot take it.
  const taken = await f.run('thief', WEB_SERVER, { ports: [{ hostIp: '127.0.0.1', hostPort: port, containerPort: 80, protocol: 'tcp' }] }).catch((err) => err);
  expect(taken.code).toBe(GrpcStatus.FAILED_PRECONDITION);
  await c().deleteContainer('thief');

  expect((await failure(c().deleteNetwork('survivors')))?.code).toBe(GrpcStatus.FAILED_PRECONDITION);
  for (const id of ['keeper', 'exposed']) await f.remove(id);
  await c().deleteNetwork('survivors');
  await c().deleteNetwork('bridge');
  expect(f.leftovers()).toEqual([]);
  expect(hostLinks().filter((l) => !linksBefore.includes(l))).toEqual([]);
  expect(hostLinks()).not.toContain(net.bridge);
  // Other tests may add rules meanwhile: those of this daemon's bridges and containers are gone.
  const ours = [net.bridge, f.daemon.bridge, ...['keeper', 'exposed', 'asker', 'thief'].map((id) => `id: \\"${id}\\"`)];
  expect(iptablesRules().filter((r) => ours.some((o) => r.includes(o)))).toEqual([]);
});

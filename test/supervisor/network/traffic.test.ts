/**
 * Networks end to end through a real tsrund, real CNI plugins and busybox containers: container
 * to container by name on a user network (the embedded DNS server), isolation between networks,
 * an internal network without a way out, published TCP and UDP ports from the host (and a port
 * published on 127.0.0.1 only), and "the outside" — a namespace of the test's own routed through
 * the host — reached through the masquerade, which cannot open a connection to a container
 * unless a port is published.
 */
import { execFileSync } from 'child_process';
import * as dgram from 'dgram';
import * as fs from 'fs';
import * as path from 'path';
import { GrpcStatus } from '../../../supervisor/client/client';
import { outsideHost, type OutsideHost } from '../../helpers/netns-holder';
import { failure, until } from '../daemon';
import { answered, hostAddress, httpGet, IMAGE, networkOverrides, useNetworkDaemon, WEB_SERVER } from './net-fixture';

jest.setTimeout(120_000);

const f = useNetworkDaemon();
const c = () => f.daemon.client;
const slice = () => f.daemon.networkPool.split('.')[2];
/** A /24 of this daemon's pool (4 of them; the first test gives one, before the default network takes the first free one). */
const subnet = (third: number) => `10.234.${Number(slice()) + third}.0/24`;

const OUTSIDE = { address: '198.18.234.2', host: '198.18.234.1' };
let outside: OutsideHost;
let outsideServer: ReturnType<OutsideHost['netns']['spawn']>;

const udpEcho = `/tmp/nc-udp-echo-${process.pid}`;

beforeAll(async () => {
  execFileSync('gcc', ['-static', '-O2', '-o', udpEcho, path.join(__dirname, 'udp-echo.c')]);
  outside = await outsideHost(`nc${process.pid}`.slice(0, 13), OUTSIDE.address, OUTSIDE.host);
  // A CGI answering the client's address, so that the test sees who the outside host saw.
  outside.netns.check(['sh', '-c', `mkdir -p /tmp/nc-www-${process.pid}/cgi-bin`]);
  const cgi = `/tmp/nc-www-${process.pid}/cgi-bin/addr`;
  outside.netns.check(['sh', '-c', `printf '#!/bin/sh\\necho Content-Type: text/plain\\necho\\necho $REMOTE_ADDR\\n' > ${cgi} && chmod 755 ${cgi}`]);
  outsideServer = outside.netns.spawn(['busybox', 'httpd', '-f', '-p', '8080', '-h', `/tmp/nc-www-${process.pid}`]);
});

afterAll(async () => {
  const exited = new Promise((r) => outsideServer.once('exit', r));
  outsideServer.kill('SIGKILL');
  await exited;
  await outside.close();
  fs.rmSync(`/tmp/nc-www-${process.pid}`, { recursive: true, force: true });
  fs.rmSync(udpEcho, { force: true });
});

async function logOf(id: string): Promise<string> {
  let text = '';
  for await (const e of c().logs(id)) text += e.text + (e.partial ? '' : '\n');
  return text;
}

/** One datagram to host:port, and the answer (null after `ms`). */
function udpExchange(host: string, port: number, message: string, ms = 1000): Promise<string | null> {
  const sock = dgram.createSocket('udp4');
  return new Promise((resolve) => {
    const timer = setTimeout(() => (sock.close(), resolve(null)), ms);
    sock.on('message', (m) => (clearTimeout(timer), sock.close(), resolve(m.toString())));
    sock.send(message, port, host);
  });
}

test('containers on a user network reach each other by name and by alias; their etc files are Docker-like', async () => {
  const net = await c().createNetwork({ name: 'app', subnet: subnet(1) });
  expect(net).toMatchObject({ name: 'app', subnet: subnet(1), gateway: subnet(1).replace('.0/24', '.1'), managed: true, driver: 'bridge' });
  await f.run('web', WEB_SERVER, { networks: [{ network: 'app', aliases: ['www'] }] });
  const webIp = await f.address('web');
  await answered(() => httpGet(webIp, 80));
  const { status, out } = await f.runToEnd(
    'client',
    'timeout 5 wget -q -O - http://web/ && timeout 5 wget -q -O - http://www/ && cat /etc/hostname && grep nameserver /etc/resolv.conf && grep client /etc/hosts',
    { networks: [{ network: 'app', aliases: [] }] },
  );
  expect(out).toBe(`hello from web\nhello from web\nclient\nnameserver ${net.gateway}\n${out.split('\n')[4]}\n`);
  expect(out.split('\n')[4]).toMatch(/^10\.234\.\d+\.\d+\s+client$/);
  expect(status).toBe(0);
  const inspected = await c().getNetwork('app');
  expect(inspected.endpoints.map((e) => [e.containerId, e.interface, e.ipv4Address, e.aliases])).toEqual([['web', 'eth0', `${webIp}/24`, ['www']]]);
  await f.remove('web');
  await c().deleteNetwork('app');
  expect(f.leftovers()).toEqual([]);
});

test('two networks are isolated; a container connected to both reaches each', async () => {
  await c().createNetwork({ name: 'red' });
  await c().createNetwork({ name: 'blue' });
  await f.run('red-web', WEB_SERVER, { networks: [{ network: 'red', aliases: [] }] });
  const redIp = await f.address('red-web');
  await answered(() => httpGet(redIp, 80));
  const blocked = await f.runToEnd('blue-client', `timeout 3 wget -q -O - http://${redIp}/; echo status $?`, { networks: [{ network: 'blue', aliases: [] }] });
  expect(blocked.out).not.toContain('hello');
  expect(blocked.out).toMatch(/status [1-9]/);

  // Once connected to red too, it reaches red-web (before, every try fails).
  await f.run('both', `until timeout 2 wget -q -O - http://${redIp}/; do sleep 0.2; done; exec sleep 600`, { networks: [{ network: 'blue', aliases: [] }] });
  const endpoint = await c().connectNetwork('red', 'both');
  expect(endpoint).toMatchObject({ containerId: 'both', interface: 'eth1' });
  expect(endpoint.ipv4Address).toMatch(/^10\.234\.\d+\.\d+\/24$/);
  await until(async () => (await logOf('both')).includes('hello from red-web'), 15_000);
  await c().disconnectNetwork('red', 'both');
  expect((await c().getNetwork('red')).endpoints.map((e) => e.containerId)).toEqual(['red-web']);
  for (const id of ['both', 'red-web']) await f.remove(id);
  for (const n of ['red', 'blue']) await c().deleteNetwork(n);
  expect(f.leftovers()).toEqual([]);
});

test('an internal network has no way out, but its containers reach each other', async () => {
  await c().createNetwork({ name: 'sealed', internal: true });
  await f.run('sealed-web', WEB_SERVER, { networks: [{ network: 'sealed', aliases: [] }] });
  const { out } = await f.runToEnd(
    'sealed-client',
    `timeout 5 wget -q -O - http://sealed-web/; timeout 3 wget -q -O - http://${OUTSIDE.address}:8080/cgi-bin/addr 2>&1; echo status $?`,
    { networks: [{ network: 'sealed', aliases: [] }] },
  );
  // wget's complaint goes to stdout too: two pipes would not keep its order against the echo.
  expect(out).toMatch(/^hello from sealed-web\n(.*\n)?status [1-9]\n$/);
  expect(out).not.toContain(OUTSIDE.host);
  await f.remove('sealed-web');
  await c().deleteNetwork('sealed');
});

test('published ports: TCP from the host at 127.0.0.1 and at its own address, UDP, and a port on 127.0.0.1 only', async () => {
  await f.run('pub', `${WEB_SERVER.replace('exec httpd -f', 'httpd')} && exec /udp-echo 5353`, {
    ports: [
      { hostIp: '', hostPort: 0, containerPort: 80, protocol: 'tcp' },
      { hostIp: '', hostPort: 0, containerPort: 5353, protocol: 'udp' },
    ],
  }, [{ destination: '/udp-echo', type: 'bind', source: udpEcho, options: ['bind', 'ro'] }]);
  const ports = (await c().getContainer('pub')).networkStatus!.ports;
  const tcp = ports.find((p) => p.protocol === 'tcp')!.hostPort;
  const udp = ports.find((p) => p.protocol === 'udp')!.hostPort;
  expect(tcp).toBeGreaterThan(0);
  expect(udp).toBeGreaterThan(0);
  expect(await answered(() => httpGet('127.0.0.1', tcp))).toBe('hello from pub\n');
  expect(await answered(() => httpGet(hostAddress(), tcp))).toBe('hello from pub\n');
  expect(await answered(() => udpExchange(hostAddress(), udp, 'through portmap'))).toBe('echo: through portmap');
  await f.remove('pub');

  await f.run('local', WEB_SERVER, { ports: [{ hostIp: '127.0.0.1', hostPort: 0, containerPort: 80, protocol: 'tcp' }] });
  const local = (await c().getContainer('local')).networkStatus!.ports[0];
  expect(local).toMatchObject({ hostIp: '127.0.0.1', containerPort: 80, protocol: 'tcp' });
  expect(await answered(() => httpGet('127.0.0.1', local.hostPort))).toBe('hello from local\n');
  expect(await httpGet(hostAddress(), local.hostPort, '/', 1500)).toBeNull();
  await f.remove('local');
  expect(f.leftovers()).toEqual([]);
});

test('the outside: reached through the masquerade (it sees the host), and it reaches a container only through a published port', async () => {
  const { subnet: outSubnet } = await c().createNetwork({ name: 'out' });
  const { out } = await f.runToEnd('nat', `timeout 5 wget -q -O - http://${OUTSIDE.address}:8080/cgi-bin/addr`, { networks: [{ network: 'out', aliases: [] }] });
  // busybox httpd gives the peer as an IPv4-mapped IPv6 address.
  expect(out).toBe(`[::ffff:${OUTSIDE.host}]\n`);

  await f.run('inside', WEB_SERVER, { networks: [{ network: 'out', aliases: [] }], ports: [{ hostIp: '', hostPort: 0, containerPort: 80, protocol: 'tcp' }] });
  const ip = await f.address('inside');
  const port = (await c().getContainer('inside')).networkStatus!.ports[0].hostPort;
  await answered(() => httpGet(ip, 80));
  // The outside knows the way to the containers' subnet (through the host): the firewall still says no.
  outside.netns.check(['ip', 'route', 'add', outSubnet, 'via', OUTSIDE.host]);
  const direct = outside.netns.run(['busybox', 'timeout', '3', 'busybox', 'wget', '-q', '-O', '-', `http://${ip}/`]);
  expect(direct.stdout).toBe('');
  expect(direct.status).not.toBe(0);
  const published = outside.netns.run(['busybox', 'timeout', '5', 'busybox', 'wget', '-q', '-O', '-', `http://${OUTSIDE.host}:${port}/`]);
  expect(published.stdout).toBe('hello from inside\n');
  outside.netns.check(['ip', 'route', 'del', outSubnet]);
  await f.remove('inside');
  await c().deleteNetwork('out');
  expect(f.leftovers()).toEqual([]);
});

test('network modes: none has a loopback only, host shares the host\'s interfaces, container:ID joins another task\'s namespace', async () => {
  // Up: the kernel gives a loopback 127.0.0.1/8 as it comes up.
  const none = await f.runToEnd('only-lo', 'ls /sys/class/net; ip -o -4 addr show lo | grep -o "inet [0-9./]*"', { networks: [{ network: 'none', aliases: [] }] });
  expect(none.out).toBe('lo\ninet 127.0.0.1/8\n');
  const host = await f.runToEnd('on-host', 'ls /sys/class/net', { networks: [{ network: 'host', aliases: [] }] });
  expect(host.out.split('\n')).toContain(outside.hostLink);
  await f.run('peer', WEB_SERVER, null);
  const joined = await f.runToEnd('joiner', 'timeout 5 wget -q -O - http://127.0.0.1/ && cat /etc/hostname', { networks: [{ network: 'container:peer', aliases: [] }] });
  expect(joined.out).toBe('hello from peer\npeer\n');
  await f.remove('peer');
  const gone = await failure(c().createContainer({ id: 'orphan', image: IMAGE, overrides: { network: networkOverrides({ networks: [{ network: 'container:nobody', aliases: [] }] }) } }));
  expect(gone).toEqual({ code: GrpcStatus.INVALID_ARGUMENT, details: 'overrides.network.networks[0].network: container nobody not found' });
  expect(f.leftovers()).toEqual([]);
});

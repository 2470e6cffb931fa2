/**
 * Networks through tsctl end to end, as a user types them, against a real tsrund (its CNI
 * configuration in the test's own directory, its default bridge and address pool this test's):
 * `tsctl network create/ls/inspect/rm/connect/disconnect`, `tsctl run` with --network, -p, -P
 * and the names and DNS flags, and `tsctl port`, whose addresses the host reaches. Traffic goes only
 * to 127.0.0.1. Everything made is removed through tsctl, and the test checks that the bridges
 * went with their networks.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import type { Network } from '../../../supervisor/api/types';
import { buildBusyboxArchive } from '../../helpers/oci-image';
import { TestDaemon, TSCTL, until } from '../daemon';
import { buildArchive, busyboxLayer } from '../image-archive';

jest.setTimeout(180_000);

/** This test's names: links are at most 15 bytes ("tsrna" and a pid of up to 7 digits). */
const TAG = `tsrna${process.pid}`;
const BRIDGE = TAG;
/** The part of 10.235.0.0/16 (netapi's range) this file's networks take. */
const SUBNET = (third: number) => `10.235.${third}.0/24`;

const daemon = new TestDaemon({ privateMounts: true });
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-tsctl-network-'));
let image = '';
/** An image exposing 80/tcp and serving it (busybox httpd), for -P. */
const WEB_IMAGE = 'localhost/tsrun-test/tsctl-network-web:1';
const WEB_PAGE = 'hello-from-the-container';
const HTTPD_SCRIPT = `mkdir -p /www && echo ${WEB_PAGE} > /www/index.html && httpd -p 8080 -h /www && exec httpd -f -p 80 -h /www`;

/** tsctl against this test's tsrund: its exit status and output. */
function tsctl(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(TSCTL, ['--address', daemon.address, ...args], { encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** tsctl that must succeed: its stdout. */
function ok(...args: string[]): string {
  const r = tsctl(...args);
  if (r.status !== 0) throw new Error(`tsctl ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/**
 * tsctl that must fail with one line on stderr ("tsctl: ..." or "tsctl run: ..."): that line. Its
 * status is docker's: 125 for a flag refused and for run's failures, else 1.
 */
function refused(...args: string[]): string {
  const r = tsctl(...args);
  const status = args[0] === 'run' || /: flag needs an argument: /.test(r.stderr) ? 125 : 1;
  expect({ args, status: r.status }).toEqual({ args, status });
  expect(r.stderr).toMatch(/^tsctl( [a-z]+)*: [^\n]+\n$/);
  return r.stderr.trimEnd();
}

/** tsrund's records of the networks (--json); without it, docker's shape (dockerInspect). */
const inspect = (...names: string[]): Network[] => JSON.parse(ok('network', 'inspect', '--json', ...names));
const dockerInspect = (...names: string[]): Record<string, unknown>[] => JSON.parse(ok('network', 'inspect', ...names));
const networkNames = (): string[] => (JSON.parse(ok('network', 'ls', '--json')) as Network[]).map((n) => n.name);
const linkExists = (name: string) => spawnSync('ip', ['link', 'show', 'dev', name], { stdio: 'ignore' }).status === 0;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** The body of http://127.0.0.1:<port>/, or the error's code. */
function httpGet(port: number): Promise<string> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) => resolve(`error ${err.code ?? err.message}`));
  });
}

beforeAll(async () => {
  await daemon.start(['--cni-conf-dir', path.join(daemon.dir, 'cni'), '--bridge', BRIDGE, '--network-pool', '10.235.0.0/16', '--dns-upstream', 'none']);
  const archive = buildBusyboxArchive(work, 'localhost/tsrun-test/tsctl-network:1');
  await daemon.client.importImages(archive.file);
  image = archive.ref;
  const web = { config: { Env: ['PATH=/bin'], Cmd: ['sh', '-c', HTTPD_SCRIPT], ExposedPorts: { '80/tcp': {} } } };
  await daemon.client.importImages(buildArchive(work, WEB_IMAGE, [{ tar: busyboxLayer() }], web));
});

afterAll(async () => {
  const c = daemon.client;
  for (const t of await c.listTasks().catch(() => [])) await c.deleteTask(t.id, { force: true }).catch(() => undefined);
  for (const k of await c.listContainers().catch(() => [])) await c.deleteContainer(k.id).catch(() => undefined);
  for (const n of await c.listNetworks().catch(() => [])) if (n.managed) await c.deleteNetwork(n.name).catch(() => undefined);
  await daemon.cleanup();
  // What tsrund should have removed with its networks, removed anyway so nothing outlives the test.
  if (linkExists(BRIDGE)) spawnSync('ip', ['link', 'delete', 'dev', BRIDGE]);
  fs.rmSync(work, { recursive: true, force: true });
});

test('network create, ls, inspect and rm; a name in use, an overlapping subnet and bad flags refused in one line', () => {
  const id = ok('network', 'create', '--subnet', SUBNET(71), '--gateway', '10.235.71.254', '--label', 'team=web', `${TAG}-web`);
  expect(id).toMatch(/^[0-9a-f]{64}\n$/);
  const networkId = id.trim();

  const table = ok('network', 'ls').trimEnd().split('\n');
  expect(table[0]).toMatch(/^NETWORK ID +NAME +DRIVER +SUBNET$/);
  expect(table.slice(1).map((l) => l.split(/ +/))).toContainEqual([networkId.slice(0, 12), `${TAG}-web`, 'bridge', SUBNET(71)]);
  expect(ok('network', 'ls', '-q').split('\n')).toContain(networkId.slice(0, 12));
  expect(ok('network', 'ls', '-q', '--no-trunc').split('\n')).toContain(networkId);

  const [web] = inspect(`${TAG}-web`);
  expect(web).toMatchObject({
    name: `${TAG}-web`,
    id: networkId,
    driver: 'bridge',
    subnet: SUBNET(71),
    gateway: '10.235.71.254',
    internal: false,
    labels: { team: 'web' },
    managed: true,
    endpoints: [],
  });
  expect(web.bridge).toMatch(/^tsr-[0-9a-f]+$/);
  expect(web.configFile.startsWith(path.join(daemon.dir, 'cni') + '/')).toBe(true);
  expect(web.createdAt).toMatch(/^\d{4}-\d\d-\d\dT/);
  // By a prefix of its id too.
  expect(inspect(networkId.slice(0, 12)).map((n) => n.name)).toEqual([`${TAG}-web`]);
  // As docker network inspect shows it.
  expect(dockerInspect(`${TAG}-web`)).toEqual([
    {
      Name: `${TAG}-web`,
      Id: networkId,
      Created: web.createdAt,
      Scope: 'local',
      Driver: 'bridge',
      EnableIPv6: false,
      IPAM: { Driver: 'default', Options: {}, Config: [{ Subnet: SUBNET(71), Gateway: '10.235.71.254' }] },
      Internal: false,
      Attachable: false,
      Ingress: false,
      ConfigOnly: false,
      Containers: {},
      Options: { 'com.docker.network.bridge.name': web.bridge },
      Labels: { team: 'web' },
    },
  ]);

  expect(refused('network', 'create', `${TAG}-web`)).toContain(`${TAG}-web`);
  expect(refused('network', 'create', '--subnet', '10.235.71.128/25', `${TAG}-overlap`)).toMatch(/10\.235\.71\./);
  expect(refused('network', 'create', '--subnet', '10.235.300.0/24', `${TAG}-bad`)).toContain('subnet');
  expect(refused('network', 'create', '--gateway', '10.235.74.1', `${TAG}-bad`)).toContain('gateway');
  expect(refused('network', 'create', 'bad name!')).toContain('name');
  expect(refused('network', 'create', '--subnet')).toBe('tsctl network create: flag needs an argument: --subnet (see tsctl network create --help)');
  expect(refused('network', 'create', '--label', 'novalue', `${TAG}-bad`)).toBe('tsctl: --label "novalue": expected KEY=VALUE');
  expect(networkNames()).not.toEqual(expect.arrayContaining([`${TAG}-overlap`]));
  expect(networkNames().filter((n) => n.startsWith(`${TAG}-`))).toEqual([`${TAG}-web`]);

  // Several names: what was found, and a line for what was not.
  const both = tsctl('network', 'inspect', `${TAG}-web`, `${TAG}-missing`);
  expect(both.status).toBe(1);
  expect((JSON.parse(both.stdout) as { Name: string }[]).map((n) => n.Name)).toEqual([`${TAG}-web`]);
  expect(both.stderr).toMatch(new RegExp(`^tsctl: network inspect ${TAG}-missing: [^\\n]+\\n$`));

  expect(ok('network', 'rm', `${TAG}-web`)).toBe(`${TAG}-web\n`);
  expect(networkNames()).not.toContain(`${TAG}-web`);
  expect(refused('network', 'inspect', `${TAG}-web`)).toMatch(new RegExp(`^tsctl: network inspect ${TAG}-web: `));
  expect(linkExists(web.bridge)).toBe(false);
  expect(refused('network', 'rm', `${TAG}-web`)).toMatch(new RegExp(`^tsctl: network rm ${TAG}-web: `));
});

test('run -p: tsctl port shows the bound ports and the host reaches the container through them; rm refused while in use', async () => {
  ok('network', 'create', '--subnet', SUBNET(72), `${TAG}-pub`);
  const fixed = await freePort();
  const name = `${TAG}-httpd`;
  expect(ok('run', '-d', '--name', name, '--network', `${TAG}-pub`, '-p', '127.0.0.1::80', '--publish', `${fixed}:8080/tcp`, WEB_IMAGE)).toBe(`${name}\n`);

  const lines = ok('port', name).trimEnd().split('\n');
  expect(lines).toEqual([expect.stringMatching(/^80\/tcp -> 127\.0\.0\.1:\d+$/), `8080/tcp -> 0.0.0.0:${fixed}`]);
  const ephemeral = Number(/:(\d+)$/.exec(lines[0])![1]);
  expect(ephemeral).toBeGreaterThan(0);
  expect(ok('port', name, '80')).toBe(`127.0.0.1:${ephemeral}\n`);
  expect(ok('port', name, '8080/tcp')).toBe(`0.0.0.0:${fixed}\n`);
  expect(JSON.parse(ok('port', '--json', name, '80'))).toEqual([{ hostIp: '127.0.0.1', hostPort: ephemeral, containerPort: 80, protocol: 'tcp' }]);
  expect(refused('port', name, '80/udp')).toBe(`tsctl: port: no public port 80/udp published for ${name}`);
  expect(refused('port', name, 'http')).toMatch(/^tsctl: port: PRIVATE_PORT "http": /);

  let body = '';
  await until(async () => (body = await httpGet(ephemeral)) === `${WEB_PAGE}\n`, 15_000).catch(() => undefined);
  expect(body).toBe(`${WEB_PAGE}\n`);
  expect(await httpGet(fixed)).toBe(`${WEB_PAGE}\n`);

  const [pub] = inspect(`${TAG}-pub`);
  expect(pub.endpoints).toEqual([
    { containerId: name, interface: 'eth0', ipv4Address: expect.stringMatching(/^10\.235\.72\.\d+\/24$/), macAddress: expect.any(String), aliases: [] },
  ]);
  const [{ Containers }] = dockerInspect(`${TAG}-pub`);
  expect(Containers).toEqual({ [name]: { Name: name, MacAddress: pub.endpoints[0].macAddress, IPv4Address: pub.endpoints[0].ipv4Address, IPv6Address: '' } });
  expect(pub.endpoints[0].macAddress).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
  expect(refused('network', 'rm', `${TAG}-pub`)).toMatch(new RegExp(`^tsctl: network rm ${TAG}-pub: `));
  expect(networkNames()).toContain(`${TAG}-pub`);

  // A port already taken: the second container's task fails in one line, the first keeps serving.
  expect(refused('run', '-d', '--name', `${name}-2`, '--network', `${TAG}-pub`, '-p', `${fixed}:8080`, image, 'sleep', '60')).toContain(String(fixed));
  expect(await httpGet(fixed)).toBe(`${WEB_PAGE}\n`);

  expect(ok('rm', '-f', name)).toBe(`${name}\n`);
  tsctl('rm', '-f', `${name}-2`);
  expect(await httpGet(ephemeral)).toMatch(/^error /);
  expect(ok('network', 'rm', `${TAG}-pub`)).toBe(`${TAG}-pub\n`);
  expect(linkExists(pub.bridge)).toBe(false);
});

test("run -P publishes the image's exposed ports on ephemeral host ports", async () => {
  const name = `${TAG}-all`;
  ok('run', '-d', '--name', name, '-P', WEB_IMAGE);
  const lines = ok('port', name).trimEnd().split('\n');
  expect(lines).toEqual([expect.stringMatching(/^80\/tcp -> 0\.0\.0\.0:\d+$/)]);
  const port = Number(/:(\d+)$/.exec(lines[0])![1]);
  let body = '';
  await until(async () => (body = await httpGet(port)) === `${WEB_PAGE}\n`, 15_000).catch(() => undefined);
  expect(body).toBe(`${WEB_PAGE}\n`);
  ok('rm', '-f', name);
  expect(await httpGet(port)).toMatch(/^error /);
});

test('connect and disconnect a running container; --hostname and --add-host in its files', () => {
  ok('network', 'create', '--subnet', SUBNET(73), `${TAG}-a`);
  ok('network', 'create', '--subnet', SUBNET(74), `${TAG}-b`);
  const name = `${TAG}-c1`;
  ok('run', '-d', '--name', name, '--net', `${TAG}-a`, '--network-alias', 'web', '--hostname', 'web1', '--add-host', 'db.test:10.9.9.9', image, 'sleep', '600');
  expect(ok('exec', name, 'cat', '/etc/hostname')).toBe('web1\n');
  expect(ok('exec', name, 'cat', '/etc/hosts')).toMatch(/^10\.9\.9\.9\s+db\.test$/m);
  expect(inspect(`${TAG}-a`)[0].endpoints).toEqual([expect.objectContaining({ containerId: name, interface: 'eth0', aliases: ['web'] })]);

  expect(ok('network', 'connect', '--alias', 'cache', `${TAG}-b`, name)).toBe('');
  expect(inspect(`${TAG}-b`)[0].endpoints).toEqual([
    expect.objectContaining({ containerId: name, interface: 'eth1', ipv4Address: expect.stringMatching(/^10\.235\.74\.\d+\/24$/), aliases: ['cache'] }),
  ]);
  expect(ok('exec', name, 'ls', '/sys/class/net').split(/\s+/).filter(Boolean).sort()).toEqual(['eth0', 'eth1', 'lo']);
  expect(refused('network', 'connect', `${TAG}-b`, name)).toContain(name);

  expect(ok('network', 'disconnect', `${TAG}-b`, name)).toBe('');
  expect(inspect(`${TAG}-b`)[0].endpoints).toEqual([]);
  expect(ok('exec', name, 'ls', '/sys/class/net').split(/\s+/).filter(Boolean).sort()).toEqual(['eth0', 'lo']);
  expect(refused('network', 'disconnect', `${TAG}-b`, name)).toContain(name);
  expect(refused('network', 'connect', '--alias', 'bad alias', `${TAG}-b`, name)).toContain('aliases[0]');
  expect(inspect(`${TAG}-b`)[0].endpoints).toEqual([]);
  expect(refused('network', 'connect', `${TAG}-missing`, name)).toContain(`${TAG}-missing`);

  ok('rm', '-f', name);
  expect(inspect(`${TAG}-a`)[0].endpoints).toEqual([]);
  expect(ok('network', 'rm', `${TAG}-a`, `${TAG}-b`)).toBe(`${TAG}-a\n${TAG}-b\n`);
});

test('--network none has only a loopback; the DNS flags on the default network; a network that does not exist and bad flags fail in one line, nothing created', () => {
  expect(ok('run', '--rm', '--network', 'none', image, 'ls', '/sys/class/net')).toBe('lo\n');
  // The default network has no embedded DNS server: --dns replaces the nameservers (as docker's bridge).
  const resolv = ok('run', '--rm', '--dns', '10.235.73.53', '--dns-search', 'example.test', '--dns-option', 'ndots:2', image, 'cat', '/etc/resolv.conf');
  expect(resolv).toMatch(/^nameserver 10\.235\.73\.53$/m);
  expect(resolv).not.toMatch(/^nameserver (?!10\.235\.73\.53$)/m);
  expect(resolv).toMatch(/^search example\.test$/m);
  expect(resolv).toMatch(/^options ndots:2$/m);
  const before = ok('ls', '--json');
  expect(refused('run', '--rm', '--network', `${TAG}-missing`, image, 'true')).toContain(`${TAG}-missing`);
  expect(refused('run', '-p', '80:x', image, 'true')).toBe('tsctl: --publish "80:x": the container port "x" is not a port (1-65535) or a range of them (8000-8010)');
  expect(refused('run', '-p', '[::1]:80:80', image, 'true')).toBe('tsctl: --publish "[::1]:80:80": IPv6 host addresses are not supported: give an IPv4 address');
  expect(refused('run', '--network', 'name=x,ip=10.0.0.2', image, 'true')).toBe('tsctl: --network "name=x,ip=10.0.0.2": unknown field "ip": name= and alias= are supported');
  expect(refused('run', '--add-host', 'db', image, 'true')).toBe('tsctl: --add-host "db": expected NAME:IP');
  expect(refused('run', '--dns', 'resolver', image, 'true')).toBe('tsctl: --dns "resolver": is not an IP address');
  expect(refused('run', '--network')).toBe('tsctl run: flag needs an argument: --network (see tsctl run --help)');
  expect(ok('ls', '--json')).toBe(before);
});

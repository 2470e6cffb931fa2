/**
 * The configuration list of a managed network, checked for its shape and then run through
 * Debian's real plugins (bridge with host-local, then portmap) as CNI would run them: the
 * plugins run inside a test namespace standing in for the host (so the bridge and the iptables
 * rules they make are the test's), the container is another namespace, and a published port is
 * fetched through portmap's DNAT. After DEL, NetworkFirewall.removeUnusedCniChains leaves the
 * stand-in host's nat table as it was.
 */
import { ChildProcess, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { managedConfList } from '../../../supervisor/network/conflist';
import { NetworkFirewall } from '../../../supervisor/network/firewall';
import type { ManagedNetworkMeta } from '../../../supervisor/network/types';
import { NetnsHolder } from '../../helpers/netns-holder';

jest.setTimeout(60_000);

const TAG = `np${process.pid % 100000}`;
const PLUGIN_DIR = '/usr/lib/cni';

function meta(o: Partial<ManagedNetworkMeta>): ManagedNetworkMeta {
  return { id: 'c0ffee'.repeat(10) + 'beef', subnet: '10.233.40.0/24', gateway: '10.233.40.1', internal: false, bridge: `${TAG}c`, labels: { team: 'np' }, createdAt: '2026-12-02T02:00:00Z', ...o };
}

test('the list: bridge with host-local, then portmap, the meta under "tsrun"', () => {
  const m = meta({});
  expect(managedConfList('front', m, { ipamDataDir: '/var/lib/tsrund/ipam' })).toEqual({
    cniVersion: '1.0.0',
    name: 'front',
    plugins: [
      {
        type: 'bridge',
        bridge: m.bridge,
        isGateway: true,
        ipMasq: true,
        hairpinMode: true,
        ipam: {
          type: 'host-local',
          ranges: [[{ subnet: '10.233.40.0/24', gateway: '10.233.40.1' }]],
          routes: [{ dst: '0.0.0.0/0' }],
          dataDir: '/var/lib/tsrund/ipam',
        },
      },
      { type: 'portmap', capabilities: { portMappings: true }, snat: true },
    ],
    tsrun: m,
  });
  const internal = managedConfList('back', meta({ internal: true }), { ipamDataDir: '/d' }) as { plugins: Array<Record<string, any>> };
  expect(internal.plugins[0].ipMasq).toBe(false);
  expect(internal.plugins[0].ipam.routes).toEqual([]);
});

/** A few lines of CNI, to drive one plugin of `list` by hand: its config with name and version, CNI_* in the environment. */
function runPlugin(host: NetnsHolder, list: Record<string, any>, index: number, command: 'ADD' | 'DEL', netns: string, extra: Record<string, unknown> = {}): any {
  const conf = { cniVersion: list.cniVersion, name: list.name, ...list.plugins[index], ...extra };
  const r = spawnSync('nsenter', [`--net=${host.path}`, '--', path.join(PLUGIN_DIR, conf.type)], {
    input: JSON.stringify(conf),
    encoding: 'utf8',
    timeout: 20_000,
    env: { PATH: process.env.PATH, CNI_COMMAND: command, CNI_CONTAINERID: `${TAG}-${path.basename(path.dirname(netns))}`, CNI_NETNS: netns, CNI_IFNAME: 'eth0', CNI_PATH: PLUGIN_DIR },
  });
  if (r.status !== 0) throw new Error(`${conf.type} ${command}: ${r.stdout}${r.stderr}`);
  return command === 'ADD' ? JSON.parse(r.stdout) : null;
}

/** The body `from` gets at `url` ("" when it gets none), waiting up to 5 s for a server that is starting. */
async function fetched(from: NetnsHolder, url: string, waitMs = 5000): Promise<string> {
  for (const deadline = Date.now() + waitMs; ; ) {
    const r = from.run(['curl', '-s', '-m', '1', url]);
    if (r.status === 0 || Date.now() > deadline) return r.status === 0 ? r.stdout : '';
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('through the real plugins', () => {
  let host: NetnsHolder;
  let tmp: string;
  const containers: NetnsHolder[] = [];
  const servers: ChildProcess[] = [];

  beforeAll(async () => {
    host = await NetnsHolder.start();
    host.check(['ip', 'link', 'set', 'lo', 'up']);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'policy-conflist-'));
  });
  afterAll(async () => {
    for (const s of servers) s.kill('SIGKILL');
    for (const c of containers) await c.close();
    await host.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  function serve(where: NetnsHolder, address: string): ChildProcess {
    const www = path.join(tmp, 'www');
    fs.mkdirSync(www, { recursive: true });
    fs.writeFileSync(path.join(www, 'index.html'), 'hello from np\n');
    const server = where.spawn(['busybox', 'httpd', '-f', '-p', `${address}:80`, '-h', www]);
    servers.push(server);
    return server;
  }

  async function container(): Promise<NetnsHolder> {
    const c = await NetnsHolder.start();
    containers.push(c);
    c.check(['ip', 'link', 'set', 'lo', 'up']);
    return c;
  }

  test('a network with a way out: an address and a default route, masquerade, a published port that answers; DEL leaves nothing', async () => {
    const list = managedConfList('np-front', meta({}), { ipamDataDir: path.join(tmp, 'ipam') }) as Record<string, any>;
    const c = await container();
    const natBefore = host.check(['iptables', '-t', 'nat', '-S']);
    const result = runPlugin(host, list, 0, 'ADD', c.path);
    expect(result.ips).toEqual([{ interface: 2, address: '10.233.40.2/24', gateway: '10.233.40.1' }]);
    expect(c.check(['ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0'])).toContain('inet 10.233.40.2/24');
    expect(c.check(['ip', '-4', 'route', 'show', 'default'])).toContain('default via 10.233.40.1 dev eth0');
    expect(host.check(['ip', '-4', '-o', 'addr', 'show', 'dev', `${TAG}c`])).toContain('inet 10.233.40.1/24');
    expect(host.check(['iptables', '-t', 'nat', '-S', 'POSTROUTING'])).toMatch(/-A POSTROUTING -s 10\.233\.40\.2\/32 .* -j CNI-/);
    // The lease is in the data directory the caller gave.
    expect(fs.readdirSync(path.join(tmp, 'ipam', 'np-front'))).toContain('10.233.40.2');

    const portmap = { runtimeConfig: { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp', hostIP: '' }] }, prevResult: result };
    runPlugin(host, list, 1, 'ADD', c.path, portmap);
    const server = serve(c, '10.233.40.2');
    expect(await fetched(host, 'http://10.233.40.1:8080/')).toBe('hello from np\n');
    // portmap's snat makes 127.0.0.1 work too
    expect(await fetched(host, 'http://127.0.0.1:8080/')).toBe('hello from np\n');
    server.kill('SIGKILL');

    runPlugin(host, list, 1, 'DEL', c.path, portmap);
    runPlugin(host, list, 0, 'DEL', c.path, { prevResult: result });
    expect(fs.readdirSync(path.join(tmp, 'ipam', 'np-front'))).not.toContain('10.233.40.2');
    // Only portmap's shared chains are left, and they go once they serve no one.
    expect(host.check(['iptables', '-t', 'nat', '-S'])).toContain('CNI-HOSTPORT-DNAT');
    new NetworkFirewall((args) => host.check(['iptables', '-w', ...args])).removeUnusedCniChains();
    expect(host.check(['iptables', '-t', 'nat', '-S'])).toBe(natBefore);
  });

  test('an internal network: the gateway address on the bridge, no default route, no masquerade', async () => {
    const list = managedConfList('np-back', meta({ subnet: '10.233.41.0/24', gateway: '10.233.41.254', internal: true, bridge: `${TAG}i` }), {
      ipamDataDir: path.join(tmp, 'ipam'),
    }) as Record<string, any>;
    const c = await container();
    const result = runPlugin(host, list, 0, 'ADD', c.path);
    expect(result.ips[0]).toEqual({ interface: 2, address: '10.233.41.1/24', gateway: '10.233.41.254' });
    expect(c.check(['ip', '-4', 'route', 'show'])).not.toContain('default');
    expect(host.check(['ip', '-4', '-o', 'addr', 'show', 'dev', `${TAG}i`])).toContain('inet 10.233.41.254/24');
    expect(host.check(['iptables', '-t', 'nat', '-S'])).not.toContain('10.233.41.1/32');
    expect(c.run(['busybox', 'ping', '-c', '1', '-W', '2', '10.233.41.254']).status).toBe(0);
    runPlugin(host, list, 0, 'DEL', c.path, { prevResult: result });
  });

  test('with the firewall, against an outside namespace: out through the masquerade, in only through the published port', async () => {
    const m = meta({ subnet: '10.233.42.0/24', gateway: '10.233.42.1', bridge: `${TAG}f` });
    const list = managedConfList('np-fw', m, { ipamDataDir: path.join(tmp, 'ipam') }) as Record<string, any>;
    const firewall = new NetworkFirewall((args) => host.check(['iptables', '-w', ...args]));
    const tablesBefore = [host.check(['iptables', '-S']), host.check(['iptables', '-t', 'nat', '-S'])];
    // The outside: a veth from the stand-in host, and a route back to the containers' subnet
    // through it, so that only the firewall keeps it from opening connections to them.
    const outside = await container();
    host.check(['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
    host.check(['ip', 'link', 'add', `${TAG}oh`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', String(outside.pid)]);
    host.check(['ip', 'addr', 'add', '10.233.49.1/30', 'dev', `${TAG}oh`]);
    host.check(['ip', 'link', 'set', `${TAG}oh`, 'up']);
    outside.check(['ip', 'addr', 'add', '10.233.49.2/30', 'dev', 'eth0']);
    outside.check(['ip', 'link', 'set', 'eth0', 'up']);
    outside.check(['ip', 'route', 'add', '10.233.42.0/24', 'via', '10.233.49.1']);
    // The outside's server logs who connected: the host's address, not the container's, is the masquerade at work.
    const seen: string[] = [];
    const outsideServer = outside.spawn(['python3', '-u', '-m', 'http.server', '--bind', '10.233.49.2', '80']);
    servers.push(outsideServer);
    outsideServer.stderr!.on('data', (d: Buffer) => seen.push(d.toString()));

    const c = await container();
    const result = runPlugin(host, list, 0, 'ADD', c.path);
    const portmap = { runtimeConfig: { portMappings: [{ hostPort: 8081, containerPort: 80, protocol: 'tcp', hostIP: '' }] }, prevResult: result };
    runPlugin(host, list, 1, 'ADD', c.path, portmap);
    firewall.ensure({ bridge: m.bridge, subnet: m.subnet, internal: false });
    serve(c, '10.233.42.2');

    expect(await fetched(c, 'http://10.233.49.2/')).toContain('Directory listing');
    for (let i = 0; i < 50 && !seen.join('').includes(' - - '); i++) await new Promise((r) => setTimeout(r, 50));
    expect(seen.join('')).toMatch(/^10\.233\.49\.1 - /m);
    expect(seen.join('')).not.toContain('10.233.42.2');
    expect(await fetched(outside, 'http://10.233.49.1:8081/')).toBe('hello from np\n');
    expect(await fetched(outside, 'http://10.233.42.2/', 0)).toBe('');
    // The same without the firewall: the direct connection is what it stopped.
    firewall.remove(m.bridge);
    expect(await fetched(outside, 'http://10.233.42.2/', 0)).toBe('hello from np\n');

    runPlugin(host, list, 1, 'DEL', c.path, portmap);
    runPlugin(host, list, 0, 'DEL', c.path, { prevResult: result });
    firewall.removeUnusedCniChains();
    expect([host.check(['iptables', '-S']), host.check(['iptables', '-t', 'nat', '-S'])]).toEqual(tablesBefore);
  });
});

/**
 * NetworkFirewall in a test network namespace (iptables never runs on the host's tables here):
 * the rules it writes, that ensure is idempotent and repairs, that remove takes exactly one
 * network's rules and the chain last, that portmap's shared chains go only when unused; then real
 * traffic between namespaces on two bridges, an internal one and "the outside".
 */
import { ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FORWARD_CHAIN, NetworkFirewall, splitRuleLine } from '../../../supervisor/network/firewall';
import { NetnsHolder } from '../../helpers/netns-holder';

jest.setTimeout(120_000);

const TAG = `np${process.pid % 100000}`;

let ns: NetnsHolder;
beforeAll(async () => {
  ns = await NetnsHolder.start();
});
afterAll(async () => {
  await ns.close();
});

const iptablesIn = (holder: NetnsHolder) => (args: string[]) => holder.check(['iptables', '-w', ...args]);
const rules = (holder: NetnsHolder, table = 'filter') => holder.check(['iptables', '-t', table, '-S']).trim().split('\n');

test('splitRuleLine reads iptables -S quoting', () => {
  expect(splitRuleLine('-A POSTROUTING -s 10.0.0.2/32 -m comment --comment "name: \\"n\\" id: \\"c\\"" -j CNI-x')).toEqual([
    '-A', 'POSTROUTING', '-s', '10.0.0.2/32', '-m', 'comment', '--comment', 'name: "n" id: "c"', '-j', 'CNI-x',
  ]);
  expect(splitRuleLine('  ')).toEqual([]);
  expect(splitRuleLine('-A X --comment ""')).toEqual(['-A', 'X', '--comment', '']);
});

describe('the rules', () => {
  const a = { bridge: `${TAG}a`, subnet: '10.233.50.0/24', internal: false };
  const b = { bridge: `${TAG}b`, subnet: '10.233.51.0/24', internal: false };
  const c = { bridge: `${TAG}c`, subnet: '10.233.52.0/24', internal: true };
  let calls: string[][];
  let fw: NetworkFirewall;
  beforeEach(() => {
    calls = [];
    fw = new NetworkFirewall((args) => {
      calls.push(args);
      return iptablesIn(ns)(args);
    });
  });

  test('one chain jumped to first from FORWARD: ingress blocks on top, egress at the bottom', () => {
    ns.check(['iptables', '-A', 'FORWARD', '-i', 'other0', '-j', 'ACCEPT']);
    fw.ensure(a);
    fw.ensure(b);
    fw.ensure(c);
    expect(rules(ns)).toEqual([
      '-P INPUT ACCEPT',
      '-P FORWARD ACCEPT',
      '-P OUTPUT ACCEPT',
      `-N ${FORWARD_CHAIN}`,
      `-A FORWARD -j ${FORWARD_CHAIN}`,
      '-A FORWARD -i other0 -j ACCEPT',
      `-A ${FORWARD_CHAIN} -i ${c.bridge} -o ${c.bridge} -j ACCEPT`,
      `-A ${FORWARD_CHAIN} -o ${c.bridge} -j DROP`,
      `-A ${FORWARD_CHAIN} -o ${b.bridge} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
      `-A ${FORWARD_CHAIN} -o ${b.bridge} -m conntrack --ctstate DNAT -j ACCEPT`,
      `-A ${FORWARD_CHAIN} -i ${b.bridge} -o ${b.bridge} -j ACCEPT`,
      `-A ${FORWARD_CHAIN} -o ${b.bridge} -j DROP`,
      `-A ${FORWARD_CHAIN} -o ${a.bridge} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
      `-A ${FORWARD_CHAIN} -o ${a.bridge} -m conntrack --ctstate DNAT -j ACCEPT`,
      `-A ${FORWARD_CHAIN} -i ${a.bridge} -o ${a.bridge} -j ACCEPT`,
      `-A ${FORWARD_CHAIN} -o ${a.bridge} -j DROP`,
      `-A ${FORWARD_CHAIN} -i ${a.bridge} -j ACCEPT`,
      `-A ${FORWARD_CHAIN} -i ${b.bridge} -j ACCEPT`,
      `-A ${FORWARD_CHAIN} -i ${c.bridge} -j DROP`,
    ]);
  });

  test('ensure again changes nothing; a network missing a rule gets its set back, in place', () => {
    const before = rules(ns);
    calls = [];
    fw.ensure(a);
    fw.ensure(c);
    expect(calls.filter((args) => ['-I', '-A', '-D', '-N'].includes(args[0]))).toEqual([]);
    expect(rules(ns)).toEqual(before);
    ns.check(['iptables', '-D', FORWARD_CHAIN, '-o', a.bridge, '-j', 'DROP']);
    ns.check(['iptables', '-D', 'FORWARD', '-j', FORWARD_CHAIN]);
    fw.ensure(a);
    // a's block is back, now on top (any order of blocks is as good), and the jump is first again
    const after = rules(ns);
    expect(after[4]).toBe(`-A FORWARD -j ${FORWARD_CHAIN}`);
    expect([...after].sort()).toEqual([...before].sort());
  });

  test('remove takes exactly one network\'s rules; the chain and its jump go with the last', () => {
    fw.remove(b.bridge);
    const left = rules(ns).join('\n');
    expect(left).not.toContain(b.bridge);
    expect(left).toContain(`-o ${a.bridge} -j DROP`);
    expect(left).toContain(`-i ${c.bridge} -j DROP`);
    fw.remove(b.bridge);
    fw.remove(a.bridge);
    expect(rules(ns)).toContain(`-A FORWARD -j ${FORWARD_CHAIN}`);
    fw.remove(c.bridge);
    expect(rules(ns)).toEqual(['-P INPUT ACCEPT', '-P FORWARD ACCEPT', '-P OUTPUT ACCEPT', '-A FORWARD -i other0 -j ACCEPT']);
    // nothing to remove: nothing done, no error
    fw.remove(a.bridge);
    ns.check(['iptables', '-D', 'FORWARD', '-i', 'other0', '-j', 'ACCEPT']);
  });

  test('a chain another daemon still uses stays', () => {
    const other = new NetworkFirewall(iptablesIn(ns));
    fw.ensure(a);
    other.ensure({ ...b, bridge: 'tsrun0' });
    fw.remove(a.bridge);
    expect(rules(ns)).toContain(`-A ${FORWARD_CHAIN} -i tsrun0 -j ACCEPT`);
    other.remove('tsrun0');
    expect(rules(ns)).toEqual(['-P INPUT ACCEPT', '-P FORWARD ACCEPT', '-P OUTPUT ACCEPT']);
  });
});

describe('removeUnusedCniChains', () => {
  /** portmap's shared chains as it leaves them (see policy-conflist.test.ts for the real plugin). */
  function portmapChains(h: NetnsHolder): void {
    const nat = (args: string[]) => h.check(['iptables', '-t', 'nat', ...args]);
    for (const chain of ['CNI-HOSTPORT-DNAT', 'CNI-HOSTPORT-MASQ', 'CNI-HOSTPORT-SETMARK']) nat(['-N', chain]);
    nat(['-A', 'PREROUTING', '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', 'CNI-HOSTPORT-DNAT']);
    nat(['-A', 'OUTPUT', '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', 'CNI-HOSTPORT-DNAT']);
    nat(['-A', 'POSTROUTING', '-m', 'comment', '--comment', 'CNI portfwd requiring masquerade', '-j', 'CNI-HOSTPORT-MASQ']);
    nat(['-A', 'CNI-HOSTPORT-MASQ', '-m', 'mark', '--mark', '0x2000/0x2000', '-j', 'MASQUERADE']);
    nat(['-A', 'CNI-HOSTPORT-SETMARK', '-m', 'comment', '--comment', 'CNI portfwd masquerade mark', '-j', 'MARK', '--set-xmark', '0x2000/0x2000']);
  }

  test('kept while a mapping is left in CNI-HOSTPORT-DNAT; removed with their jumps once it is empty; other rules untouched', async () => {
    const h = await NetnsHolder.start();
    try {
      h.check(['iptables', '-t', 'nat', '-A', 'POSTROUTING', '-s', '10.233.60.0/24', '-j', 'MASQUERADE']);
      const untouched = rules(h, 'nat');
      portmapChains(h);
      h.check(['iptables', '-t', 'nat', '-N', 'CNI-DN-someone']);
      h.check(['iptables', '-t', 'nat', '-A', 'CNI-HOSTPORT-DNAT', '-p', 'tcp', '-m', 'multiport', '--dports', '8080', '-j', 'CNI-DN-someone']);
      const fw = new NetworkFirewall(iptablesIn(h));
      const withMapping = rules(h, 'nat');
      fw.removeUnusedCniChains();
      expect(rules(h, 'nat')).toEqual(withMapping);
      h.check(['iptables', '-t', 'nat', '-F', 'CNI-HOSTPORT-DNAT']);
      h.check(['iptables', '-t', 'nat', '-X', 'CNI-DN-someone']);
      fw.removeUnusedCniChains();
      expect(rules(h, 'nat')).toEqual(untouched);
      // none there: nothing to do
      fw.removeUnusedCniChains();
      // a per-container chain left over (unreachable) still jumping to SETMARK: that one stays, the others go
      portmapChains(h);
      h.check(['iptables', '-t', 'nat', '-N', 'CNI-DN-leftover']);
      h.check(['iptables', '-t', 'nat', '-A', 'CNI-DN-leftover', '-j', 'CNI-HOSTPORT-SETMARK']);
      fw.removeUnusedCniChains();
      expect(rules(h, 'nat')).toEqual([...untouched.slice(0, 4), '-N CNI-DN-leftover', '-N CNI-HOSTPORT-SETMARK', ...untouched.slice(4), '-A CNI-DN-leftover -j CNI-HOSTPORT-SETMARK']);
    } finally {
      await h.close();
    }
  });
});

/**
 * Traffic for real: a namespace standing in for the host, with bridges A and B (and internal C)
 * and a veth to an "outside" namespace; one namespace per endpoint (a1, a2 on A, b1 on B, c1 on
 * C) with a veth into its bridge, each serving HTTP with busybox httpd.
 */
describe('real traffic between namespaces', () => {
  let host: NetnsHolder;
  const endpoints = new Map<string, { ns: NetnsHolder; ip: string }>();
  const servers: ChildProcess[] = [];
  let www: string;
  let fw: NetworkFirewall;
  const net = { A: { n: 70, internal: false }, B: { n: 71, internal: false }, C: { n: 72, internal: true } } as const;
  const bridgeOf = (name: keyof typeof net) => `${TAG}${name}`;
  const OUTSIDE = '10.233.79.2';
  const HOST_OUTSIDE = '10.233.79.1';

  beforeAll(async () => {
    www = fs.mkdtempSync(path.join(os.tmpdir(), 'policy-firewall-'));
    fs.writeFileSync(path.join(www, 'index.html'), 'np\n');
    host = await NetnsHolder.start();
    host.check(['ip', 'link', 'set', 'lo', 'up']);
    host.check(['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
    for (const [name, { n }] of Object.entries(net)) {
      host.check(['ip', 'link', 'add', bridgeOf(name as keyof typeof net), 'type', 'bridge']);
      host.check(['ip', 'addr', 'add', `10.233.${n}.1/24`, 'dev', bridgeOf(name as keyof typeof net)]);
      host.check(['ip', 'link', 'set', bridgeOf(name as keyof typeof net), 'up']);
    }
    const endpoint = async (id: string, ip: string, gateway: string, bridge: string | null) => {
      const e = await NetnsHolder.start();
      endpoints.set(id, { ns: e, ip });
      const outer = `${TAG}${id}h`;
      host.check(['ip', 'link', 'add', outer, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', String(e.pid)]);
      if (bridge) host.check(['ip', 'link', 'set', outer, 'master', bridge]);
      else host.check(['ip', 'addr', 'add', `${gateway}/24`, 'dev', outer]);
      host.check(['ip', 'link', 'set', outer, 'up']);
      e.check(['ip', 'addr', 'add', `${ip}/24`, 'dev', 'eth0']);
      e.check(['ip', 'link', 'set', 'eth0', 'up']);
      e.check(['ip', 'link', 'set', 'lo', 'up']);
      e.check(['ip', 'route', 'add', 'default', 'via', gateway]);
      servers.push(e.spawn(['busybox', 'httpd', '-f', '-p', `${ip}:80`, '-h', www]));
    };
    await endpoint('a1', '10.233.70.11', '10.233.70.1', bridgeOf('A'));
    await endpoint('a2', '10.233.70.12', '10.233.70.1', bridgeOf('A'));
    await endpoint('b1', '10.233.71.11', '10.233.71.1', bridgeOf('B'));
    await endpoint('c1', '10.233.72.11', '10.233.72.1', bridgeOf('C'));
    // The outside routes every test subnet back through the host: only the firewall stops it.
    await endpoint('out', OUTSIDE, HOST_OUTSIDE, null);
    endpoints.get('out')!.ns.check(['ip', 'route', 'replace', 'default', 'via', HOST_OUTSIDE]);
    // A published port of a1, as portmap would write it.
    host.check(['iptables', '-t', 'nat', '-A', 'PREROUTING', '-d', HOST_OUTSIDE, '-p', 'tcp', '--dport', '8080', '-j', 'DNAT', '--to-destination', '10.233.70.11:80']);
    fw = new NetworkFirewall(iptablesIn(host));
  });
  afterAll(async () => {
    for (const s of servers) s.kill('SIGKILL');
    for (const e of endpoints.values()) await e.ns.close();
    if (host) await host.close();
    fs.rmSync(www, { recursive: true, force: true });
  });

  /** Whether `from` gets the page at `url` (a dropped connection times out in a second). */
  const reaches = (from: string, url: string): boolean => {
    const r = endpoints.get(from)!.ns.run(['curl', '-s', '-m', '1', url]);
    return r.status === 0 && r.stdout === 'np\n';
  };
  const to = (id: string) => `http://${endpoints.get(id)!.ip}/`;
  const everything = () => ({
    'a1>a2': reaches('a1', to('a2')),
    'a1>b1': reaches('a1', to('b1')),
    'b1>a1': reaches('b1', to('a1')),
    'a1>c1': reaches('a1', to('c1')),
    'c1>a1': reaches('c1', to('a1')),
    'a1>out': reaches('a1', to('out')),
    'c1>out': reaches('c1', to('out')),
    'out>a1': reaches('out', to('a1')),
    'out>b1': reaches('out', to('b1')),
    'out>a1:published': reaches('out', `http://${HOST_OUTSIDE}:8080/`),
  });

  test('without the firewall everything flows (what the firewall is tested against)', async () => {
    // httpd takes a moment to listen
    for (let i = 0; i < 50 && !reaches('a1', to('out')); i++) await new Promise((r) => setTimeout(r, 100));
    expect(Object.values(everything()).every(Boolean)).toBe(true);
  });

  test('with it: same bridge and out flow, no bridge reaches another, the outside only through the published port, internal has no way out', () => {
    fw.ensure({ bridge: bridgeOf('A'), subnet: '10.233.70.0/24', internal: false });
    fw.ensure({ bridge: bridgeOf('B'), subnet: '10.233.71.0/24', internal: false });
    fw.ensure({ bridge: bridgeOf('C'), subnet: '10.233.72.0/24', internal: true });
    expect(everything()).toEqual({
      'a1>a2': true,
      'a1>b1': false,
      'b1>a1': false,
      'a1>c1': false,
      'c1>a1': false,
      'a1>out': true,
      'c1>out': false,
      'out>a1': false,
      'out>b1': false,
      'out>a1:published': true,
    });
  });

  test('A removed: B and C keep their isolation, and A is open again', () => {
    fw.remove(bridgeOf('A'));
    const now = everything();
    expect(now['a1>b1']).toBe(false);
    expect(now['a1>c1']).toBe(false);
    expect(now['out>b1']).toBe(false);
    expect(now['out>a1']).toBe(true);
    fw.remove(bridgeOf('B'));
    fw.remove(bridgeOf('C'));
    expect(rules(host)).toEqual(['-P INPUT ACCEPT', '-P FORWARD ACCEPT', '-P OUTPUT ACCEPT']);
  });
});

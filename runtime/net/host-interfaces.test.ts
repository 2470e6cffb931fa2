/** rtnetlink's links and addresses as the facts of linux.netDevices: names, addresses, what moves along. */
import { execFileSync } from 'child_process';
import { deleteLinks, makeVethPair, type VethPair } from '../../test/helpers/veth';
import { netInterfaces, type NetInterfaces, type NetLinkAddress } from '../native';
import type { HostAddress, HostInterface } from '../plan/types';
import { hostInterfaces } from './host-interfaces';

const AF_INET = 2;
const AF_INET6 = 10;
const IFA_F_PERMANENT = 0x80;
const IFA_F_TENTATIVE = 0x40;

const address = (index: number, fields: Partial<NetLinkAddress>): NetLinkAddress => ({
  index,
  family: AF_INET,
  prefixLength: 24,
  scope: 0,
  flags: IFA_F_PERMANENT,
  local: null,
  address: null,
  broadcast: null,
  label: null,
  ...fields,
});

// What the dumps of a host with these interfaces hold (as `ip -j addr show` of iproute2 6.1 shows
// them: lo, a veth end with five addresses, its peer with none).
const DUMPS: NetInterfaces = {
  links: [
    { index: 1, name: 'lo', mtu: 65536, flags: 0x10049 },
    { index: 6, name: 'tsrvZ1', mtu: 1500, flags: 0x1003 },
    { index: 7, name: 'tsrvZ2', mtu: 1500, flags: 0x1002 },
  ],
  addresses: [
    address(1, { local: '127.0.0.1', address: '127.0.0.1', prefixLength: 8, scope: 254, label: 'lo' }),
    address(6, { local: '10.213.7.2', address: '10.213.7.2', broadcast: '10.213.7.255', label: 'tsrvZ1' }),
    address(6, { local: '10.213.8.1', address: '10.213.8.2', prefixLength: 32, label: 'tsrvZ1' }),
    address(6, { local: '10.213.9.2', address: '10.213.9.2', flags: 0, label: 'tsrvZ1' }),
    address(6, { family: AF_INET6, address: 'fd00:213::2', prefixLength: 64, flags: IFA_F_PERMANENT | IFA_F_TENTATIVE }),
    address(6, { family: AF_INET6, address: 'fe80::1', prefixLength: 64, scope: 253 }),
  ],
};

test('every interface by name, each address with its scope and IFA_F_PERMANENT', () => {
  const parsed = hostInterfaces(DUMPS);
  expect([...parsed.keys()]).toEqual(['lo', 'tsrvZ1', 'tsrvZ2']);
  expect(parsed.get('tsrvZ2')).toEqual({ addresses: [] });
  expect(parsed.get('tsrvZ1')?.addresses).toEqual([
    { family: 'inet', local: '10.213.7.2', prefixLength: 24, peer: null, broadcast: '10.213.7.255', scope: 'global', permanent: true },
    { family: 'inet', local: '10.213.8.1', prefixLength: 32, peer: '10.213.8.2', broadcast: null, scope: 'global', permanent: true },
    { family: 'inet', local: '10.213.9.2', prefixLength: 24, peer: null, broadcast: null, scope: 'global', permanent: false },
    { family: 'inet6', local: 'fd00:213::2', prefixLength: 64, peer: null, broadcast: null, scope: 'global', permanent: true },
    { family: 'inet6', local: 'fe80::1', prefixLength: 64, peer: null, broadcast: null, scope: 'link', permanent: true },
  ]);
});

test('families other than IPv4 and IPv6 are not addresses RTM_NEWADDR could restore', () => {
  const dumps: NetInterfaces = { links: [{ index: 9, name: 'can0', mtu: 16, flags: 0 }], addresses: [address(9, { family: 28, prefixLength: 20 })] };
  expect(hostInterfaces(dumps).get('can0')).toEqual({ addresses: [] });
});

test('a scope iproute2 has no name for goes by its number; an address of no listed link is dropped', () => {
  const dumps: NetInterfaces = {
    links: [{ index: 3, name: 'eth9', mtu: 1500, flags: 0 }],
    addresses: [address(3, { local: '10.0.0.1', address: '10.0.0.1', scope: 100 }), address(4, { local: '10.0.0.2', address: '10.0.0.2' })],
  };
  expect(hostInterfaces(dumps).get('eth9')?.addresses.map((a) => a.scope)).toEqual(['100']);
});

// `ip -j addr show` read as the facts, the way iproute2 prints the attributes the dumps carry.
interface IpAddrInfo {
  family?: string;
  local?: string;
  address?: string;
  prefixlen?: number;
  broadcast?: string;
  scope?: string;
  dynamic?: boolean;
}

function ipAddrFacts(): Map<string, HostInterface> {
  const links = JSON.parse(execFileSync('ip', ['-j', 'addr', 'show'], { encoding: 'utf8' })) as Array<{ ifname: string; addr_info?: IpAddrInfo[] }>;
  const toAddress = (info: IpAddrInfo): HostAddress[] =>
    (info.family === 'inet' || info.family === 'inet6') && info.local && typeof info.prefixlen === 'number'
      ? [
          {
            family: info.family,
            local: info.local,
            prefixLength: info.prefixlen,
            peer: info.address && info.address !== info.local ? info.address : null,
            broadcast: info.family === 'inet' && info.broadcast ? info.broadcast : null,
            scope: info.scope ?? '',
            permanent: info.dynamic !== true,
          },
        ]
      : [];
  return new Map(links.map((l) => [l.ifname, { addresses: (l.addr_info ?? []).flatMap(toAddress) }]));
}

const IFF_NAMES: [number, string][] = [
  [0x1, 'UP'],
  [0x2, 'BROADCAST'],
  [0x8, 'LOOPBACK'],
  [0x10, 'POINTOPOINT'],
  [0x80, 'NOARP'],
  [0x1000, 'MULTICAST'],
  [0x10000, 'LOWER_UP'],
];

const asRoot = process.getuid?.() === 0 ? describe : describe.skip;

asRoot('the dumps of this host say what iproute2 says', () => {
  let pair: VethPair;
  beforeAll(() => {
    pair = makeVethPair('tsrh', [
      ['10.213.7.2/24', 'broadcast', '10.213.7.255'],
      ['10.213.8.1', 'peer', '10.213.8.2/32'],
      ['10.213.9.2/24', 'valid_lft', '600', 'preferred_lft', '600'],
      ['fd00:213::2/64', 'nodad'],
    ]);
  });
  afterAll(() => deleteLinks(pair));

  // Other tests may add or remove interfaces meanwhile: those in both answers are compared.
  test('ip -j link: each link with its index, MTU and flags', () => {
    const ours = netInterfaces().links;
    const ip = JSON.parse(execFileSync('ip', ['-j', 'link', 'show'], { encoding: 'utf8' })) as Array<{ ifindex: number; ifname: string; mtu: number; flags: string[] }>;
    const names = ip.map((l) => l.ifname).filter((n) => ours.some((o) => o.name === n));
    expect(names).toEqual(expect.arrayContaining(['lo', pair.end, pair.peer]));
    for (const name of names) {
      const o = ours.find((l) => l.name === name)!;
      const theirs = ip.find((l) => l.ifname === name)!;
      const flags = IFF_NAMES.filter(([bit]) => (o.flags & bit) !== 0).map(([, n]) => n);
      expect({ name, index: o.index, mtu: o.mtu, flags }).toEqual({
        name,
        index: theirs.ifindex,
        mtu: theirs.mtu,
        flags: IFF_NAMES.map(([, n]) => n).filter((n) => theirs.flags.includes(n)),
      });
    }
  });

  test('ip -j addr: each interface with its addresses, the peer, broadcast, scope and permanence', () => {
    const ours = hostInterfaces(netInterfaces());
    const theirs = ipAddrFacts();
    const names = [...theirs.keys()].filter((n) => ours.has(n));
    expect(names).toEqual(expect.arrayContaining(['lo', pair.end, pair.peer]));
    for (const name of names) expect({ name, ...ours.get(name) }).toEqual({ name, ...theirs.get(name) });
    expect(ours.get(pair.end)?.addresses).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ local: '10.213.8.1', peer: '10.213.8.2' }),
        expect.objectContaining({ local: '10.213.9.2', permanent: false }),
        expect.objectContaining({ local: '10.213.7.2', broadcast: '10.213.7.255' }),
        expect.objectContaining({ family: 'inet6', local: 'fd00:213::2' }),
      ]),
    );
  });
});

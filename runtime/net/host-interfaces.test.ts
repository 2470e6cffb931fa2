/** iproute2's JSON as the facts of linux.netDevices: names, addresses, what moves along. */
import { parseIpAddrJson } from './host-interfaces';

// `ip -j addr show` of iproute2 6.1, trimmed to the fields that matter.
const IP_OUTPUT = JSON.stringify([
  { ifindex: 1, ifname: 'lo', addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8, scope: 'host', label: 'lo' }] },
  {
    ifindex: 6,
    ifname: 'tsrvZ1',
    link: 'tsrvZ2',
    addr_info: [
      { family: 'inet', local: '10.213.7.2', prefixlen: 24, broadcast: '10.213.7.255', scope: 'global', label: 'tsrvZ1' },
      { family: 'inet', local: '10.213.8.1', address: '10.213.8.2', prefixlen: 32, scope: 'global', label: 'tsrvZ1' },
      { family: 'inet', local: '10.213.9.2', prefixlen: 24, scope: 'global', dynamic: true, label: 'tsrvZ1' },
      { family: 'inet6', local: 'fd00:213::2', prefixlen: 64, scope: 'global', tentative: true },
      { family: 'inet6', local: 'fe80::1', prefixlen: 64, scope: 'link' },
    ],
  },
  { ifindex: 7, ifname: 'tsrvZ2', addr_info: [] },
]);

test('every interface by name, each address with its scope and IFA_F_PERMANENT', () => {
  const parsed = parseIpAddrJson(IP_OUTPUT);
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
  const text = JSON.stringify([{ ifname: 'can0', addr_info: [{ family: 'mpls', local: 'x', prefixlen: 20 }] }]);
  expect(parseIpAddrJson(text).get('can0')).toEqual({ addresses: [] });
});

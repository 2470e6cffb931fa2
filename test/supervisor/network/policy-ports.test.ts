/**
 * Published ports: the API's mappings checked, an image's ExposedPorts, and the allocator of host
 * ports, against real sockets (a port held by a listener in this test is refused, naming it).
 */
import * as dgram from 'dgram';
import * as net from 'net';
import { TsrunError } from '../../../common/errors';
import type { PortMapping as ApiPortMapping } from '../../../supervisor/api/generated/types';
import { checkPortMappings, exposedPortMappings, hostPortProblem, localPortRange, PortAllocator } from '../../../supervisor/network/ports';
import type { PortMapping } from '../../../supervisor/network/types';
import { SeededRandom } from '../../helpers/seeded-choices';
import { hostileText } from './hostile-text';
import { refusal, rejection } from './refusals';

const api = (p: Partial<ApiPortMapping>): ApiPortMapping => ({ hostIp: '', hostPort: 0, containerPort: 80, protocol: '', ...p });
const tcp = (hostPort: number, containerPort = 80, hostIp = ''): PortMapping => ({ hostIp, hostPort, containerPort, protocol: 'tcp' });



describe('checkPortMappings', () => {
  test('tcp by default, 0.0.0.0 as every address, ephemeral host ports kept 0', () => {
    expect(
      checkPortMappings(
        [api({ hostPort: 8080 }), api({ hostIp: '127.0.0.1', hostPort: 53, containerPort: 53, protocol: 'udp' }), api({ hostIp: '0.0.0.0', containerPort: 443, protocol: 'TCP' })],
        'ports',
      ),
    ).toEqual([
      { hostIp: '', hostPort: 8080, containerPort: 80, protocol: 'tcp' },
      { hostIp: '127.0.0.1', hostPort: 53, containerPort: 53, protocol: 'udp' },
      { hostIp: '', hostPort: 0, containerPort: 443, protocol: 'tcp' },
    ]);
  });

  test('one host port on one protocol and address published twice is refused; tcp and udp, or two addresses, are not', () => {
    expect(checkPortMappings([api({ hostPort: 53, protocol: 'udp' }), api({ hostPort: 53 })], 'p')).toHaveLength(2);
    expect(checkPortMappings([api({ hostPort: 80, hostIp: '127.0.0.1' }), api({ hostPort: 80, hostIp: '127.0.0.2' })], 'p')).toHaveLength(2);
    expect(checkPortMappings([api({}), api({})], 'p')).toHaveLength(2);
    expect(refusal(() => checkPortMappings([api({ hostPort: 80 }), api({ hostPort: 80, hostIp: '127.0.0.1', containerPort: 81 })], 'ports')).message).toBe(
      'ports[1].host_port: host port 80/tcp on 127.0.0.1 is already published by ports[0]',
    );
  });

  test.each([
    [{ protocol: 'sctp' }, 'ports[0].protocol: "sctp" is not a protocol (tcp or udp)'],
    [{ hostPort: 65536 }, 'ports[0].host_port: 65536 is not a port (0 for an ephemeral port, or 1-65535)'],
    [{ hostPort: -1 }, 'ports[0].host_port: -1 is not a port'],
    [{ hostPort: 80.5 }, 'ports[0].host_port: 80.5 is not a port'],
    [{ containerPort: 0 }, 'ports[0].container_port: 0 is not a port (1-65535)'],
    [{ hostIp: 'localhost' }, 'ports[0].host_ip: "localhost" is not an IPv4 address'],
    [{ hostIp: '::1' }, 'ports[0].host_ip: "::1" is not an IPv4 address'],
  ])('%j is refused: %s', (p, message) => {
    const err = refusal(() => checkPortMappings([api(p)], 'ports'));
    expect(err.code).toBe('invalid-argument');
    expect(err.message.startsWith(message)).toBe(true);
  });

  test('hostile mappings: valid output or a one-line refusal naming the element (seeded)', () => {
    for (let seed = 1; seed <= 2000; seed++) {
      const r = new SeededRandom(seed);
      const num = () => (r.chance(0.7) ? r.int(70000) - 100 : r.pick([0, 1, 65535, 65536, NaN, Infinity, 1.5, -0]));
      const ports = Array.from({ length: 1 + r.int(4) }, () =>
        api({ hostIp: r.chance(0.5) ? hostileText(r) : r.pick(['', '127.0.0.1', '0.0.0.0']), hostPort: num(), containerPort: num(), protocol: r.chance(0.5) ? hostileText(r) : r.pick(['', 'tcp', 'udp']) }),
      );
      let out: PortMapping[];
      try {
        out = checkPortMappings(ports, 'req.ports');
      } catch (err) {
        expect((err as TsrunError).code).toBe('invalid-argument');
        expect((err as TsrunError).message).toMatch(/^req\.ports\[\d\]\.(host_ip|host_port|container_port|protocol): [^\n\r]*$/);
        continue;
      }
      for (const m of out) {
        expect(['tcp', 'udp']).toContain(m.protocol);
        expect(Number.isInteger(m.hostPort) && m.hostPort >= 0 && m.hostPort <= 65535).toBe(true);
        expect(Number.isInteger(m.containerPort) && m.containerPort >= 1 && m.containerPort <= 65535).toBe(true);
        expect(m.hostIp === '' || net.isIPv4(m.hostIp)).toBe(true);
      }
    }
  });
});

describe('exposedPortMappings', () => {
  test('"80/tcp", "53/udp" and "8080" on ephemeral host ports, in port order', () => {
    expect(exposedPortMappings({ '8080': {}, '53/udp': {}, '80/tcp': {}, '53/tcp': {} })).toEqual([
      { hostIp: '', hostPort: 0, containerPort: 53, protocol: 'tcp' },
      { hostIp: '', hostPort: 0, containerPort: 53, protocol: 'udp' },
      { hostIp: '', hostPort: 0, containerPort: 80, protocol: 'tcp' },
      { hostIp: '', hostPort: 0, containerPort: 8080, protocol: 'tcp' },
    ]);
    expect(exposedPortMappings(undefined)).toEqual([]);
    expect(exposedPortMappings({ '80/TCP': {}, '80/tcp': {} })).toHaveLength(1);
  });

  test.each(['70000/tcp', '0/tcp', '80/sctp', 'http', '80-90/tcp', '/tcp', '080'])('%j is the image config\'s error', (key) => {
    const err = refusal(() => exposedPortMappings({ [key]: {} }));
    expect(err.code).toBe('invalid-argument');
    expect(err.message.startsWith(`image config ExposedPorts[${JSON.stringify(key)}]: `)).toBe(true);
  });
});

describe('PortAllocator with a fake host', () => {
  const free = async () => null;

  test('a port published by one owner is refused to another, naming the port, address and owner; release frees it', async () => {
    const a = new PortAllocator({ ephemeral: { first: 40000, last: 40009 }, probe: free });
    expect(await a.reserve('c1', [tcp(8080)])).toEqual([tcp(8080)]);
    const err = await rejection(a.reserve('c2', [tcp(8080, 81, '127.0.0.1')]));
    expect([err.code, err.message]).toEqual(['failed-precondition', 'host port 8080/tcp on 127.0.0.1 is already published by container c1']);
    // another protocol, or another port, is fine
    await a.reserve('c2', [{ ...tcp(8080), protocol: 'udp' }, tcp(8081)]);
    a.release('c1');
    expect(await a.reserve('c3', [tcp(8080, 80, '127.0.0.1')])).toEqual([tcp(8080, 80, '127.0.0.1')]);
  });

  test('all or nothing: a refusal keeps none of the ports of that call', async () => {
    const a = new PortAllocator({ ephemeral: { first: 40000, last: 40009 }, probe: free });
    await a.reserve('c1', [tcp(9000)]);
    await rejection(a.reserve('c2', [tcp(9001), tcp(0), tcp(9000)]));
    expect(a.reservations().map((r) => r.owner)).toEqual(['c1']);
    expect(await a.reserve('c3', [tcp(9001)])).toEqual([tcp(9001)]);
  });

  test('ephemeral ports: from the range, skipping held and busy ones, not handed out twice; exhausted: resource-exhausted', async () => {
    const busy = new Set([40001]);
    const a = new PortAllocator({
      ephemeral: { first: 40000, last: 40004 },
      probe: async (_ip, port) => (busy.has(port) ? { inUse: true, reason: 'is in use on the host' } : null),
    });
    a.restore('old', [tcp(40002)]);
    const got = await a.reserve('c1', [tcp(0, 80), tcp(0, 81), { ...tcp(0, 53), protocol: 'udp' }]);
    expect(got.map((m) => m.hostPort)).toEqual([40000, 40003, 40004]);
    expect(got[2].protocol).toBe('udp');
    expect((await a.reserve('c2', [tcp(0)]))[0].hostPort).toBe(40004);
    const err = await rejection(a.reserve('c3', [tcp(0, 82)]));
    expect([err.code, err.message]).toEqual(['resource-exhausted', 'no free host port for 82/tcp in 40000-40004']);
  });

  test('concurrent reserves never get the same ephemeral port', async () => {
    const a = new PortAllocator({ ephemeral: { first: 40000, last: 40099 }, probe: () => new Promise((r) => setTimeout(() => r(null), 2)) });
    const got = await Promise.all(Array.from({ length: 20 }, (_, i) => a.reserve(`c${i}`, [tcp(0), tcp(0)])));
    const ports = got.flat().map((m) => m.hostPort);
    expect(new Set(ports).size).toBe(40);
  });

  test('restore after a restart: the restored ports are held again', async () => {
    const a = new PortAllocator({ ephemeral: { first: 40000, last: 40009 }, probe: free });
    a.restore('c1', [tcp(8080), { ...tcp(53, 53), protocol: 'udp' }]);
    expect((await rejection(a.reserve('c2', [{ ...tcp(53, 53), protocol: 'udp' }]))).message).toBe('host port 53/udp on every address is already published by container c1');
    a.release('c1');
    await a.reserve('c2', [tcp(8080)]);
  });
});

describe('the host, for real', () => {
  test('the ephemeral range is the kernel\'s', () => {
    const range = localPortRange();
    expect(range.first).toBeGreaterThan(0);
    expect(range.last).toBeGreaterThanOrEqual(range.first);
  });

  test('a TCP port a process listens on is refused, naming the port, the address and the process', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen({ host: '127.0.0.1', port: 0 }, r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const a = new PortAllocator();
      const err = await rejection(a.reserve('c1', [tcp(port)]));
      expect(err.code).toBe('failed-precondition');
      expect(err.message).toBe(`host port ${port}/tcp on every address is in use on the host by process ${process.pid} (${require('fs').readFileSync('/proc/self/comm', 'utf8').trim()})`);
      expect((await rejection(a.reserve('c1', [tcp(port, 80, '127.0.0.1')]))).message).toMatch(new RegExp(`^host port ${port}/tcp on 127\\.0\\.0\\.1 is in use on the host by process ${process.pid} `));
      // udp on that port is another socket
      expect(await a.reserve('c1', [{ ...tcp(port), protocol: 'udp' }])).toHaveLength(1);
      expect(a.reservations()).toHaveLength(1);
    } finally {
      await new Promise((r) => server.close(r));
    }
    expect(await hostPortProblem('', port, 'tcp')).toBeNull();
  });

  test('a UDP port bound on the host is refused; an address not the host\'s is refused as such', async () => {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind({ address: '127.0.0.1', port: 0 }, r));
    const port = s.address().port;
    try {
      const err = await rejection(new PortAllocator().reserve('c1', [{ hostIp: '', hostPort: port, containerPort: 53, protocol: 'udp' }]));
      expect(err.message).toMatch(new RegExp(`^host port ${port}/udp on every address is in use on the host by process ${process.pid} `));
    } finally {
      await new Promise<void>((r) => s.close(r));
    }
    const err = await rejection(new PortAllocator().reserve('c1', [tcp(0, 80, '192.0.2.199')]));
    expect(err.message).toMatch(/^host port \d+\/tcp on 192\.0\.2\.199 cannot be bound: 192\.0\.2\.199 is not an address of this host$/);
  });

  test('ephemeral ports are really free: a listener on the first of the range is skipped', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen({ host: '0.0.0.0', port: 0 }, r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const got = await new PortAllocator({ ephemeral: { first: port, last: port + 1 } }).reserve('c1', [tcp(0)]);
      expect(got[0].hostPort).toBe(port + 1);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

test('hostile ExposedPorts keys: mappings on ephemeral ports or a one-line refusal naming the key (seeded)', () => {
  for (let seed = 1; seed <= 2000; seed++) {
    const r = new SeededRandom(seed);
    const keys = Array.from({ length: 1 + r.int(3) }, () => (r.chance(0.3) ? `${r.int(70000)}/${r.pick(['tcp', 'udp', 'UDP', ''])}` : hostileText(r)));
    let out: PortMapping[];
    try {
      out = exposedPortMappings(Object.fromEntries(keys.map((k) => [k, {}])));
    } catch (err) {
      expect((err as TsrunError).code).toBe('invalid-argument');
      expect((err as TsrunError).message).toMatch(/^image config ExposedPorts\[".*"\]: [^\n\r]*$/s);
      expect((err as TsrunError).message.split('\n')).toHaveLength(1);
      continue;
    }
    for (const m of out) {
      expect(m.hostPort).toBe(0);
      expect(m.containerPort >= 1 && m.containerPort <= 65535).toBe(true);
      expect(['tcp', 'udp']).toContain(m.protocol);
    }
  }
});

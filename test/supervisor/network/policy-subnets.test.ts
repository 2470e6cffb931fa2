/**
 * The subnet policy of managed networks: CIDRs parsed with errors naming the field (hostile
 * input too, checked against Node's own IPv4 parser), overlap, the host's routes, the first free
 * subnet of a pool, and gateways.
 */
import * as net from 'net';
import { TsrunError } from '../../../common/errors';
import {
  checkGateway,
  checkSubnet,
  chooseSubnet,
  cidrsOverlap,
  defaultGateway,
  hostIpv4Routes,
  parseIpv4,
  parseIpv4Cidr,
  parseProcNetRoute,
} from '../../../supervisor/network/subnets';
import { SeededRandom } from '../../helpers/seeded-choices';
import { hostileText } from './hostile-text';
import { refusal } from './refusals';


describe('parseIpv4Cidr', () => {
  test('an address with its prefix and its network', () => {
    expect(parseIpv4Cidr('10.1.2.3/24', 'subnet')).toEqual({ address: '10.1.2.3', prefix: 24, network: '10.1.2.0/24' });
    expect(parseIpv4Cidr('0.0.0.0/0', 'subnet')).toEqual({ address: '0.0.0.0', prefix: 0, network: '0.0.0.0/0' });
    expect(parseIpv4Cidr('255.255.255.255/32', 'subnet').network).toBe('255.255.255.255/32');
    expect(parseIpv4Cidr('172.20.255.1/12', 'subnet').network).toBe('172.16.0.0/12');
  });

  test.each([
    ['10.1.2.0', 'is not an IPv4 CIDR'],
    ['10.1.2/24', 'is not an IPv4 address'],
    ['10.1.2.256/24', 'is not an IPv4 address'],
    ['10.01.2.0/24', 'is not an IPv4 address'],
    ['10.1.2.0/33', 'the prefix length must be 0-32'],
    ['10.1.2.0/024', 'the prefix length must be 0-32'],
    ['10.1.2.0/', 'the prefix length must be 0-32'],
    [' 10.1.2.0/24', 'is not an IPv4 address'],
    ['fd00::/64', 'is not an IPv4 address'],
  ])('%j is refused naming the field', (text, why) => {
    const err = refusal(() => parseIpv4Cidr(text, 'req.subnet'));
    expect(err.code).toBe('invalid-argument');
    expect(err.subject).toBe('req.subnet');
    expect(err.message).toMatch(/^req\.subnet: /);
    expect(err.message).toContain(why);
  });

  test('hostile text: a consistent answer or a one-line refusal naming the field (seeded)', () => {
    for (let seed = 1; seed <= 4000; seed++) {
      const r = new SeededRandom(seed);
      const text = r.chance(0.5) ? hostileText(r) : `${hostileText(r)}/${hostileText(r)}`;
      let parsed;
      try {
        parsed = parseIpv4Cidr(text, 'f');
      } catch (err) {
        expect(err).toBeInstanceOf(TsrunError);
        expect((err as TsrunError).code).toBe('invalid-argument');
        expect((err as Error).message.startsWith('f: ')).toBe(true);
        expect((err as Error).message).not.toMatch(/[\n\r]/);
        continue;
      }
      // Accepted: it reads the same as Node's parser reads the address, and its network is canonical.
      expect(net.isIPv4(parsed.address)).toBe(true);
      expect(text).toBe(`${parsed.address}/${parsed.prefix}`);
      expect(parseIpv4Cidr(parsed.network, 'f').network).toBe(parsed.network);
    }
  });
});

test('parseIpv4 agrees with Node on hostile text (seeded)', () => {
  for (let seed = 1; seed <= 4000; seed++) {
    const text = hostileText(new SeededRandom(seed));
    expect({ text, ok: parseIpv4(text) !== null }).toEqual({ text, ok: net.isIPv4(text) });
  }
  for (const text of ['1.2.3.4', '0.0.0.0', '255.255.255.255']) expect(parseIpv4(text)).not.toBeNull();
});

describe('checkSubnet', () => {
  test('a network address with room for a gateway and a container, canonical', () => {
    expect(checkSubnet('10.233.4.0/24', 'subnet')).toBe('10.233.4.0/24');
    expect(checkSubnet('10.233.4.4/30', 'subnet')).toBe('10.233.4.4/30');
  });

  test('host bits, /31, /32 and /0 are refused naming the field', () => {
    expect(refusal(() => checkSubnet('10.233.4.1/24', 'subnet')).message).toBe('subnet: 10.233.4.1/24 has host bits set (its network is 10.233.4.0/24)');
    expect(refusal(() => checkSubnet('10.233.4.0/31', 'subnet')).message).toBe('subnet: 10.233.4.0/31: the prefix length of a network must be 1-30');
    expect(refusal(() => checkSubnet('10.233.4.1/32', 'subnet')).message).toMatch(/^subnet: /);
    expect(refusal(() => checkSubnet('0.0.0.0/0', 'subnet')).code).toBe('invalid-argument');
  });
});

test('cidrsOverlap: containment both ways, equality, neighbours', () => {
  expect(cidrsOverlap('10.233.0.0/16', '10.233.7.0/24')).toBe(true);
  expect(cidrsOverlap('10.233.7.0/24', '10.233.0.0/16')).toBe(true);
  expect(cidrsOverlap('10.233.7.0/24', '10.233.7.0/24')).toBe(true);
  expect(cidrsOverlap('10.233.7.0/24', '10.233.8.0/24')).toBe(false);
  expect(cidrsOverlap('10.233.7.0/25', '10.233.7.128/25')).toBe(false);
  expect(cidrsOverlap('0.0.0.0/0', '192.0.2.1/32')).toBe(true);
  expect(cidrsOverlap('255.255.255.255/32', '255.255.255.254/31')).toBe(true);
});

describe('host routes', () => {
  test('/proc/net/route read: destinations in host byte order, default route left out', () => {
    const text = [
      'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
      'eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0',
      'eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
      'br0\t0000E90A\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0',
      'lo9\t0100007F\t00000000\t0005\t0\t0\t0\tFFFFFFFF\t0\t0\t0',
      'eth0\t000200C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0',
      '',
    ].join('\n');
    expect(parseProcNetRoute(text, true)).toEqual(['192.0.2.0/24', '10.233.0.0/16', '127.0.0.1/32']);
    expect(parseProcNetRoute('Iface Destination Gateway Flags RefCnt Use Metric Mask\neth0 C0000200 0 1 0 0 0 FFFFFF00', false)).toEqual(['192.0.2.0/24']);
  });

  test("this machine's routes are CIDRs, each one `ip route` shows", () => {
    const routes = hostIpv4Routes();
    const shown = require('child_process').execFileSync('ip', ['-4', 'route', 'show', 'table', 'main'], { encoding: 'utf8' }) as string;
    for (const r of routes) {
      expect(parseIpv4Cidr(r, 'route').network).toBe(r);
      // ip prints a /32 without its prefix
      expect(shown).toContain(r.endsWith('/32') ? r.slice(0, -3) : r);
    }
    expect(routes).not.toContain('0.0.0.0/0');
  });
});

describe('chooseSubnet', () => {
  test('the first /24 that clashes with nothing taken', () => {
    expect(chooseSubnet('10.233.0.0/16', 24, [])).toBe('10.233.0.0/24');
    expect(chooseSubnet('10.233.0.0/16', 24, ['10.233.0.0/24', '10.233.1.0/24'])).toBe('10.233.2.0/24');
    // a host route inside the pool, smaller than a /24, still takes its /24
    expect(chooseSubnet('10.233.0.0/16', 24, ['10.233.0.77/32'])).toBe('10.233.1.0/24');
    // a taken CIDR wider than a /24 is skipped at once
    expect(chooseSubnet('10.233.0.0/16', 24, ['10.233.0.0/20', '10.233.16.0/24'])).toBe('10.233.17.0/24');
    // routes elsewhere do not matter
    expect(chooseSubnet('10.233.0.0/16', 24, ['192.0.2.0/24', '10.232.0.0/16'])).toBe('10.233.0.0/24');
  });

  test('a full pool, a pool inside a taken route, and a prefix wider than the pool: none', () => {
    expect(chooseSubnet('10.233.0.0/23', 24, ['10.233.0.0/24', '10.233.1.0/24'])).toBeNull();
    expect(chooseSubnet('10.233.0.0/16', 24, ['10.0.0.0/8'])).toBeNull();
    expect(chooseSubnet('10.233.0.0/16', 15, [])).toBeNull();
  });

  test('a big pool with many taken subnets is answered at once', () => {
    const taken = Array.from({ length: 5000 }, (_, i) => `10.${Math.floor(i / 64)}.${(i % 64) * 4}.0/22`);
    const start = Date.now();
    expect(chooseSubnet('10.0.0.0/8', 30, taken)).toBe('10.78.32.0/30');
    expect(chooseSubnet('0.0.0.0/0', 30, ['0.0.0.0/1'])).toBe('128.0.0.0/30');
    expect(Date.now() - start).toBeLessThan(2000);
  });

  test('what it chooses never overlaps what is taken (seeded)', () => {
    for (let seed = 1; seed <= 100; seed++) {
      const r = new SeededRandom(seed);
      const taken = Array.from({ length: r.int(40) }, () => `10.233.${r.int(256)}.${r.int(256)}/${16 + r.int(17)}`);
      const got = chooseSubnet('10.233.0.0/16', 24, taken);
      if (got === null) {
        // none: every /24 of the pool is hit
        for (let i = 0; i < 256; i++) expect(taken.some((t) => cidrsOverlap(t, `10.233.${i}.0/24`))).toBe(true);
        continue;
      }
      expect(taken.filter((t) => cidrsOverlap(t, got))).toEqual([]);
      const third = Number(got.split('.')[2]);
      for (let i = 0; i < third; i++) expect(taken.some((t) => cidrsOverlap(t, `10.233.${i}.0/24`))).toBe(true);
    }
  });
});

describe('gateways', () => {
  test('the first host address by default', () => {
    expect(defaultGateway('10.233.5.0/24')).toBe('10.233.5.1');
    expect(defaultGateway('10.233.5.8/30')).toBe('10.233.5.9');
  });

  test('a given gateway inside the subnet, not its network or broadcast address', () => {
    expect(() => checkGateway('10.233.5.0/24', '10.233.5.254', 'gateway')).not.toThrow();
    expect(refusal(() => checkGateway('10.233.5.0/24', '10.233.6.1', 'gateway')).message).toBe('gateway: 10.233.6.1 is not inside the subnet 10.233.5.0/24');
    expect(refusal(() => checkGateway('10.233.5.0/24', '10.233.5.0', 'gateway')).message).toBe(
      'gateway: 10.233.5.0 is the network address of 10.233.5.0/24, not a host\'s',
    );
    expect(refusal(() => checkGateway('10.233.5.0/24', '10.233.5.255', 'gateway')).message).toContain('is the broadcast address');
    const bad = refusal(() => checkGateway('10.233.5.0/24', '10.233.5.1/24', 'req.gateway'));
    expect([bad.code, bad.message]).toEqual(['invalid-argument', 'req.gateway: "10.233.5.1/24" is not an IPv4 address']);
  });
});

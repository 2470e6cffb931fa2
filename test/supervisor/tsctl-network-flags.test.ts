/**
 * tsctl's network flags parsed into the API's NetworkOverrides (supervisor/tsctl/network-flags.ts)
 * and `tsctl port`'s argument and lines (supervisor/tsctl/networks.ts): Docker's grammar for -p,
 * --network, --network-alias and the names and DNS flags, and a seeded generator of hostile -p
 * values, each of which must parse into sound mappings or fail in one line naming the flag.
 */
import * as net from 'net';
import { flagHelp, parseFlags } from '../../runtime/cli/args';
import { TsrunError } from '../../common/errors';
import type { ContainerNetworkStatus } from '../../supervisor/api/types';
import { NETWORK_RUN_FLAGS, networkOverrides, parseNetworkFlag, parsePublish } from '../../supervisor/tsctl/network-flags';
import { parsePortFilter, portLines, publishedPorts } from '../../supervisor/tsctl/networks';
import { SeededRandom } from '../helpers/seeded-choices';

const SEED = 0x9e7;
const HOSTILE_CASES = 5000;

/** The overrides `tsctl run ARGV... IMAGE` makes. */
const overridesOf = (argv: string[]) => networkOverrides(parseFlags([...argv, 'busybox'], NETWORK_RUN_FLAGS, 'tsctl run').flags);

/** The message of what `fn` throws (a TsrunError of a usage error), or null when it does not throw. */
function usageError(fn: () => unknown): { message: string; subject: string | undefined } | null {
  try {
    fn();
    return null;
  } catch (err) {
    expect(err).toBeInstanceOf(TsrunError);
    expect((err as TsrunError).code).toBe('invalid-argument');
    return { message: (err as TsrunError).message, subject: (err as TsrunError).subject };
  }
}

const tcp = (hostIp: string, hostPort: number, containerPort: number) => ({ hostIp, hostPort, containerPort, protocol: 'tcp' });

describe('-p/--publish', () => {
  test.each([
    ['80', [tcp('', 0, 80)]],
    ['8080:80', [tcp('', 8080, 80)]],
    ['127.0.0.1:8080:80', [tcp('127.0.0.1', 8080, 80)]],
    ['127.0.0.1::80', [tcp('127.0.0.1', 0, 80)]],
    [':80', [tcp('', 0, 80)]],
    ['0:80', [tcp('', 0, 80)]],
    ['53/udp', [{ hostIp: '', hostPort: 0, containerPort: 53, protocol: 'udp' }]],
    ['5353:53/UDP', [{ hostIp: '', hostPort: 5353, containerPort: 53, protocol: 'udp' }]],
    ['80/tcp', [tcp('', 0, 80)]],
    ['80/', [tcp('', 0, 80)]],
    ['8000-8001:80-81', [tcp('', 8000, 80), tcp('', 8001, 81)]],
    ['10.0.0.1:8000-8002:80-82/tcp', [tcp('10.0.0.1', 8000, 80), tcp('10.0.0.1', 8001, 81), tcp('10.0.0.1', 8002, 82)]],
    ['80-81', [tcp('', 0, 80), tcp('', 0, 81)]],
    ['65535:65535', [tcp('', 65535, 65535)]],
  ])('%s', (spec, mappings) => {
    expect(parsePublish(spec)).toEqual(mappings);
  });

  test.each([
    ['', 'no container port'],
    ['8080:', 'no container port'],
    ['x', 'the container port "x" is not a port'],
    ['0', 'the container port "0" is not a port'],
    ['65536', 'the container port "65536" is not a port'],
    ['81-80', 'the container port "81-80" is not a port'],
    ['70000:80', 'the host port "70000" is not a port'],
    ['0-5:80-85', 'the host port "0-5" is not a port'],
    ['8000-8010:80', 'the host ports (11) and the container ports (1) are not as many'],
    ['8000-8001:80-82', 'the host ports (2) and the container ports (3) are not as many'],
    ['80/sctp', 'protocol "sctp" is not supported: tcp or udp'],
    ['80/tcp/udp', 'expected CONTAINER_PORT[/tcp|udp] after the last colon'],
    ['localhost:80:80', 'the host address "localhost" is not an IPv4 address'],
    ['256.1.1.1:80:80', 'the host address "256.1.1.1" is not an IPv4 address'],
    ['[::1]:80:80', 'IPv6 host addresses are not supported'],
    ['::1:80:80', 'IPv6 host addresses are not supported'],
    ['1.2.3.4:80', 'the host port "1.2.3.4" is not a port'],
  ])('%j is refused: %s', (spec, why) => {
    const e = usageError(() => parsePublish(spec));
    expect(e).not.toBeNull();
    expect(e!.subject).toBe('--publish');
    expect(e!.message).toContain(`--publish ${JSON.stringify(spec)}: ${why}`);
  });

  test(`${HOSTILE_CASES} hostile values (seed ${SEED}): each parses into sound mappings or fails in one line naming the flag`, () => {
    const g = new SeededRandom(SEED);
    const ports = ['', '0', '1', '80', '080', '65535', '65536', '4294967376', '9'.repeat(400), '-1', '1-', '-', '80-81', '81-80', '1-65535', ' 80', '80 ', '0x50', '1e3', '8.0', '\u0668\u0660', '80\n', '\0'];
    const hosts = ['', '127.0.0.1', '0.0.0.0', '255.255.255.255', '256.0.0.1', '01.2.3.4', '[::1]', '::1', '[', 'localhost', '1.2.3.4\n', 'a\0b', 'é'];
    const protocols = ['', '/tcp', '/udp', '/UDP', '/sctp', '/', '//', '/tcp/udp', '/tcp\n', '/\uD800'];
    let parsed = 0;
    for (let i = 0; i < HOSTILE_CASES; i++) {
      const fields = Array.from({ length: g.int(3) }, () => g.pick(g.chance(0.5) ? ports : hosts));
      const spec = g.chance(0.05) ? 'x'.repeat(g.int(100_000)) : [...fields, g.pick(ports)].join(g.chance(0.9) ? ':' : '::') + g.pick(protocols);
      const e = usageError(() => {
        const mappings = parsePublish(spec);
        parsed++;
        // Plain checks, not expect() per mapping: a range makes up to 65535 of them.
        const unsound = mappings.findIndex(
          (m, k) =>
            !Number.isInteger(m.containerPort) ||
            m.containerPort < 1 ||
            m.containerPort > 65535 ||
            !Number.isInteger(m.hostPort) ||
            m.hostPort < 0 ||
            m.hostPort > 65535 ||
            !['tcp', 'udp'].includes(m.protocol) ||
            (m.hostIp !== '' && !net.isIPv4(m.hostIp)) ||
            m.containerPort !== mappings[0].containerPort + k ||
            (m.hostPort !== 0 && m.hostPort !== mappings[0].hostPort + k),
        );
        expect([spec, mappings.length > 0, unsound === -1 ? null : mappings[unsound]]).toEqual([spec, true, null]);
      });
      if (e) {
        expect(e.subject).toBe('--publish');
        expect(e.message).toMatch(/^--publish "/);
        expect(e.message).not.toMatch(/[\n\r\0]/);
        expect(e.message.length).toBeLessThan(400);
      }
    }
    // The generator makes both kinds.
    expect(parsed).toBeGreaterThan(HOSTILE_CASES / 50);
    expect(parsed).toBeLessThan(HOSTILE_CASES);
  });
});

describe('--network and --network-alias', () => {
  test('a name, none, host, container:ID, and the long syntax', () => {
    expect(parseNetworkFlag('web')).toEqual({ network: 'web', aliases: [] });
    expect(parseNetworkFlag('container:abc')).toEqual({ network: 'container:abc', aliases: [] });
    expect(parseNetworkFlag('name=web,alias=db,alias=cache')).toEqual({ network: 'web', aliases: ['db', 'cache'] });
  });

  test.each([
    ['', 'give a network: none, host, bridge, a NAME or container:ID'],
    ['alias=db', 'no name=NETWORK'],
    ['name=a,name=b', 'name= given twice'],
    ['name=web,ip=10.0.0.2', 'unknown field "ip": name= and alias= are supported'],
    ['name=web,alias=', '"alias=" has no value: expected name=NETWORK[,alias=ALIAS...]'],
    ['name=web,alias', '"alias" has no value: expected name=NETWORK[,alias=ALIAS...]'],
  ])('%j is refused: %s', (value, why) => {
    expect(usageError(() => parseNetworkFlag(value))).toEqual({ message: `--network ${JSON.stringify(value)}: ${why}`, subject: '--network' });
  });

  test('repeatable, with --net and --alias for the long names; the aliases go to the first network', () => {
    expect(overridesOf(['--network', 'a', '--net=b', '--network-alias', 'x', '--alias', 'y'])!.networks).toEqual([
      { network: 'a', aliases: ['x', 'y'] },
      { network: 'b', aliases: [] },
    ]);
    // No --network: the aliases are the default network's.
    expect(overridesOf(['--network-alias', 'x'])!.networks).toEqual([{ network: '', aliases: ['x'] }]);
  });

  test('the help names the other long names, the usages in one column', () => {
    const lines = flagHelp(NETWORK_RUN_FLAGS).split('\n');
    expect(lines[0]).toMatch(/^ {3}--network, --net value +none, host, bridge/);
    expect(lines[1]).toMatch(/^ {3}--network-alias, --alias value +another name/);
    expect(new Set(lines.map((l) => l.slice(3).search(/(?<= {2})\S/))).size).toBe(1);
  });

  test('a network given twice, and --network-alias beside alias=, are refused naming the flag', () => {
    expect(usageError(() => overridesOf(['--network', 'a', '--network', 'a']))).toEqual({ message: '--network "a": given twice', subject: '--network' });
    expect(usageError(() => overridesOf(['--network', 'name=a,alias=b', '--network-alias', 'c']))).toEqual({
      message: '--network-alias "c": --network a gives its aliases already (alias=)',
      subject: '--network-alias',
    });
  });
});

describe('the overrides of tsctl run', () => {
  test('no network flag: none (tsrund decides)', () => {
    expect(overridesOf([])).toBeNull();
    expect(overridesOf(['--publish-all=false'])).toBeNull();
  });

  test('every flag in its field', () => {
    expect(
      overridesOf([
        '-p', '8080:80',
        '--publish', '127.0.0.1::53/udp',
        '-P',
        '--hostname', 'web.local',
        '--add-host', 'db:10.0.0.5',
        '--add-host=v6=2001:db8::1',
        '--dns', '10.0.0.53',
        '--dns-search', 'example.test',
        '--dns-option', 'ndots:2',
      ]),
    ).toEqual({
      networks: [],
      ports: [tcp('', 8080, 80), { hostIp: '127.0.0.1', hostPort: 0, containerPort: 53, protocol: 'udp' }],
      publishAll: true,
      hostname: 'web.local',
      addHosts: ['db:10.0.0.5', 'v6:2001:db8::1'],
      dns: ['10.0.0.53'],
      dnsSearch: ['example.test'],
      dnsOptions: ['ndots:2'],
    });
  });

  test.each([
    [['--hostname', 'a b'], '--hostname'],
    [['--hostname', '-web'], '--hostname'],
    [['--hostname', 'x'.repeat(65)], '--hostname'],
    [['--add-host', 'db'], '--add-host'],
    [['--add-host', ':10.0.0.5'], '--add-host'],
    [['--add-host', 'db:nowhere'], '--add-host'],
    [['--dns', 'dns.example'], '--dns'],
    [['--dns-search', 'a b'], '--dns-search'],
    [['--dns-option', ''], '--dns-option'],
    [['-p', '80/sctp'], '--publish'],
  ])('%j is refused in one line naming %s', (argv, flag) => {
    const e = usageError(() => overridesOf(argv));
    expect(e?.subject).toBe(flag);
    expect(e?.message).toMatch(new RegExp(`^${flag} "[^\\n]*": `));
  });
});

describe('tsctl port', () => {
  const status: ContainerNetworkStatus = {
    netnsPath: '/run/tsrund/netns/x',
    endpoints: [],
    hostname: 'x',
    ports: [
      { hostIp: '', hostPort: 32769, containerPort: 443, protocol: 'tcp' },
      { hostIp: '127.0.0.1', hostPort: 5353, containerPort: 53, protocol: 'udp' },
      { hostIp: '', hostPort: 32768, containerPort: 80, protocol: 'tcp' },
      { hostIp: '127.0.0.1', hostPort: 8080, containerPort: 80, protocol: 'tcp' },
    ],
  };

  test('every published port as docker prints it, sorted by container port', () => {
    expect(portLines(publishedPorts(status, null), false)).toEqual([
      '53/udp -> 127.0.0.1:5353',
      '80/tcp -> 0.0.0.0:32768',
      '80/tcp -> 127.0.0.1:8080',
      '443/tcp -> 0.0.0.0:32769',
    ]);
    expect(publishedPorts(null, null)).toEqual([]);
  });

  test('one container port: its host addresses (tcp unless told)', () => {
    expect(portLines(publishedPorts(status, parsePortFilter('80')), true)).toEqual(['0.0.0.0:32768', '127.0.0.1:8080']);
    expect(portLines(publishedPorts(status, parsePortFilter('53/UDP')), true)).toEqual(['127.0.0.1:5353']);
    expect(publishedPorts(status, parsePortFilter('53'))).toEqual([]);
  });

  test.each(['', 'x', '0', '65536', '80/sctp', '80/tcp/udp', '8'.repeat(300)])('PRIVATE_PORT %j is refused in one line', (text) => {
    const e = usageError(() => parsePortFilter(text));
    expect(e?.subject).toBe('PRIVATE_PORT');
    expect(e?.message).toMatch(/^port: PRIVATE_PORT "[^\n]*": expected a port/);
  });
});

/** The /etc files of a networked container (supervisor/network/etc-files.ts), as Docker writes them. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { hostnameFile, hostsFile, parseAddHost, parseResolvConf, resolvConf, writeEtcFiles } from '../../../supervisor/network/etc-files';

const DOCKER_DEFAULTS = [
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::0\tip6-localnet',
  'ff00::0\tip6-mcastprefix',
  'ff02::1\tip6-allnodes',
  'ff02::2\tip6-allrouters',
];

describe('hostsFile', () => {
  test("Docker's lines, the --add-host entries, then the container's address with its hostname", () => {
    const text = hostsFile({
      hostname: 'web',
      addresses: ['10.232.0.5/24'],
      extraHosts: [
        { name: 'db.internal', address: '10.232.9.9' },
        { name: 'v6host', address: 'fd00::1' },
      ],
    });
    expect(text).toBe([...DOCKER_DEFAULTS, '10.232.9.9\tdb.internal', 'fd00::1\tv6host', '10.232.0.5\tweb', ''].join('\n'));
  });

  test('a dotted hostname is listed with its first label too; no address: no line of its own', () => {
    expect(hostsFile({ hostname: 'web.example.com', addresses: ['10.232.0.6'], extraHosts: [] }).split('\n').slice(-2)).toEqual([
      '10.232.0.6\tweb.example.com web',
      '',
    ]);
    expect(hostsFile({ hostname: 'lonely', addresses: [], extraHosts: [] })).toBe(DOCKER_DEFAULTS.join('\n') + '\n');
  });

  test.each([
    ['evil\n10.0.0.1 bank'],
    ['nul\0name'],
    ['tab\tname'],
    ['space name'],
    ['#comment'],
    [''],
    ['a'.repeat(65)],
    ['dots..twice'],
    ['-leading'],
  ])('refuses the hostname %j', (hostname) => {
    expect(() => hostsFile({ hostname, addresses: ['10.232.0.5'], extraHosts: [] })).toThrow(/^hostname: /);
    expect(() => hostnameFile(hostname)).toThrow(/^hostname: /);
  });

  test('refuses hostile extra hosts and addresses, naming the entry', () => {
    expect(() => hostsFile({ hostname: 'h', addresses: [], extraHosts: [{ name: 'x\ny', address: '10.0.0.1' }] })).toThrow(
      'extraHosts[0].name: "x\\ny" is not a host name',
    );
    expect(() => hostsFile({ hostname: 'h', addresses: [], extraHosts: [{ name: 'x', address: '10.0.0.1\n10.0.0.2 evil' }] })).toThrow(
      /^extraHosts\[0\]\.address: .* is not an IP address$/,
    );
    expect(() => hostsFile({ hostname: 'h', addresses: ['not-an-ip'], extraHosts: [] })).toThrow('addresses[0]: "not-an-ip" is not an IP address');
  });
});

test('hostnameFile: the name and a newline', () => {
  expect(hostnameFile('c0ffee123456')).toBe('c0ffee123456\n');
});

describe('resolvConf', () => {
  const HOST = [
    '# written by the host',
    'nameserver 127.0.0.53',
    'nameserver 10.232.200.1',
    'nameserver ::1',
    'nameserver fd00::53',
    'search corp.example lab.example',
    'options edns0 trust-ad ndots:3',
    '',
  ].join('\n');

  test('with the embedded DNS server: that server only, the host search, its options with ndots:0', () => {
    expect(resolvConf({ host: HOST, nameservers: [], search: [], options: [], embeddedDns: '10.232.0.1' })).toBe(
      'search corp.example lab.example\nnameserver 10.232.0.1\noptions edns0 trust-ad ndots:0\n',
    );
  });

  test('with the embedded DNS server and --dns-search/--dns-option: those replace the host’s, a given ndots stays', () => {
    expect(resolvConf({ host: HOST, nameservers: [], search: ['svc.local'], options: ['ndots:2'], embeddedDns: '10.232.0.1' })).toBe(
      'search svc.local\nnameserver 10.232.0.1\noptions ndots:2\n',
    );
    expect(resolvConf({ host: HOST, nameservers: [], search: ['.'], options: ['timeout:1'], embeddedDns: '10.232.0.1' })).toBe(
      'nameserver 10.232.0.1\noptions timeout:1 ndots:0\n',
    );
  });

  test('without it: the host’s file, loopback and IPv6 nameservers removed, everything else kept', () => {
    expect(resolvConf({ host: HOST, nameservers: [], search: [], options: [], embeddedDns: null })).toBe(
      ['# written by the host', 'nameserver 10.232.200.1', 'search corp.example lab.example', 'options edns0 trust-ad ndots:3', ''].join('\n'),
    );
  });

  test("Docker's fallback nameservers when the host has only loopback ones (systemd-resolved)", () => {
    expect(resolvConf({ host: 'nameserver 127.0.0.53\noptions edns0', nameservers: [], search: [], options: [], embeddedDns: null })).toBe(
      'options edns0\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n',
    );
  });

  test('--dns, --dns-search, --dns-option replace those parts of the host’s', () => {
    expect(resolvConf({ host: HOST, nameservers: ['10.232.7.7'], search: [], options: [], embeddedDns: null })).toBe(
      'search corp.example lab.example\nnameserver 10.232.7.7\noptions edns0 trust-ad ndots:3\n',
    );
    expect(resolvConf({ host: HOST, nameservers: [], search: ['a.example'], options: ['rotate'], embeddedDns: null })).toBe(
      'search a.example\nnameserver 10.232.200.1\noptions rotate\n',
    );
  });

  test('parseResolvConf: every nameserver, the last search or domain line, all options', () => {
    expect(parseResolvConf(`${HOST}domain only.example\noptions rotate\n  nameserver   10.232.200.2  # trailing\n`)).toEqual({
      nameservers: ['127.0.0.53', '10.232.200.1', '::1', 'fd00::53', '10.232.200.2'],
      search: ['only.example'],
      options: ['edns0', 'trust-ad', 'ndots:3', 'rotate'],
    });
  });

  test('refuses hostile overrides, naming which', () => {
    const base = { host: HOST, nameservers: [] as string[], search: [] as string[], options: [] as string[], embeddedDns: null };
    expect(() => resolvConf({ ...base, nameservers: ['10.0.0.1\nnameserver 6.6.6.6'] })).toThrow(/^dns\[0\]: .* is not an IP address$/);
    expect(() => resolvConf({ ...base, search: ['ok.example', 'bad\0name'] })).toThrow(/^dnsSearch\[1\]: /);
    expect(() => resolvConf({ ...base, options: ['ndots:1\nnameserver 6.6.6.6'] })).toThrow(/^dnsOption\[0\]: /);
    expect(() => resolvConf({ ...base, embeddedDns: 'x' })).toThrow(/^embeddedDns: /);
  });
});

describe('parseAddHost', () => {
  test.each([
    ['db:10.232.0.9', { name: 'db', address: '10.232.0.9' }],
    ['db=10.232.0.9', { name: 'db', address: '10.232.0.9' }],
    ['v6:fd00::1', { name: 'v6', address: 'fd00::1' }],
    ['v6:[fd00::2]', { name: 'v6', address: 'fd00::2' }],
    ['my_host.example:::1', { name: 'my_host.example', address: '::1' }],
  ])('%s', (entry, parsed) => {
    expect(parseAddHost(entry, 'addHost[0]')).toEqual(parsed);
  });

  test.each([
    ['nocolon', 'addHost[1]: "nocolon" is not NAME:ADDRESS'],
    [':10.0.0.1', 'addHost[1]: ":10.0.0.1" is not NAME:ADDRESS'],
    ['db:10.0.0.300', 'addHost[1]: "10.0.0.300" is not an IP address'],
    ['db:', 'addHost[1]: "" is not an IP address'],
    ['gw:host-gateway', 'addHost[1]: the address host-gateway is not supported: give the host address itself'],
    ['evil\nline:10.0.0.1', 'addHost[1]: "evil\\nline" is not a host name (letters, digits, \'-\', \'_\' and dots between labels)'],
    ['db:10.0.0.1\n1.2.3.4 bank', 'addHost[1]: "10.0.0.1\\n1.2.3.4 bank" is not an IP address'],
  ])('refuses %j in one line', (entry, message) => {
    expect(() => parseAddHost(entry, 'addHost[1]')).toThrow(message);
    try {
      parseAddHost(entry, 'addHost[1]');
    } catch (err) {
      expect((err as { code: string }).code).toBe('invalid-argument');
    }
  });
});

describe('writeEtcFiles', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-etc-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('writes the three files mode 0644 whatever the umask, replacing old ones, leaving no temporary file', () => {
    const target = path.join(dir, 'etc');
    const old = process.umask(0o077);
    try {
      writeEtcFiles(target, { hosts: 'old\n', hostname: 'old\n', resolvConf: 'old\n' });
      writeEtcFiles(target, { hosts: 'h\n', hostname: 'n\n', resolvConf: 'r\n' });
    } finally {
      process.umask(old);
    }
    expect(fs.readdirSync(target).sort()).toEqual(['hostname', 'hosts', 'resolv.conf']);
    expect(fs.readFileSync(path.join(target, 'hosts'), 'utf8')).toBe('h\n');
    expect(fs.readFileSync(path.join(target, 'hostname'), 'utf8')).toBe('n\n');
    expect(fs.readFileSync(path.join(target, 'resolv.conf'), 'utf8')).toBe('r\n');
    for (const f of fs.readdirSync(target)) expect(fs.statSync(path.join(target, f)).mode & 0o777).toBe(0o644);
  });
});

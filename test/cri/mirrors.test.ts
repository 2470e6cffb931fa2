/**
 * Registry mirror configuration: the TOML subset hosts.toml files are read with (errors name
 * file:line), what a hosts.toml says (server, hosts, capabilities), the endpoint order for each
 * kind of request, the --registry-mirror flag; and tsrund refusing to start on a bad one.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { endpointsFor, mirrorConfig, parseHostsFile, parseMirrorFlag } from '../../supervisor/registry/mirrors';
import { parseToml } from '../../supervisor/registry/toml';
import { imageUser } from '../../supervisor/cri/image-view';
import { TSRUND } from '../supervisor/daemon';

describe('the TOML subset', () => {
  test('tables, dotted and quoted keys, strings, booleans, integers, arrays over lines, comments', () => {
    const text = [
      '# a comment',
      'server = "https://registry-1.docker.io" # trailing',
      "lit = 'C:\\path'",
      'esc = "a\\"b\\u00e9\\n"',
      'n = -1_000',
      '[host."http://127.0.0.1:5000"]',
      '  capabilities = [',
      '    "pull", # why',
      '    "resolve",',
      '  ]',
      '  skip_verify = true',
      'a.b = false',
    ].join('\n');
    expect(parseToml(text, 'f.toml').tables).toEqual([{ table: ['host', 'http://127.0.0.1:5000'], line: 6 }]);
    expect(parseToml(text, 'f.toml').entries).toEqual([
      { table: [], key: ['server'], value: 'https://registry-1.docker.io', line: 2 },
      { table: [], key: ['lit'], value: 'C:\\path', line: 3 },
      { table: [], key: ['esc'], value: 'a"bé\n', line: 4 },
      { table: [], key: ['n'], value: -1000, line: 5 },
      { table: ['host', 'http://127.0.0.1:5000'], key: ['capabilities'], value: ['pull', 'resolve'], line: 7 },
      { table: ['host', 'http://127.0.0.1:5000'], key: ['skip_verify'], value: true, line: 11 },
      { table: ['host', 'http://127.0.0.1:5000'], key: ['a', 'b'], value: false, line: 12 },
    ]);
  });

  test.each([
    ['x = "open', 'f.toml:1: a string is not closed on its line'],
    ['x = bare', 'f.toml:1: "bare" is not a string, boolean, integer or array (strings are quoted)'],
    ['\n\nx = 1\nx = 2', 'f.toml:4: x is set twice'],
    ['[a]\n[a]', 'f.toml:2: table [a] is defined twice'],
    ['[[host]]', 'f.toml:1: arrays of tables ([[...]]) are not supported here'],
    ['x = { a = 1 }', 'f.toml:1: inline tables are not supported here: write a [table] instead'],
    ['x = """a"""', 'f.toml:1: multi-line strings are not supported here'],
    ['x = "\\q"', 'f.toml:1: unknown escape \\q in a string'],
    ['x = [1 2]', 'f.toml:1: expected "," or "]" in an array, found "2]"'],
    ['x 1', 'f.toml:1: expected "=" after the key x, found "1"'],
    ['[a', 'f.toml:1: expected "]" to close the table header, found the end of the line'],
    ['x = 1 y', 'f.toml:1: unexpected "y" after the value of x'],
  ])('%j is refused: %s', (text, message) => {
    expect(() => parseToml(text, 'f.toml')).toThrow(message);
  });
});

describe('hosts.toml', () => {
  test('server and hosts in file order, capabilities, skip_verify, override_path', () => {
    const h = parseHostsFile(
      [
        'server = "https://registry.example"',
        '[host."https://m1.example:8443/cache"]',
        'capabilities = ["pull"]',
        'skip_verify = true',
        '[host."http://127.0.0.1:5000/custom/v2"]',
        '[host."http://127.0.0.1:5001/api"]',
        'override_path = true',
      ].join('\n'),
      'h.toml',
    );
    expect(h.server).toEqual({ base: new URL('https://registry.example/v2/'), capabilities: ['pull', 'resolve', 'push'], mirror: false, skipVerify: false });
    expect(h.hosts.map((e) => [e.base.href, e.capabilities, e.skipVerify])).toEqual([
      ['https://m1.example:8443/cache/v2/', ['pull'], true],
      ['http://127.0.0.1:5000/custom/v2/', ['pull', 'resolve'], false],
      ['http://127.0.0.1:5001/api/', ['pull', 'resolve'], false],
    ]);
  });

  test.each([
    ['server = 5', 'h.toml:1: server must be a string URL'],
    ['ca = "/etc/ca.pem"', 'h.toml:1: ca is not a setting tsrund reads'],
    ['[host."http://m"]\ncapabilities = "pull"', 'h.toml:2: capabilities must be an array'],
    ['[host."http://m"]\ncapabilities = ["pull", "fetch"]', 'h.toml:2: capability "fetch" is not one of pull, resolve, push'],
    ['[host."http://m"]\nskip_verify = "yes"', 'h.toml:2: skip_verify must be true or false'],
    ['[host."ftp://m"]', 'h.toml:1: "ftp://m" is not http:// or https://'],
    ['[host."not a url"]', 'h.toml:1: "not a url" is not a URL'],
    ['[host."http://m"]\n[host."http://m".header]\nx = "y"', 'h.toml:3: host.http://m.header.x is not a setting tsrund reads'],
  ])('%j is refused: %s', (text, message) => {
    expect(() => parseHostsFile(text, 'h.toml')).toThrow(message);
  });
});

describe('endpoint order', () => {
  const own = new URL('https://registry.k8s.io/v2/');
  const config = mirrorConfig(
    ['registry.k8s.io=http://127.0.0.1:5000', 'registry.k8s.io=https://second.example'],
    [
      { host: 'registry.k8s.io', file: 'a/hosts.toml', text: '[host."http://127.0.0.1:6000"]\ncapabilities = ["pull"]' },
      { host: '_default', file: 'b/hosts.toml', text: 'server = "http://127.0.0.1:7000"' },
    ],
  );
  const hrefs = (host: string, u: URL, cap: 'pull' | 'resolve') => endpointsFor(config, host, u, cap).map((e) => e.base.href);

  test('flag mirrors, then hosts.toml hosts, then the registry; a pull-only host is not asked to resolve', () => {
    expect(hrefs('registry.k8s.io', own, 'pull')).toEqual(['http://127.0.0.1:5000/v2/', 'https://second.example/v2/', 'http://127.0.0.1:6000/v2/', own.href]);
    expect(hrefs('Registry.K8s.io', own, 'resolve')).toEqual(['http://127.0.0.1:5000/v2/', 'https://second.example/v2/', own.href]);
  });

  test('_default serves a registry with no file of its own; with nothing configured, the registry alone', () => {
    const other = new URL('https://ghcr.io/v2/');
    expect(hrefs('ghcr.io', other, 'resolve')).toEqual(['http://127.0.0.1:7000/v2/']);
    expect(endpointsFor(mirrorConfig([], []), 'ghcr.io', other, 'resolve').map((e) => e.base.href)).toEqual([other.href]);
  });

  test.each([
    ['docker.io', '--registry-mirror docker.io: give HOST=ENDPOINT'],
    ['=http://m', '--registry-mirror =http://m: give HOST=ENDPOINT'],
    ['bad_host=http://m', '--registry-mirror bad_host=http://m: "bad_host" is not a registry host[:port]'],
    ['docker.io=127.0.0.1:5000', '--registry-mirror docker.io=127.0.0.1:5000: "127.0.0.1:5000" is not'],
    ['docker.io=http://u:p@m', '--registry-mirror docker.io=http://u:p@m: "http://u:p@m" may not carry a query, fragment or credentials'],
  ])('--registry-mirror %s is refused', (flag, message) => {
    expect(() => parseMirrorFlag(flag)).toThrow(message);
  });
});

test("an image config's User as the CRI reports it", () => {
  expect(imageUser('')).toEqual({ uid: null, username: '' });
  expect(imageUser('1000')).toEqual({ uid: { value: 1000 }, username: '' });
  expect(imageUser('0:0')).toEqual({ uid: { value: 0 }, username: '' });
  expect(imageUser('nginx:www')).toEqual({ uid: null, username: 'nginx' });
});

describe('tsrund refuses a bad mirror configuration at the start, saying where', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-mirrors-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const start = (args: string[]) =>
    spawnSync(TSRUND, ['--address', path.join(dir, 'a.sock'), '--cri=false', '--root', path.join(dir, 'root'), '--state', path.join(dir, 'state'), ...args], {
      encoding: 'utf8',
      timeout: 30_000,
    });

  test('a hosts.toml with an error: file:line, and tsrund does not start', () => {
    const certs = path.join(dir, 'certs.d');
    fs.mkdirSync(path.join(certs, 'docker.io'), { recursive: true });
    const file = path.join(certs, 'docker.io', 'hosts.toml');
    fs.writeFileSync(file, 'server = "https://registry-1.docker.io"\n\n[host."http://127.0.0.1:5000"]\ncapabilities = ["pull", "resolve"\n');
    const r = start(['--registry-config-dir', certs]);
    expect(r.status).not.toBe(0);
    expect(r.stderr.trim()).toBe(`tsrund: ${file}:4: expected "," or "]" in an array, found the end of the line`);
    expect(fs.existsSync(path.join(dir, 'a.sock'))).toBe(false);
  });

  test('a bad --registry-mirror', () => {
    const r = start(['--registry-mirror', 'docker.io']);
    expect(r.status).not.toBe(0);
    expect(r.stderr.trim()).toBe('tsrund: --registry-mirror docker.io: give HOST=ENDPOINT ("docker.io=http://127.0.0.1:5000")');
  });
});

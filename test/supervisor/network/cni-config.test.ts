/** Network configuration lists: what is accepted, what is refused (one line naming the file and the field), and a directory in libcni's order. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CniConfigError, loadConfDir, parseConfList } from '../../../supervisor/network/cni/config';

const text = (v: unknown) => JSON.stringify(v);
const refusal = (t: string) => {
  try {
    parseConfList(t, 'f.conflist');
  } catch (err) {
    expect(err).toBeInstanceOf(CniConfigError);
    return (err as Error).message;
  }
  throw new Error('accepted');
};

describe('parseConfList', () => {
  test('a list keeps its plugins as written and reads disableCheck / disableGC (booleans, or the strings libcni takes)', () => {
    const raw = { cniVersion: '1.1.0', name: 'net-1_a.b', disableCheck: 'true', plugins: [{ type: 'bridge', bridge: 'x', capabilities: { ips: true } }] };
    expect(parseConfList(text(raw), 'f')).toEqual({
      name: 'net-1_a.b',
      cniVersion: '1.1.0',
      plugins: [{ type: 'bridge', bridge: 'x', capabilities: { ips: true } }],
      disableCheck: true,
      disableGC: false,
      raw,
      file: '',
    });
  });

  test.each([
    ['not JSON', '{', /^f\.conflist: \(top\): not JSON/],
    ['not an object', '[1]', /^f\.conflist: \(top\): must be a JSON object, not \[1\]$/],
    ['no name', text({ cniVersion: '1.0.0', plugins: [{ type: 'a' }] }), /^f\.conflist: name: missing$/],
    ['a bad name', text({ cniVersion: '1.0.0', name: '-x', plugins: [{ type: 'a' }] }), /^f\.conflist: name: "-x" must start with a letter or digit/],
    ['a name with a slash', text({ cniVersion: '1.0.0', name: 'a/b', plugins: [{ type: 'a' }] }), /^f\.conflist: name: "a\/b"/],
    ['no cniVersion', text({ name: 'n', plugins: [{ type: 'a' }] }), /^f\.conflist: cniVersion: missing$/],
    ['a bad cniVersion', text({ cniVersion: 'v1', name: 'n', plugins: [{ type: 'a' }] }), /^f\.conflist: cniVersion: "v1" is not a version like "1\.0\.0"$/],
    ['empty plugins', text({ cniVersion: '1.0.0', name: 'n', plugins: [] }), /^f\.conflist: plugins: must be a non-empty list/],
    ['neither plugins nor type', text({ cniVersion: '1.0.0', name: 'n' }), /^f\.conflist: plugins: missing \(a list needs plugins, a single configuration needs a type\)$/],
    ['a plugin without type', text({ cniVersion: '1.0.0', name: 'n', plugins: [{ type: 'a' }, { bridge: 'b' }] }), /^f\.conflist: plugins\[1\]\.type: missing$/],
    ['a type that is a path', text({ cniVersion: '1.0.0', name: 'n', plugins: [{ type: '../../bin/sh' }] }), /^f\.conflist: plugins\[0\]\.type: "\.\.\/\.\.\/bin\/sh" is not a plugin name$/],
    ['a number type', text({ cniVersion: '1.0.0', name: 'n', plugins: [{ type: 5 }] }), /^f\.conflist: plugins\[0\]\.type: must be a non-empty string, not 5$/],
    ['a capability that is not a boolean', text({ cniVersion: '1.0.0', name: 'n', plugins: [{ type: 'a', capabilities: { portMappings: 1 } }] }), /^f\.conflist: plugins\[0\]\.capabilities\.portMappings: must be true or false, not 1$/],
    ['a bad disableGC', text({ cniVersion: '1.0.0', name: 'n', disableGC: 'yes', plugins: [{ type: 'a' }] }), /^f\.conflist: disableGC: must be true or false, not "yes"$/],
    ['deep nesting', `{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"a","x":${'['.repeat(100)}${']'.repeat(100)}}]}`, /^f\.conflist: \(top\): nested deeper than 64 levels$/],
  ])('refuses %s', (_what, t, message) => {
    expect(refusal(t)).toMatch(message);
  });
});

describe('loadConfDir', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cni-conf-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('reads .conf, .conflist and .json files sorted by name, and reports the bad ones without stopping', () => {
    const write = (name: string, v: unknown) => fs.writeFileSync(path.join(dir, name), typeof v === 'string' ? v : text(v));
    write('20-b.conflist', { cniVersion: '1.0.0', name: 'b', plugins: [{ type: 'bridge' }] });
    write('10-a.conf', { cniVersion: '0.4.0', name: 'a', type: 'bridge' });
    write('30-c.json', { cniVersion: '1.0.0', name: 'c', plugins: [{ type: 'ptp' }] });
    write('15-broken.conflist', '{"name":');
    write('40-ignored.txt', { cniVersion: '1.0.0', name: 'x', plugins: [{ type: 'ptp' }] });
    fs.mkdirSync(path.join(dir, '05-dir.conf'));

    const { lists, errors } = loadConfDir(dir);
    expect(lists.map((l) => [l.name, path.basename(l.file)])).toEqual([
      ['a', '10-a.conf'],
      ['b', '20-b.conflist'],
      ['c', '30-c.json'],
    ]);
    expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(new RegExp(`^${dir}/15-broken\\.conflist: \\(top\\): not JSON`))]);
  });

  test('a missing directory has no lists and no errors', () => {
    expect(loadConfDir(path.join(dir, 'absent'))).toEqual({ lists: [], errors: [] });
  });
});

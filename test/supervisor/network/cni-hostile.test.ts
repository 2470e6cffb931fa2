/**
 * Hostile input, generated from a seed: configuration lists and plugin results mutated at random
 * paths (wrong types, huge strings, deep nesting, NULs, missing fields) or broken as text. Each
 * case must give a result (a list, a result that passed validation) or one line of CniConfigError
 * / CniPluginError; never another error, a crash or a hang.
 *
 *   FUZZ_SEED=<n>|random   the seed (printed; default fixed)
 *   FUZZ_CASES=<n>         how many cases of each kind (default 100)
 */
import * as fs from 'fs';
import * as path from 'path';
import { CniConfigError, parseConfList } from '../../../supervisor/network/cni/config';
import { CniPluginError, CniRuntime } from '../../../supervisor/network/cni/runtime';
import { SeededRandom } from '../../helpers/seeded-choices';
import { fuzzSettings } from '../../fuzz/outcome';
import { FakePlugins } from './cni-fake-plugins';

jest.setTimeout(120_000);

const { SEED, CASES } = fuzzSettings(100);
const MAX_MESSAGE = 1200;

const VALID_LIST = {
  cniVersion: '1.0.0',
  name: 'hostile',
  disableCheck: false,
  plugins: [
    { type: 'echo', capabilities: { portMappings: true }, ipam: { type: 'host-local', ranges: [[{ subnet: '10.231.250.0/24' }]] } },
    { type: 'echo', args: { cni: { labels: ['a'] } } },
  ],
};
const VALID_RESULT = {
  cniVersion: '1.0.0',
  interfaces: [{ name: 'cnh0', mac: '02:00:00:00:00:01' }, { name: 'eth0', sandbox: '/proc/1/ns/net', mtu: 1500 }],
  ips: [{ address: '10.231.250.5/24', gateway: '10.231.250.1', interface: 1 }],
  routes: [{ dst: '0.0.0.0/0', gw: '10.231.250.1' }],
  dns: { nameservers: ['10.231.250.1'], domain: 'x', search: ['a'], options: ['ndots:1'] },
};

const LEGACY_RESULT = {
  cniVersion: '0.2.0',
  ip4: { ip: '10.231.250.6/24', gateway: '10.231.250.1', routes: [{ dst: '0.0.0.0/0' }] },
  ip6: { ip: 'fd00::6/64' },
  dns: { nameservers: ['10.231.250.1'] },
};

function hostileValue(r: SeededRandom): unknown {
  const deep = (n: number) => JSON.parse('['.repeat(n) + ']'.repeat(n)) as unknown;
  const choices: Array<() => unknown> = [
    () => null,
    () => true,
    () => 0,
    () => -1,
    () => 1.5,
    () => 1e308,
    () => '',
    () => 'x'.repeat(1 + r.int(4) * 100_000),
    () => 'a\u0000b',
    () => 'line\nbreak',
    () => '../../bin/sh',
    () => '10.231.0.1',
    () => '10.231.0.1/99',
    () => [],
    () => ({}),
    () => deep(1 + r.int(200)),
    () => [1, 'a', null, {}],
    () => ({ '\u0000': 1, __proto__: 'x' }),
    () => '\u{1F4A5}'.repeat(r.int(50)),
  ];
  return r.pick(choices)();
}

/** Every [parent, key] in `value`, the root's parent being a holder object. */
function slots(value: unknown, holder: Record<string, unknown>): Array<[Record<string, unknown> | unknown[], string | number]> {
  const out: Array<[Record<string, unknown> | unknown[], string | number]> = [[holder, 'root']];
  const walk = (v: unknown) => {
    if (v === null || typeof v !== 'object') return;
    for (const key of Object.keys(v)) {
      const k = Array.isArray(v) ? Number(key) : key;
      out.push([v as never, k]);
      walk((v as Record<string, unknown>)[key]);
    }
  };
  walk(value);
  return out;
}

/** `valid` with one to three hostile changes, as text (sometimes broken as text too). */
function mutate(valid: unknown, r: SeededRandom): string {
  const holder: Record<string, unknown> = { root: structuredClone(valid) };
  for (let n = 1 + r.int(3); n > 0; n--) {
    const all = slots(holder.root, holder);
    const [parent, key] = r.pick(all);
    const p = parent as Record<string | number, unknown>;
    switch (r.int(4)) {
      case 0:
        if (Array.isArray(parent)) parent.splice(key as number, 1);
        else delete p[key];
        break;
      case 1:
        if (!Array.isArray(parent) && typeof p[key] === 'object' && p[key] !== null) (p[key] as Record<string, unknown>)[`extra${r.int(9)}`] = hostileValue(r);
        else p[key] = hostileValue(r);
        break;
      default:
        p[key] = hostileValue(r);
    }
  }
  const text = JSON.stringify(holder.root) ?? '';
  switch (r.int(10)) {
    case 0:
      return text.slice(0, r.int(text.length + 1));
    case 1:
      return `${text.slice(0, 10)}\u0000${text.slice(10)}`;
    default:
      return text;
  }
}

function expectOneLine(err: unknown, kind: typeof CniConfigError | typeof CniPluginError, label: string): void {
  if (!(err instanceof kind)) throw new Error(`${label}: expected a ${kind.name}, got ${err instanceof Error ? err.stack : String(err)}`);
  expect(err.message).not.toMatch(/[\n\r\u0000]/);
  expect(err.message.length).toBeLessThan(MAX_MESSAGE);
}

let fake: FakePlugins;
beforeAll(() => {
  fake = new FakePlugins();
  // The plugin answers ADD with the case's result file, and exits 1 when the file's name says so.
  fake.write('echo', `[ "$CNI_COMMAND" = ADD ] || exit 0\ncat ${fake.root}/result\n[ -e ${fake.root}/fail ] && exit 1\nexit 0`);
  // eslint-disable-next-line no-console
  console.log(`CNI hostile input: FUZZ_SEED=${SEED} FUZZ_CASES=${CASES}`);
});
afterAll(() => fake.remove());

test('hostile configuration lists: a list, or one line of CniConfigError', async () => {
  let accepted = 0;
  const runtime = new CniRuntime({ binDirs: fake.binDirs, cacheDir: fake.cacheDir, timeoutMs: 5000 });
  fs.writeFileSync(path.join(fake.root, 'result'), JSON.stringify(VALID_RESULT));
  for (let i = 0; i < CASES; i++) {
    const r = new SeededRandom(SEED * 7919 + i);
    const text = mutate(VALID_LIST, r);
    let list;
    try {
      list = parseConfList(text, `case${i}.conflist`);
    } catch (err) {
      expectOneLine(err, CniConfigError, `seed ${SEED} case ${i}`);
      continue;
    }
    accepted++;
    // An accepted list must also run: its plugins get it on stdin as it is.
    const result = await runtime.add(list, { containerId: `case${i}`, netns: '/proc/1/ns/net', ifName: 'eth0', capabilityArgs: { portMappings: [] } }).catch((err: unknown) => {
      if (!(err instanceof CniPluginError)) throw new Error(`seed ${SEED} case ${i}: ${String(err)}`);
      return null;
    });
    if (result) await runtime.del(list, { containerId: `case${i}`, netns: '', ifName: 'eth0' });
  }
  expect(accepted).toBeGreaterThan(0);
});

test('hostile plugin results (and error JSON): a checked result, or one line of CniPluginError', async () => {
  const runtime = new CniRuntime({ binDirs: fake.binDirs, cacheDir: fake.cacheDir, timeoutMs: 5000 });
  const failFlag = path.join(fake.root, 'fail');
  let accepted = 0;
  for (let i = 0; i < CASES; i++) {
    const r = new SeededRandom(SEED * 7919 + 100_003 + i);
    // A result that loses its cniVersion is read as the list's.
    const list = parseConfList(JSON.stringify({ cniVersion: r.pick(['0.2.0', '0.4.0', '1.0.0']), name: 'hostile', plugins: [{ type: 'echo' }] }), 'test');
    const failing = r.chance(0.25);
    const text = mutate(failing ? { code: 7, msg: 'bad config', details: 'more' } : r.pick([VALID_RESULT, LEGACY_RESULT]), r);
    fs.writeFileSync(path.join(fake.root, 'result'), text);
    if (failing) fs.writeFileSync(failFlag, '');
    else fs.rmSync(failFlag, { force: true });
    const rt = { containerId: `res${i}`, netns: '/proc/1/ns/net', ifName: 'eth0' };
    try {
      const result = await runtime.add(list, rt);
      expect(failing).toBe(false);
      accepted++;
      expect(runtime.cachedResult(list, rt)).toEqual(result);
      await runtime.del(list, rt);
    } catch (err) {
      expectOneLine(err, CniPluginError, `seed ${SEED} case ${i}`);
    }
  }
  expect(accepted).toBeGreaterThan(0);
});

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { defaultSpec } from './default-config';
import { ConfigError, loadBundleConfig } from './load';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-load-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const writeConfig = (text: string) => fs.writeFileSync(path.join(dir, 'config.json'), text);

function loadError(bundle: string): ConfigError {
  try {
    loadBundleConfig(bundle);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error(`${bundle} loaded`);
}

test('loads a valid bundle and returns its absolute path', () => {
  writeConfig(JSON.stringify(defaultSpec()));
  const relative = path.relative(process.cwd(), dir);
  expect(path.isAbsolute(relative)).toBe(false);
  const { spec, bundle } = loadBundleConfig(relative);
  expect(bundle).toBe(dir);
  expect(spec).toEqual(defaultSpec());
});

test('a bundle that does not exist', () => {
  const missing = path.join(dir, 'nope');
  const err = loadError(missing);
  expect(err.message).toBe(`${missing}: bundle directory does not exist (ENOENT)`);
  expect(err.issues).toEqual([{ path: missing, message: 'bundle directory does not exist (ENOENT)' }]);
});

test('a bundle that is a file', () => {
  const file = path.join(dir, 'file');
  fs.writeFileSync(file, '');
  expect(loadError(file).message).toBe(`${file}: bundle is not a directory (ENOTDIR)`);
});

test('a bundle without config.json', () => {
  expect(loadError(dir).message).toBe(`${path.join(dir, 'config.json')}: the bundle has no config.json (ENOENT)`);
});

test('a config.json that cannot be read says the errno', () => {
  fs.mkdirSync(path.join(dir, 'config.json'));
  expect(loadError(dir).message).toBe(`${path.join(dir, 'config.json')}: cannot read (EISDIR)`);
});

test('invalid JSON says line and column', () => {
  writeConfig('{\n  "ociVersion": "1.3.0",\n  "process": {,\n}\n');
  const err = loadError(dir);
  expect(err.message).toBe(
    `${path.join(dir, 'config.json')}: invalid JSON at line 3, column 15: expected a property name in double quotes, found ","`,
  );
  expect(err.issues).toHaveLength(1);
});

test('one violation: a one-line message with the file and the JSON path', () => {
  const spec = defaultSpec();
  spec.process.cwd = 'tmp';
  writeConfig(JSON.stringify(spec));
  const err = loadError(dir);
  expect(err.message).toBe(`${path.join(dir, 'config.json')}: process.cwd: must be an absolute path (got "tmp")`);
  expect(err.file).toBe(path.join(dir, 'config.json'));
  expect(err.issues).toEqual([{ path: 'process.cwd', message: 'must be an absolute path (got "tmp")' }]);
});

test('several violations: a first line, then one line per issue', () => {
  const spec = defaultSpec();
  spec.process.args = [];
  spec.linux.namespaces.push({ type: 'nett' } as never);
  writeConfig(JSON.stringify(spec));
  expect(loadError(dir).message.split('\n')).toEqual([
    `${path.join(dir, 'config.json')}: 2 problems:`,
    '  linux.namespaces[6].type: unknown namespace "nett" (allowed: pid, network, mount, ipc, uts, user, cgroup, time)',
    '  process.args: must be a non-empty array (the program to run and its arguments)',
  ]);
});

test('many violations: the message lists the first few and counts the rest; `issues` keeps them all', () => {
  const spec = defaultSpec();
  spec.linux.devices = Array.from({ length: 8 }, (_, i) => ({ path: `/dev/d${i}`, type: 'p', fileMode: -1 }));
  writeConfig(JSON.stringify(spec));
  const err = loadError(dir);
  const lines = err.message.split('\n');
  expect(lines[0]).toBe(`${path.join(dir, 'config.json')}: 8 problems:`);
  expect(lines.slice(1, 6)).toEqual([0, 1, 2, 3, 4].map((i) => expect.stringMatching(new RegExp(`^  linux\\.devices\\[${i}\\]\\.fileMode: `))));
  expect(lines.slice(6)).toEqual(['  and 3 more']);
  expect(err.issues).toHaveLength(8);
});

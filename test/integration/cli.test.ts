/** The command line around the lifecycle: spec, --pid-file, logging to a file in json, help, version. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Bundle, makeBundle } from '../helpers/bundle';
import { Tsrun, uniqueId } from '../helpers/tsrun';

let tsrun: Tsrun;
let scratch: string;
const bundles: Bundle[] = [];

beforeEach(() => {
  tsrun = new Tsrun();
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-cli-'));
});
afterEach(() => {
  tsrun.cleanup();
  for (const b of bundles.splice(0)) b.cleanup();
  fs.rmSync(scratch, { recursive: true, force: true });
});

test('spec writes a valid default config.json and refuses to overwrite one', () => {
  expect(tsrun.cmd(['spec', '--bundle', scratch]).code).toBe(0);
  const config = JSON.parse(fs.readFileSync(path.join(scratch, 'config.json'), 'utf8'));
  expect(config).toMatchObject({ ociVersion: '1.3.0', root: { path: 'rootfs', readonly: true }, process: { args: ['sh'] } });
  const again = tsrun.cmd(['spec', '--bundle', scratch]);
  expect(again.code).toBe(1);
  expect(again.stderr).toContain('File config.json exists. Remove it first.');
});

test('--pid-file receives the init pid that state reports', () => {
  const b = makeBundle(['sleep', '60']);
  bundles.push(b);
  const id = tsrun.track(uniqueId('pidfile'));
  const pidFile = path.join(scratch, 'init.pid');
  expect(tsrun.cmd(['create', '--pid-file', pidFile, '-b', b.dir, id]).code).toBe(0);
  expect(Number(fs.readFileSync(pidFile, 'utf8'))).toBe(tsrun.state(id).pid);
});

test('--log with --log-format json records the error for the caller and still says it on stderr', () => {
  const log = path.join(scratch, 'tsrun.log');
  const r = tsrun.cmd(['--log', log, '--log-format', 'json', 'state', 'missing']);
  expect(r.code).toBe(1);
  expect(r.stderr).toBe('container does not exist\n');
  const entry = JSON.parse(fs.readFileSync(log, 'utf8').trim());
  expect(entry).toMatchObject({ level: 'error', msg: 'container does not exist' });
  expect(new Date(entry.time).getTime()).not.toBeNaN();
});

test('a terminal in the config is refused with the field named', () => {
  const b = makeBundle(['true'], (c) => {
    c.process.terminal = true;
  });
  bundles.push(b);
  const r = tsrun.cmd(['run', '-b', b.dir, uniqueId('tty')]);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('process.terminal: terminals are not supported by this tsrun yet');
  expect(tsrun.cmd(['list', '-q']).stdout).toBe('');
});

test('--version and help', () => {
  expect(tsrun.cmd(['--version']).stdout).toMatch(/^tsrun version \S+\nspec: 1\.3\.0\n/);
  const help = tsrun.cmd(['--help']).stdout;
  for (const c of ['create', 'start', 'state', 'kill', 'delete', 'run', 'list', 'spec']) expect(help).toContain(`   ${c}`);
  expect(tsrun.cmd(['delete']).stderr).toContain('msg="tsrun: \\"delete\\" requires exactly 1 argument(s)"');
});

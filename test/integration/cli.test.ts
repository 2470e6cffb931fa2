/** The command line around the lifecycle: spec, --pid-file, logging to a file in json, help, version. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { containerFixtures } from '../helpers/fixtures';
import { uniqueId } from '../helpers/tsrun';

let scratch: string;
const fx = containerFixtures();

beforeEach(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-cli-'));
});
afterEach(() => {
  fs.rmSync(scratch, { recursive: true, force: true });
});

test('spec writes a valid default config.json and refuses to overwrite one', () => {
  expect(fx.tsrun.cmd(['spec', '--bundle', scratch]).code).toBe(0);
  const config = JSON.parse(fs.readFileSync(path.join(scratch, 'config.json'), 'utf8'));
  expect(config).toMatchObject({ ociVersion: '1.3.0', root: { path: 'rootfs', readonly: true }, process: { args: ['sh'] } });
  const again = fx.tsrun.cmd(['spec', '--bundle', scratch]);
  expect(again.code).toBe(1);
  expect(again.stderr).toContain('File config.json exists. Remove it first.');
});

test('--pid-file receives the init pid that state reports', () => {
  const b = fx.bundle(['sleep', '60']);
  const id = fx.tsrun.track(uniqueId('pidfile'));
  const pidFile = path.join(scratch, 'init.pid');
  expect(fx.tsrun.cmd(['create', '--pid-file', pidFile, '-b', b.dir, id]).code).toBe(0);
  expect(Number(fs.readFileSync(pidFile, 'utf8'))).toBe(fx.tsrun.state(id).pid);
});

test('--log with --log-format json records the error for the caller and still says it on stderr', () => {
  const log = path.join(scratch, 'tsrun.log');
  const r = fx.tsrun.cmd(['--log', log, '--log-format', 'json', 'state', 'missing']);
  expect(r.code).toBe(1);
  expect(r.stderr).toBe('container does not exist\n');
  const entry = JSON.parse(fs.readFileSync(log, 'utf8').trim());
  expect(entry).toMatchObject({ level: 'error', msg: 'container does not exist' });
  expect(new Date(entry.time).getTime()).not.toBeNaN();
});

test('--version and help', () => {
  expect(fx.tsrun.cmd(['--version']).stdout).toMatch(/^tsrun version \S+\nspec: 1\.3\.0\n/);
  const help = fx.tsrun.cmd(['--help']).stdout;
  for (const c of ['create', 'start', 'state', 'kill', 'delete', 'run', 'list', 'spec']) expect(help).toContain(`   ${c}`);
  expect(fx.tsrun.cmd(['delete']).stderr).toContain('msg="tsrun: \\"delete\\" requires exactly 1 argument(s)"');
});

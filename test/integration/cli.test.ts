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

test('TSRUN_TRACE=FILE appends a record of each command, phase by phase; unset, nothing is written', () => {
  const b = fx.bundle(['true']);
  const trace = path.join(scratch, 'trace.jsonl');
  const untraced = fx.tsrun.track(uniqueId('untraced'));
  expect(fx.tsrun.cmd(['run', '-b', b.dir, untraced]).code).toBe(0);
  expect(fs.existsSync(trace)).toBe(false);
  const id = fx.tsrun.track(uniqueId('traced'));
  const env = { ...process.env, TSRUN_TRACE: trace };
  expect(fx.tsrun.cmd(['run', '-b', b.dir, id], { env }).code).toBe(0);
  expect(fx.tsrun.cmd(['--version'], { env }).code).toBe(0);
  const records = fs.readFileSync(trace, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
  expect(records.map((r) => r.command)).toEqual(['run', '']);
  const [run] = records;
  expect(run.node.environment).toBeGreaterThan(0);
  expect(run.main).toBeGreaterThanOrEqual(run.node.environment);
  const names: string[] = run.spans.map((s: { name: string }) => s.name);
  for (const phase of ['flags', 'run', 'create', 'config load + validate', 'cgroups', 'plan build', 'encode', 'spawn (clone to init ready)', 'start', 'release (fifo to exec)', 'wait', 'delete', 'cgroups remove', 'state remove']) {
    expect(names).toContain(phase);
  }
  // A create writes (and fsyncs) its state three times: creating, its cgroups made, created.
  expect(names.filter((n) => n === 'state write')).toHaveLength(3);
  const span = (name: string) => run.spans.find((s: { name: string }) => s.name === name);
  for (const inner of ['create', 'start', 'delete']) {
    expect(span(inner).start).toBeGreaterThanOrEqual(span('run').start);
    expect(span(inner).end).toBeLessThanOrEqual(span('run').end);
  }
  expect(run.exit).toBeGreaterThanOrEqual(span('run').end);
});

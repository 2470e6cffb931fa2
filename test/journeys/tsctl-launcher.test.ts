/**
 * bin/tsctl and what `npm run build` makes for it: the bundle dist/tsctl.js and its startup
 * snapshot dist/tsctl.blob (scripts/build-bundle.js, scripts/build-snapshot.js). The snapshot is
 * used while the node on PATH built it and no GRPC_* variable asks grpc-js for something it reads
 * as it loads; otherwise the bundle runs. Either way a call reaches a real tsrund. What Node was
 * started with is read by a module preloaded through NODE_OPTIONS, as a user could.
 */
import * as fs from 'fs';
import * as path from 'path';
import { LaunchProbe } from '../helpers/launch-probe';
import { TSCTL } from '../supervisor/daemon';
import { useJourney } from './journey';

jest.setTimeout(60_000);

const REPO = path.dirname(path.dirname(TSCTL));
const j = useJourney('launcher');
const launch = new LaunchProbe();
const start = (launcher: string, args: string[], env?: Record<string, string>) => launch.start(launcher, args, env);
afterAll(() => launch.cleanup());

const version = () => ['--address', j.daemon.address, 'version'];
const SERVER_VERSION = /^Client:\n  Version: .+\nServer:\n  Version: .+\n  API: tsrun.supervisor.v1\n/;

test('bin/tsctl starts Node from the snapshot npm run build made, and a call reaches tsrund', () => {
  const r = start(TSCTL, version());
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(SERVER_VERSION);
  expect(r.execArgv).toHaveLength(2);
  expect(r.execArgv[0]).toBe('--snapshot-blob');
  expect(path.resolve(r.execArgv[1])).toBe(path.join(REPO, 'dist/tsctl.blob'));
  expect(r.modules).not.toContain(path.join(REPO, 'dist/tsctl.js'));
});

test("with grpc-js's variables set the bundle runs, and they take effect", () => {
  const r = start(TSCTL, version(), { GRPC_VERBOSITY: 'DEBUG', GRPC_TRACE: 'channel' });
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(SERVER_VERSION);
  expect(r.execArgv).toEqual([]);
  expect(r.modules).toContain(path.join(REPO, 'dist/tsctl.js'));
  expect(r.stderr).toMatch(/ \| channel \| /);
});

test('a snapshot another node binary made is left aside: the bundle runs', () => {
  const dir = path.join(launch.dir, 'other-node');
  for (const f of ['bin/tsctl', 'dist/tsctl.js', 'dist/tsctl.blob']) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.copyFileSync(path.join(REPO, f), path.join(dir, f));
  }
  fs.chmodSync(path.join(dir, 'bin/tsctl'), 0o755);
  const blob = path.join(dir, 'dist/tsctl.blob');
  const later = new Date(fs.statSync(path.join(REPO, 'dist/tsctl.blob')).mtimeMs + 5000);
  fs.utimesSync(blob, later, later);
  const r = start(path.join(dir, 'bin/tsctl'), ['--help']);
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^Usage: tsctl /);
  expect(r.execArgv).toEqual([]);
  expect(r.modules).toContain(path.join(dir, 'dist/tsctl.js'));
});

test("tsctl's arguments reach tsctl, not Node (Node 20 reads an --env-file anywhere before a --)", () => {
  for (const env of [{}, { GRPC_TRACE: '' }] as Record<string, string>[]) {
    const r = start(TSCTL, ['--address', j.daemon.address, 'run', '--env-file', '/nonexistent', j.image, 'true'], env);
    // tsctl's error (with or without an --env-file flag of its own), not node's "node: /nonexistent: not found".
    expect(r.stderr).toMatch(/^tsctl/);
    expect(r.status).not.toBe(9);
  }
});

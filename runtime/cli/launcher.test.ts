/**
 * bin/tsrun and the startup snapshot `npm run build` makes (dist/tsrun.blob): used when the node on
 * PATH built it, left aside otherwise, and correct when the checkout moved. What Node was started
 * with is read by a module preloaded through NODE_OPTIONS, as a user could.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { addonPath } from '../native/binding';
import { LaunchProbe } from '../../test/helpers/launch-probe';
import { TSRUN } from '../../test/helpers/tsrun';
import { warmUp } from './warm-up';

const REPO = path.dirname(path.dirname(TSRUN));
const launch = new LaunchProbe();
const tmp = launch.dir;
const start = (launcher: string, args: string[]) => launch.start(launcher, args);

afterAll(() => launch.cleanup());

/** A copy of the launcher, the bundle, its snapshot and the addon in a directory of their own. */
function copyCheckout(name: string): string {
  const dir = path.join(tmp, name);
  const files = ['bin/tsrun', 'dist/tsrun.js', 'dist/tsrun.blob', path.relative(REPO, addonPath)];
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.copyFileSync(path.join(REPO, f), path.join(dir, f));
  }
  fs.chmodSync(path.join(dir, 'bin/tsrun'), 0o755);
  return dir;
}

/** Give `file` the modification time of the node on PATH, to the nanosecond, as the build does. */
function touchAsNode(file: string): void {
  const node = spawnSync('sh', ['-c', 'command -v node'], { encoding: 'utf8' }).stdout.trim();
  expect(spawnSync('touch', ['-r', node, file]).status).toBe(0);
}

test('bin/tsrun starts Node from the snapshot that npm run build made', () => {
  const r = start(TSRUN, ['--version']);
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^tsrun version /);
  // With the V8 flags it was built with (scripts/build-snapshot.js).
  expect(r.execArgv).toHaveLength(4);
  expect(r.execArgv.slice(0, 3)).toEqual(['--jitless', '--no-expose-wasm', '--snapshot-blob']);
  expect(path.resolve(r.execArgv[3])).toBe(path.join(REPO, 'dist/tsrun.blob'));
});

test('a snapshot another node binary made is left aside: the bundle runs', () => {
  const dir = copyCheckout('other-node');
  const blob = path.join(dir, 'dist/tsrun.blob');
  const later = new Date(fs.statSync(blob).mtimeMs + 5000);
  fs.utimesSync(blob, later, later);
  const r = start(path.join(dir, 'bin/tsrun'), ['--version']);
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^tsrun version /);
  expect(r.execArgv).toEqual([]);
  expect(r.modules).toContain(path.join(dir, 'dist/tsrun.js'));
});

test('a snapshot moved with its checkout runs the bundle beside the launcher, which finds the addon there', () => {
  const dir = copyCheckout('moved');
  touchAsNode(path.join(dir, 'dist/tsrun.blob'));
  const r = start(path.join(dir, 'bin/tsrun'), ['--version']);
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^tsrun version /);
  expect(r.execArgv).toContain('--snapshot-blob');
  expect(r.modules).toContain(path.join(dir, 'dist/tsrun.js'));
  // Without the addon beside it, the moved bundle refuses to start rather than use the old one.
  fs.rmSync(path.join(dir, path.relative(REPO, addonPath)));
  const without = spawnSync(path.join(dir, 'bin/tsrun'), ['--version'], { encoding: 'utf8', env: { PATH: process.env.PATH } });
  expect(without.status).not.toBe(0);
  expect(without.stderr).toContain(`not found above ${path.join(dir, 'dist')}`);
});

test('the warm-up the snapshot runs at build time passes on the default config', () => {
  expect(() => warmUp()).not.toThrow();
});

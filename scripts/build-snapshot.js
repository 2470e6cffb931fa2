#!/usr/bin/env node
/**
 * Builds tsrun's V8 startup snapshot, dist/tsrun.blob, from the bundle (dist/tsrun.js): the heap
 * after every module of the CLI was compiled and evaluated, so that a call starts from there
 * instead of compiling and evaluating some 700 KB of JavaScript (the gain is measured in
 * docs/benchmarks.md). bin/tsrun runs `node --snapshot-blob dist/tsrun.blob`.
 *
 * Built here, at build time, into dist/: the same trust as the bundle itself, never written by a
 * tsrun call. Node refuses a snapshot that another Node version built (it exits 14), so the blob
 * takes the modification time of the node binary that built it, and bin/tsrun uses it only while
 * the node it runs has that same time; otherwise it runs the bundle. A failed build leaves no blob.
 */
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const dist = path.join(__dirname, '..', 'dist');
const bundle = path.join(dist, 'tsrun.js');
const blob = path.join(dist, 'tsrun.blob');

fs.rmSync(blob, { force: true });
const built = spawnSync(process.execPath, ['--snapshot-blob', blob, '--build-snapshot', bundle], { stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
// Node warns of each built-in module it has not verified in a user snapshot (child_process,
// module, tty); the integration tests run every command from the snapshot.
const unverified = /not yet fully verified whether built-in module|It may still work in some cases|certain run-time states may be out-of-sync|To request support for the module|--trace-warnings/;
const stderr = built.stderr.split('\n').filter((line) => line && !unverified.test(line));
if (built.status !== 0 || !fs.existsSync(blob)) {
  fs.rmSync(blob, { force: true });
  process.stderr.write(`${stderr.join('\n')}\nbuild-snapshot: no dist/tsrun.blob (bin/tsrun runs dist/tsrun.js)\n`);
  process.exit(1);
}
if (stderr.length > 0) process.stderr.write(stderr.join('\n') + '\n');
// touch copies the time to the nanosecond, as the launcher's test compares it.
if (spawnSync('touch', ['-r', process.execPath, blob]).status !== 0) {
  fs.rmSync(blob, { force: true });
  process.stderr.write('build-snapshot: touch -r failed: no dist/tsrun.blob\n');
  process.exit(1);
}

#!/usr/bin/env node
/**
 * Builds the V8 startup snapshots of the bundles (scripts/build-bundle.js): dist/tsrun.blob and
 * dist/tsctl.blob, the heap after the CLI's modules were compiled and evaluated, so that a call
 * starts from there instead of compiling and evaluating the bundle (the gains are measured in
 * docs/benchmarks.md and docs/benchmarks-tsctl.md). bin/tsrun and bin/tsctl run
 * `node --snapshot-blob dist/<cli>.blob`.
 *
 * Built here, at build time, into dist/: the same trust as the bundle itself, never written by a
 * call. Node refuses a snapshot that another Node version built (it exits 14), so each blob
 * takes the modification time of the node binary that built it, and the launcher uses it only
 * while the node it runs has that same time; otherwise it runs the bundle. A failed build leaves
 * no blob. Built with no environment but PATH: what a module reads from the environment as it
 * loads is kept in the snapshot (bin/tsctl runs the bundle when grpc-js's variables are set).
 */
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

/**
 * The V8 flags each snapshot is built with, and so must be run with (V8 refuses a snapshot built
 * with other flags): the launchers pass the same. tsrun: without the JIT (and so without
 * WebAssembly, which tsrun does not use) a tsrun call peaks 5.3 MiB lower, at the same CPU time:
 * a command runs for milliseconds, too short for compiled code to pay for itself. tsctl keeps the
 * JIT: `cp`, `logs` and `attach` move a container's data through it.
 */
const SNAPSHOTS = [
  { name: 'tsrun', v8Flags: ['--jitless', '--no-expose-wasm'] },
  { name: 'tsctl', v8Flags: [] },
];

const dist = path.join(__dirname, '..', 'dist');
// Node warns of each built-in module it has not verified in a user snapshot (child_process,
// module, tty, readline); the integration tests run every command from the snapshots.
const unverified = /not yet fully verified whether built-in module|It may still work in some cases|certain run-time states may be out-of-sync|To request support for the module|--trace-warnings/;

/** Build dist/<name>.blob from dist/<name>.js; false (and no blob) when that fails. */
function buildSnapshot({ name, v8Flags }) {
  const bundle = path.join(dist, `${name}.js`);
  const blob = path.join(dist, `${name}.blob`);
  fs.rmSync(blob, { force: true });
  const built = spawnSync(process.execPath, [...v8Flags, '--snapshot-blob', blob, '--build-snapshot', bundle], {
    stdio: ['ignore', 'inherit', 'pipe'],
    encoding: 'utf8',
    env: { PATH: process.env.PATH },
  });
  const stderr = built.stderr.split('\n').filter((line) => line && !unverified.test(line));
  if (built.status !== 0 || !fs.existsSync(blob)) {
    fs.rmSync(blob, { force: true });
    process.stderr.write(`${stderr.join('\n')}\nbuild-snapshot: no dist/${name}.blob (bin/${name} runs dist/${name}.js)\n`);
    return false;
  }
  if (stderr.length > 0) process.stderr.write(stderr.join('\n') + '\n');
  // touch copies the time to the nanosecond, as the launcher's test compares it.
  if (spawnSync('touch', ['-r', process.execPath, blob]).status !== 0) {
    fs.rmSync(blob, { force: true });
    process.stderr.write(`build-snapshot: touch -r failed: no dist/${name}.blob\n`);
    return false;
  }
  return true;
}

const built = SNAPSHOTS.map(buildSnapshot);
if (!built.every(Boolean)) process.exit(1);

#!/usr/bin/env node
/**
 * Bundles the tsrun CLI as tsc compiled it (dist/runtime/cli/main.js and everything it requires,
 * ajv's runtime included) into one file, dist/tsrun.js, which bin/tsrun runs: Node then reads and
 * compiles one file instead of resolving and loading some 190 modules (the gain is measured in
 * docs/benchmarks.md). Not minified: stack traces stay readable, and minifying measured no
 * faster. The native addon stays a file of its own, found from dist/ by runtime/native/binding.ts.
 * scripts/build-snapshot.js then makes a startup snapshot of the bundle, dist/tsrun.blob.
 */
const esbuild = require('esbuild');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');

// The snapshot of the bundle about to be replaced; scripts/build-snapshot.js makes the new one.
fs.rmSync(path.join(root, 'dist/tsrun.blob'), { force: true });

esbuild
  .build({
    // main.js required from an entry of its own, so that no top-level code of the bundle uses
    // `exports`, which a startup snapshot's entry script does not have (scripts/build-snapshot.js).
    stdin: { contents: 'require("./runtime/cli/main.js");', resolveDir: path.join(root, 'dist'), sourcefile: 'tsrun-entry.js' },
    outfile: path.join(root, 'dist/tsrun.js'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
  })
  .catch(() => process.exit(1));

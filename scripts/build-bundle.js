#!/usr/bin/env node
/**
 * Bundles the CLIs as tsc compiled them into one file each, which their launchers run: Node then
 * reads and compiles one file instead of resolving and loading some 190 modules (the gain is
 * measured in docs/benchmarks.md and docs/benchmarks-tsctl.md). Not minified: stack traces stay
 * readable, and minifying measured no faster. scripts/build-snapshot.js then makes a startup
 * snapshot of each bundle.
 *
 * - dist/tsrun.js: dist/runtime/cli/main.js and everything it requires, ajv's runtime included.
 *   The native addon stays a file of its own, found from dist/ by runtime/native/binding.ts.
 * - dist/tsctl.js: dist/supervisor/tsctl/main.js, grpc-js and protobufjs included.
 */
const esbuild = require('esbuild');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const dist = path.join(root, 'dist');

/**
 * Built-in modules that Node 20 cannot keep in a startup snapshot (their bindings hold native
 * state: the snapshot build aborts), which grpc-js requires as it loads: in tsctl's bundle each is
 * a stand-in that loads the real module on first use, when a call connects. `constants` (numbers
 * grpc-js reads as it loads) is a copy taken here, from the node that builds.
 */
const LAZY_BUILTINS = ['http', 'https', 'http2', 'tls'];
const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(build) {
    build.onResolve({ filter: new RegExp(`^(${LAZY_BUILTINS.join('|')})$`) }, (args) => ({ path: args.path, namespace: 'lazy-builtin' }));
    build.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => {
      const constants = require(args.path).constants;
      const load = `real ??= require(${JSON.stringify(`node:${args.path}`)})`;
      return {
        loader: 'js',
        contents: [
          `const constants = ${constants === undefined ? 'undefined' : JSON.stringify(constants)};`,
          'let real = null;',
          'module.exports = new Proxy({}, {',
          `  get: (_t, key) => (key === 'constants' && constants !== undefined ? constants : (${load})[key]),`,
          `  has: (_t, key) => key in (${load}),`,
          // For a copy of its keys (esbuild's and tsc's `import * as`): the real module's, as plain properties.
          `  ownKeys: () => Reflect.ownKeys(${load}),`,
          `  getOwnPropertyDescriptor: (_t, key) => (key in (${load}) ? { value: real[key], writable: true, enumerable: true, configurable: true } : undefined),`,
          '});',
        ].join('\n'),
      };
    });
  },
};

/**
 * tsctl's entry: building the snapshot evaluates every module of tsctl but main.js (whose body
 * runs the command line) and warms the client up (supervisor/client/warm-up.ts); the snapshot's
 * main function then evaluates main.js. Without a snapshot, main.js alone.
 */
function tsctlEntry() {
  // The sources name the modules: dist/ may still hold one whose source was removed.
  const modules = fs
    .readdirSync(path.join(root, 'supervisor/tsctl'))
    .filter((f) => f.endsWith('.ts') && f !== 'main.ts' && !f.endsWith('.test.ts') && !f.endsWith('.d.ts'))
    .map((f) => `  require(${JSON.stringify(`./supervisor/tsctl/${f.replace(/\.ts$/, '.js')}`)});`);
  return [
    "const { startupSnapshot } = require('v8');",
    'if (startupSnapshot.isBuildingSnapshot()) {',
    ...modules,
    "  require('./supervisor/client/warm-up.js').warmUp();",
    "  startupSnapshot.setDeserializeMainFunction(() => require('./supervisor/tsctl/main.js'));",
    '} else {',
    "  require('./supervisor/tsctl/main.js');",
    '}',
  ].join('\n');
}

// The snapshots of the bundles about to be replaced; scripts/build-snapshot.js makes the new ones.
for (const blob of ['tsrun.blob', 'tsctl.blob']) fs.rmSync(path.join(dist, blob), { force: true });

const common = { bundle: true, platform: 'node', target: 'node20', logLevel: 'warning' };
Promise.all([
  esbuild.build({
    ...common,
    // main.js required from an entry of its own, so that no top-level code of the bundle uses
    // `exports`, which a startup snapshot's entry script does not have (scripts/build-snapshot.js).
    stdin: { contents: 'require("./runtime/cli/main.js");', resolveDir: dist, sourcefile: 'tsrun-entry.js' },
    outfile: path.join(dist, 'tsrun.js'),
  }),
  esbuild.build({
    ...common,
    stdin: { contents: tsctlEntry(), resolveDir: dist, sourcefile: 'tsctl-entry.js' },
    outfile: path.join(dist, 'tsctl.js'),
    plugins: [lazyBuiltins],
  }),
]).catch(() => process.exit(1));

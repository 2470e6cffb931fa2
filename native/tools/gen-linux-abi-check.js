#!/usr/bin/env node
/**
 * Generates native/generated/linux_abi_check.c: one _Static_assert per Linux ABI value the plan
 * is written in (runtime/plan/linux.ts, runtime/plan/mount-options.ts), against the headers the
 * executor compiles with. CMakeLists.txt builds it into the executor, so a wrong copy in
 * TypeScript fails the native build.
 *
 *   node native/tools/gen-linux-abi-check.js          write the generated file
 *   node native/tools/gen-linux-abi-check.js --check  exit 1 when the committed file differs
 *                                                     from what the TypeScript tables produce
 */
'use strict';
const fs = require('fs');
const path = require('path');
const ts = require('typescript');

const ROOT = path.resolve(__dirname, '../..');
const OUT = path.join(ROOT, 'native/generated/linux_abi_check.c');
const SOURCES = ['runtime/plan/linux.ts', 'runtime/plan/mount-options.ts'];

/** The headers the values come from, in the order the executor includes them (mount.c). */
const HEADERS = [
  'linux/mount.h',
  'sys/mount.h',
  'sched.h',
  'linux/sched.h',
  'linux/capability.h',
  'sys/resource.h',
  'sys/stat.h',
  'sys/personality.h',
  'linux/ioprio.h',
  'linux/mempolicy.h',
];

/** The C name of a table's entry where it is not the TypeScript one. */
const C_NAMES = { PERSONALITIES: (name) => `PER_${name}` };

/** Exports that are no header's constant, or newer than the headers of the build. */
const UNCHECKED = {
  MAX_NUMA_NODES: "the kernel's CONFIG_NODES_SHIFT, no header's",
  MPOL_WEIGHTED_INTERLEAVE: 'Linux 6.9: newer than the headers of Debian 12',
};

/** Run a TypeScript module (imports of its siblings only) and return its exports. */
function load(file, cache = new Map()) {
  const full = path.resolve(ROOT, file.endsWith('.ts') ? file : `${file}.ts`);
  if (cache.has(full)) return cache.get(full);
  const { outputText } = ts.transpileModule(fs.readFileSync(full, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
  });
  const module = { exports: {} };
  cache.set(full, module.exports);
  const requireSibling = (spec) => {
    if (!spec.startsWith('./')) throw new Error(`${file}: only sibling imports can be checked, not ${spec}`);
    return load(path.relative(ROOT, path.join(path.dirname(full), spec)), cache);
  };
  new Function('exports', 'require', 'module', outputText)(module.exports, requireSibling, module);
  return module.exports;
}

/** [C name, value] of every checked constant of the modules, in the order they export them. */
function constants() {
  const out = [];
  const seen = new Set();
  for (const file of SOURCES) {
    for (const [name, value] of Object.entries(load(file))) {
      if (seen.has(name) || Object.hasOwn(UNCHECKED, name)) continue;
      seen.add(name);
      if (typeof value === 'number' || typeof value === 'string') out.push([name, value]);
      else if (value && typeof value === 'object') {
        const cName = C_NAMES[name] ?? ((n) => n);
        for (const [entry, v] of Object.entries(value)) if (!Object.hasOwn(UNCHECKED, entry)) out.push([cName(entry), v]);
      }
    }
  }
  return out;
}

/** A C literal of `value`: numbers as they are, decimal strings (RLIM_INFINITY) unsigned 64-bit. */
function literal(name, value) {
  if (typeof value === 'number' && Number.isInteger(value)) return value < 0 ? `(${value})` : `${value}u`;
  if (typeof value === 'string' && /^\d+$/.test(value)) return `${value}ull`;
  throw new Error(`${name}: ${JSON.stringify(value)} is no integer`);
}

/** The C name of a string constant: RLIM_INFINITY is RLIM64_INFINITY for the 64-bit values the plan carries. */
const C_CONSTANT = { RLIM_INFINITY: 'RLIM64_INFINITY' };

function render() {
  const lines = [
    '/* Generated from runtime/plan/linux.ts and runtime/plan/mount-options.ts by',
    ' * native/tools/gen-linux-abi-check.js: do not edit. Change the TypeScript and run `npm run gen:types`.',
    ' * Every Linux ABI value the plan is written in, checked against the headers the executor compiles with. */',
    ...HEADERS.map((h) => `#include <${h}>`),
    '',
  ];
  for (const [name, value] of constants()) {
    const c = C_CONSTANT[name] ?? name;
    lines.push(`_Static_assert(${c} == ${literal(name, value)}, "${name} in runtime/plan differs from the headers");`);
  }
  return `${lines.join('\n')}\n`;
}

const code = render();
if (process.argv.includes('--check')) {
  const committed = fs.existsSync(OUT) ? fs.readFileSync(OUT, 'utf8') : '';
  if (committed !== code) {
    console.error(`${path.relative(ROOT, OUT)} is stale: run npm run gen:types`);
    process.exit(1);
  }
} else {
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  fs.writeFileSync(OUT, code);
}

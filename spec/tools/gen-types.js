#!/usr/bin/env node
/**
 * Generates spec/generated/*.ts from the JSON Schemas in spec/schema: the types, with
 * json-schema-to-typescript, and the validators, as ajv standalone code (compiling the schemas
 * with ajv at every tsrun start would cost more than the rest of a `tsrun create`).
 *
 *   node spec/tools/gen-types.js          write the generated files
 *   node spec/tools/gen-types.js --check  exit 1 when a committed file differs from what the
 *                                         schemas produce (CI)
 *   --out DIR                             use DIR instead of spec/generated
 */
'use strict';
const fs = require('fs');
const path = require('path');
const { compileFromFile } = require('json-schema-to-typescript');
const Ajv = require('ajv').default;
const standaloneCode = require('ajv/dist/standalone').default;

const SPEC_DIR = path.resolve(__dirname, '..');
const SCHEMA_DIR = path.join(SPEC_DIR, 'schema');
const DEFAULT_OUT_DIR = path.join(SPEC_DIR, 'generated');

/** Root schema -> generated module. Definitions they share are emitted into each module. */
const TARGETS = [
  { schema: 'config.schema.json', out: 'config.ts' },
  { schema: 'state.schema.json', out: 'state.ts' },
];

const BANNER = (schema) =>
  `/* Generated from spec/schema/${schema} by spec/tools/gen-types.js (json-schema-to-typescript): do not edit.\n` +
  ' * Change the schema and run `npm run gen:types`. */';

async function render({ schema, out }, outDir) {
  const code = await compileFromFile(path.join(SCHEMA_DIR, schema), {
    cwd: SCHEMA_DIR,
    bannerComment: BANNER(schema),
    // The schemas allow unknown properties (runtimes must ignore them); the types leave them out
    // so that a misspelt field is a compile error in our own code.
    additionalProperties: false,
    style: { singleQuote: true, printWidth: 120 },
  });
  return { file: path.join(outDir, out), code };
}

/**
 * The validators of config.json, of an exec's process.json (the config's Process) and of the state, with the options spec/schema-check.ts reads
 * errors by (allErrors, verbose: the failing subschema's x-expect and x-noun annotations).
 */
function renderValidators(outDir) {
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, code: { source: true } });
  ajv.addKeyword({ keyword: 'x-expect', schemaType: 'string' });
  ajv.addKeyword({ keyword: 'x-noun', schemaType: 'string' });
  const load = (name) => JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, name), 'utf8'));
  // Keys match the relative $refs between the schema files.
  ajv.addSchema(load('defs.schema.json'), 'defs.schema.json');
  ajv.addSchema(load('defs-linux.schema.json'), 'defs-linux.schema.json');
  ajv.addSchema(load('config.schema.json'), 'config');
  ajv.addSchema(load('state.schema.json'), 'state');
  const banner =
    '/* Generated from spec/schema/*.schema.json by spec/tools/gen-types.js (ajv standalone code): do not edit.\n' +
    ' * Change the schemas and run `npm run gen:types`. */\n// @ts-nocheck\n';
  return { file: path.join(outDir, 'validators.ts'), code: banner + standaloneCode(ajv, { config: 'config', process: 'defs.schema.json#/definitions/Process', state: 'state' }) + '\n' };
}

async function main() {
  const args = process.argv.slice(2);
  const check = args.includes('--check');
  const outAt = args.indexOf('--out');
  if (outAt !== -1 && !args[outAt + 1]) throw new Error('--out needs a directory');
  const outDir = outAt === -1 ? DEFAULT_OUT_DIR : path.resolve(args[outAt + 1]);
  const results = [...(await Promise.all(TARGETS.map((target) => render(target, outDir)))), renderValidators(outDir)];
  if (check) {
    const stale = results.filter(({ file, code }) => !fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== code);
    for (const { file } of stale)
      console.error(`${path.relative(process.cwd(), file)}: missing or stale, run npm run gen:types`);
    process.exit(stale.length ? 1 : 0);
  }
  fs.mkdirSync(outDir, { recursive: true });
  for (const { file, code } of results) {
    fs.writeFileSync(file, code);
    console.log(`wrote ${path.relative(process.cwd(), file)}`);
  }
}

main().catch((err) => {
  console.error(`gen-types: ${err.message}`);
  process.exit(2);
});

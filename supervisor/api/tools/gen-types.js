#!/usr/bin/env node
/**
 * Generates supervisor/api/generated/types.ts from supervisor/api/v1/*.proto (and cri-types.ts
 * from supervisor/api/cri/v1/*.proto, the Kubernetes CRI) with protobufjs's
 * reflection: one type per message and enum (and per message type they use from other packages,
 * such as google.protobuf.Timestamp), one interface per service, doc comments from the protos.
 * The types describe messages as supervisor/api/load.ts decodes them; LOADER says how.
 *
 *   node supervisor/api/tools/gen-types.js          write the generated file
 *   node supervisor/api/tools/gen-types.js --check  exit 1 when the committed file differs from what
 *                                                   the protos produce (CI)
 *   --out FILE                                      use FILE instead of supervisor/api/generated/types.ts
 */
'use strict';
const fs = require('fs');
const path = require('path');
const protobuf = require('protobufjs');

const API_DIR = path.resolve(__dirname, '..');
/** Each API: its protos, package and generated module (tsrund's own, and the Kubernetes CRI it serves). */
const TARGETS = [
  { protoDir: path.join(API_DIR, 'v1'), packageName: 'tsrun.supervisor.v1', out: path.join(API_DIR, 'generated', 'types.ts') },
  { protoDir: path.join(API_DIR, 'cri', 'v1'), packageName: 'runtime.v1', out: path.join(API_DIR, 'generated', 'cri-types.ts') },
];

/**
 * How supervisor/api/load.ts turns messages into objects: protobufjs's parser without keepCase
 * (camelCase field names), then toObject with these options. test/supervisor/api-types.test.ts
 * decodes every message of every method through load.ts and checks it has the generated shape.
 */
const LOADER = { keepCase: false, toObject: { longs: Number, enums: String, defaults: true, arrays: true, objects: true } };

/** TypeScript type of each scalar as toObject delivers it under LOADER (bytes: Node Buffers). */
const SCALARS = {
  double: 'number',
  float: 'number',
  int32: 'number',
  uint32: 'number',
  sint32: 'number',
  fixed32: 'number',
  sfixed32: 'number',
  int64: 'number',
  uint64: 'number',
  sint64: 'number',
  fixed64: 'number',
  sfixed64: 'number',
  bool: 'boolean',
  string: 'string',
  bytes: 'Buffer',
};

const lowerFirst = (s) => s[0].toLowerCase() + s.slice(1);

/** Every .proto of `protoDir`, imports resolved beside them (and google/protobuf/* from protobufjs). */
function loadProtos(protoDir) {
  const dir = path.resolve(protoDir);
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.proto')).sort();
  if (!files.length) throw new Error(`no .proto files in ${dir}`);
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => (path.isAbsolute(target) ? target : path.join(dir, target));
  // alternateCommentMode: keep plain `//` comments as docs. It changes no name or type.
  root.loadSync(
    files.map((f) => path.join(dir, f)),
    { keepCase: LOADER.keepCase, alternateCommentMode: true },
  );
  root.resolveAll();
  return root;
}

/** `a.b.Outer.Inner` -> "Outer_Inner": the names of the enclosing messages, then its own. */
function typeScriptName(reflected) {
  const names = [reflected.name];
  for (let p = reflected.parent; p instanceof protobuf.Type; p = p.parent) names.unshift(p.name);
  return names.join('_');
}

/**
 * The file a definition came from, relative to protoDir; for the google/protobuf/* files that
 * protobufjs bundles (as JSON, without a file name), their package.
 */
function sourceOf(reflected, protoDir) {
  const file = reflected.filename;
  if (!file) return `${reflected.parent.fullName.slice(1)} (bundled with protobufjs)`;
  return path.isAbsolute(file) ? path.relative(protoDir, file) : file;
}

/**
 * What the generated module declares, in the order it declares it: the package's enums and
 * messages (nested ones after their parent), file by file in name order, then the messages of
 * other packages that fields use; then the package's services.
 */
function describeApi(root, packageName, protoDir) {
  const pkg = root.lookup(packageName);
  if (!(pkg instanceof protobuf.Namespace)) throw new Error(`package ${packageName} not found in ${protoDir}`);
  const names = new Map(); // TypeScript name -> proto full name
  const claim = (tsName, fullName) => {
    const owner = names.get(tsName);
    if (owner && owner !== fullName) throw new Error(`${fullName} and ${owner} would both be the TypeScript type ${tsName}`);
    names.set(tsName, fullName);
    return tsName;
  };

  const inPackage = [];
  const services = [];
  (function walk(ns) {
    for (const nested of ns.nestedArray) {
      if (nested instanceof protobuf.Service) services.push(nested);
      else if (nested instanceof protobuf.Type || nested instanceof protobuf.Enum) inPackage.push(nested);
      if (nested instanceof protobuf.Namespace && !(nested instanceof protobuf.Service)) walk(nested);
    }
  })(pkg);
  const byFile = (a, b) => {
    const [x, y] = [sourceOf(a, protoDir), sourceOf(b, protoDir)];
    return x < y ? -1 : x > y ? 1 : 0;
  };
  inPackage.sort(byFile);
  services.sort(byFile);

  const isInPackage = (t) => t.fullName.startsWith(`${pkg.fullName}.`);
  const external = [];
  const declarations = [];
  const describeType = (t) => ({
    kind: t instanceof protobuf.Enum ? 'enum' : 'message',
    tsName: claim(typeScriptName(t), t.fullName),
    fullName: t.fullName.slice(1),
    file: sourceOf(t, protoDir),
    // A type of another package says which it is: its name alone may not.
    comment: t.comment || (isInPackage(t) ? null : `${t.fullName.slice(1)}.`),
    ...(t instanceof protobuf.Enum
      ? { values: Object.keys(t.values).map((name) => ({ name, comment: t.comments[name] || null })) }
      : { fields: t.fieldsArray.map((f) => describeField(f)) }),
  });
  const describeField = (f) => {
    f.resolve();
    const target = f.resolvedType;
    const element = target ? useType(target) : SCALARS[f.type];
    if (!element) throw new Error(`${f.fullName.slice(1)}: unsupported type ${f.type}`);
    // Members of a oneof (proto3 `optional` makes a oneof of one) get no default: absent when unset.
    const optional = f.partOf != null;
    let tsType = element;
    if (f.map) tsType = `Record<string, ${element}>`;
    else if (f.repeated) tsType = `${element}[]`;
    else if (target instanceof protobuf.Type && !optional) tsType = `${element} | null`;
    return {
      name: f.name,
      tsType,
      optional,
      oneof: optional ? f.partOf.name : null,
      // What the type is made of: the scalar's, enum's or message's type, and how many of it.
      element,
      elementKind: target instanceof protobuf.Enum ? 'enum' : target ? 'message' : 'scalar',
      container: f.map ? 'map' : f.repeated ? 'array' : null,
      comment: f.comment || null,
    };
  };

  const useType = (t) => {
    if (!isInPackage(t) && !external.includes(t)) external.push(t);
    return typeScriptName(t);
  };
  for (const t of inPackage) declarations.push(describeType(t));
  const apiServices = services.map((s) => ({
    name: s.name,
    tsName: claim(`${s.name}Service`, `${s.fullName} (service)`),
    file: sourceOf(s, protoDir),
    comment: s.comment || null,
    methods: s.methodsArray.map((m) => {
      m.resolve();
      return {
        key: lowerFirst(m.name),
        name: m.name,
        path: `/${s.fullName.slice(1)}/${m.name}`,
        request: useType(m.resolvedRequestType),
        response: useType(m.resolvedResponseType),
        requestStream: m.requestStream === true,
        responseStream: m.responseStream === true,
        comment: m.comment || null,
      };
    }),
  }));
  // Types of other packages the API uses, and the types their fields use in turn.
  for (let i = 0; i < external.length; i++) declarations.push(describeType(external[i]));
  claim('ApiServices', '(the map of services)');
  return { packageName, declarations, services: apiServices };
}

/** A doc comment, or nothing when the proto has none. */
function doc(text, indent) {
  if (!text) return [];
  const lines = text.replace(/\*\//g, '*\\/').split('\n');
  if (lines.length === 1) return [`${indent}/** ${lines[0]} */`];
  return [`${indent}/**`, ...lines.map((l) => `${indent} *${l ? ` ${l}` : ''}`), `${indent} */`];
}

const quote = (s) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

function renderDeclaration(d) {
  const out = doc(d.comment, '');
  if (d.kind === 'enum') {
    out.push(`export type ${d.tsName} =`);
    for (const v of d.values) out.push(...doc(v.comment, '  '), `  | ${quote(v.name)}`);
    out[out.length - 1] += ';';
    return out;
  }
  if (!d.fields.length) return [...out, `export interface ${d.tsName} {}`];
  out.push(`export interface ${d.tsName} {`);
  for (const f of d.fields) out.push(...doc(f.comment, '  '), `  ${f.name}${f.optional ? '?' : ''}: ${f.tsType};`);
  out.push('}');
  return out;
}

function renderService(s) {
  const out = [...doc(s.comment, ''), `export interface ${s.tsName} {`];
  for (const m of s.methods) {
    out.push(
      ...doc(m.comment, '  '),
      `  ${m.key}: {`,
      `    path: ${quote(m.path)};`,
      `    request: ${m.request};`,
      `    response: ${m.response};`,
      `    requestStream: ${m.requestStream};`,
      `    responseStream: ${m.responseStream};`,
      '  };',
    );
  }
  out.push('}');
  return out;
}

/** The TypeScript module for a model from describeApi; `source` names the protos in the banner. */
function render(model, source) {
  const out = [
    `/* Generated from ${source} by supervisor/api/tools/gen-types.js: do not edit.`,
    ' * Change the protos and run `npm run gen:types`. */',
    '',
    '/*',
    ` * The messages of ${model.packageName} as plain objects, the way supervisor/api/load.ts decodes`,
    ' * them: camelCase field names; every field present with its proto3 default, except the members',
    ' * of a oneof and `optional` fields, which are absent when unset; a message field that is not set',
    ' * is null; 64-bit integers are numbers (exact up to 2^53); enums are the names of their values',
    ' * (a number the schema does not know arrives as that number); bytes are Buffers; maps are',
    ' * objects keyed by the text of the key. A request may leave any field out (it is encoded as the',
    ' * default): clients build requests as Partial<...>.',
    ' */',
  ];
  let file = null;
  for (const d of model.declarations) {
    if (d.file !== file) out.push('', `// ${d.file} ${'-'.repeat(Math.max(4, 96 - d.file.length))}`);
    file = d.file;
    out.push('', ...renderDeclaration(d));
  }
  out.push('', `// Services ${'-'.repeat(88)}`);
  out.push(
    '',
    '/*',
    ' * Each method by the name grpc-js clients and handlers use (lowerCamel), with its gRPC path, its',
    ' * request and response messages and which of them stream.',
    ' */',
  );
  for (const s of model.services) out.push('', ...renderService(s));
  out.push('', `/** Every service of ${model.packageName}, by name. */`, 'export interface ApiServices {');
  for (const s of model.services) out.push(`  ${s.name}: ${s.tsName};`);
  out.push('}', '');
  return out.join('\n');
}

/** The generated module for the protos of `protoDir` (package `packageName`). */
function generate(protoDir = TARGETS[0].protoDir, packageName = TARGETS[0].packageName) {
  const root = loadProtos(protoDir);
  const source = `${path.relative(path.resolve(__dirname, '../../..'), path.resolve(protoDir))}/*.proto`;
  return render(describeApi(root, packageName, path.resolve(protoDir)), source);
}

function main() {
  const args = process.argv.slice(2);
  const check = args.includes('--check');
  const outAt = args.indexOf('--out');
  if (outAt !== -1 && !args[outAt + 1]) throw new Error('--out needs a file');
  // --out names where tsrund's own API goes; it writes that one only.
  const targets = outAt === -1 ? TARGETS : [{ ...TARGETS[0], out: path.resolve(args[outAt + 1]) }];
  let stale = false;
  for (const t of targets) {
    const code = generate(t.protoDir, t.packageName);
    if (check) {
      const fresh = fs.existsSync(t.out) && fs.readFileSync(t.out, 'utf8') === code;
      if (!fresh) console.error(`${path.relative(process.cwd(), t.out)}: missing or stale, run npm run gen:types`);
      stale ||= !fresh;
      continue;
    }
    fs.mkdirSync(path.dirname(t.out), { recursive: true });
    fs.writeFileSync(t.out, code);
    console.log(`wrote ${path.relative(process.cwd(), t.out)}`);
  }
  if (check) process.exit(stale ? 1 : 0);
}

module.exports = { LOADER, loadProtos, describeApi, render, generate };

if (require.main === module) {
  try {
    main();
  } catch (err) {
    console.error(`gen-types: ${err.message}`);
    process.exit(2);
  }
}

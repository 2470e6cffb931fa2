/**
 * supervisor/api/generated/types.ts is what supervisor/api/tools/gen-types.js makes of the protos,
 * and says what supervisor/api/load.ts really delivers: the generator's output for a fixture that
 * uses every construct it maps, messages decoded with the loader's options checked against the
 * generated shapes, every message of the real protos typed, and the check mode CI runs.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as protobuf from 'protobufjs';
import * as ts from 'typescript';
import { API_PACKAGE, SERVICE_NAMES, apiServices, type ServiceName } from '../../supervisor/api/load';
import type { ApiServices } from '../../supervisor/api/generated/types';
import { EVENT_TYPES } from '../../supervisor/api/types';

interface Field {
  name: string;
  tsType: string;
  optional: boolean;
  oneof: string | null;
  element: string;
  elementKind: 'scalar' | 'enum' | 'message';
  container: 'map' | 'array' | null;
  comment: string | null;
}
type Declaration =
  | { kind: 'message'; tsName: string; fullName: string; fields: Field[] }
  | { kind: 'enum'; tsName: string; fullName: string; values: { name: string }[] };
interface Method {
  key: string;
  name: string;
  path: string;
  request: string;
  response: string;
  requestStream: boolean;
  responseStream: boolean;
}
interface Model {
  declarations: Declaration[];
  services: { name: string; methods: Method[] }[];
}
interface Generator {
  LOADER: { toObject: protobuf.IConversionOptions };
  loadProtos(dir: string): protobuf.Root;
  describeApi(root: protobuf.Root, packageName: string, protoDir: string): Model;
  generate(protoDir?: string, packageName?: string): string;
}

const REPO = path.resolve(__dirname, '../..');
const GENERATOR_JS = path.join(REPO, 'supervisor/api/tools/gen-types.js');
const GENERATED = path.join(REPO, 'supervisor/api/generated/types.ts');
const PROTO_DIR = path.join(REPO, 'supervisor/api/v1');
const FIXTURE_DIR = path.join(__dirname, 'api-types.fixture');
const gen = require(GENERATOR_JS) as Generator;

// The daemon's services are exactly the generated ones (a compile error otherwise).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const servicesMatch: Same<ServiceName, keyof ApiServices> = true;

const modelOf = (dir: string, pkg: string): Model => gen.describeApi(gen.loadProtos(dir), pkg, dir);
const declarationOf = (model: Model, tsName: string): Declaration => {
  const d = model.declarations.find((x) => x.tsName === tsName);
  if (!d) throw new Error(`no generated type ${tsName}`);
  return d;
};

/** A value for every field of `tsName` (one member per oneof), none of them a default. */
function sample(model: Model, tsName: string, depth = 0): Record<string, unknown> {
  const d = declarationOf(model, tsName);
  if (d.kind !== 'message') throw new Error(`${tsName} is an enum`);
  const out: Record<string, unknown> = {};
  const oneofsSet = new Set<string>();
  for (const f of d.fields) {
    if (f.oneof && oneofsSet.has(f.oneof)) continue;
    if (f.elementKind === 'message' && depth >= 4) continue;
    if (f.oneof) oneofsSet.add(f.oneof);
    const one = () => elementSample(model, f, depth);
    out[f.name] = f.container === 'map' ? { '7': one() } : f.container === 'array' ? [one(), one()] : one();
  }
  return out;
}

function elementSample(model: Model, f: Field, depth: number): unknown {
  if (f.elementKind === 'message') return sample(model, f.element, depth + 1);
  if (f.elementKind === 'enum') {
    const d = declarationOf(model, f.element);
    if (d.kind !== 'enum') throw new Error(`${f.element} is a message`);
    return d.values[d.values.length - 1].name;
  }
  const scalars: Record<string, unknown> = { number: 7, string: 'x', boolean: true, Buffer: Buffer.from('x') };
  if (!(f.element in scalars)) throw new Error(`no sample for ${f.element}`);
  return scalars[f.element];
}

/** Where `value` differs from the generated type `tsName` (empty when it has that shape). */
function mismatches(model: Model, tsName: string, value: unknown, at = tsName): string[] {
  const d = declarationOf(model, tsName);
  if (d.kind === 'enum')
    return d.values.some((v) => v.name === value) ? [] : [`${at}: ${JSON.stringify(value)} is not a ${tsName}`];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${at}: not an object`];
  const obj = value as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of Object.keys(obj))
    if (!d.fields.some((f) => f.name === key)) problems.push(`${at}.${key}: not in the generated type`);
  for (const f of d.fields) {
    const v = obj[f.name];
    if (!(f.name in obj)) {
      if (!f.optional) problems.push(`${at}.${f.name}: missing`);
      continue;
    }
    const element = (x: unknown, where: string): string[] => {
      if (f.elementKind !== 'scalar') return mismatches(model, f.element, x, where);
      const ok = f.element === 'Buffer' ? Buffer.isBuffer(x) : typeof x === f.element;
      return ok ? [] : [`${where}: ${typeof x} where the type says ${f.element}`];
    };
    if (f.container === 'array') {
      if (!Array.isArray(v)) problems.push(`${at}.${f.name}: not an array`);
      else v.forEach((x, i) => problems.push(...element(x, `${at}.${f.name}[${i}]`)));
    } else if (f.container === 'map') {
      if (typeof v !== 'object' || v === null) problems.push(`${at}.${f.name}: not an object`);
      else for (const [k, x] of Object.entries(v)) problems.push(...element(x, `${at}.${f.name}[${k}]`));
    } else if (v === null) {
      if (f.tsType !== `${f.element} | null`) problems.push(`${at}.${f.name}: null where the type says ${f.tsType}`);
    } else problems.push(...element(v, `${at}.${f.name}`));
  }
  return problems;
}

/** Every message and enum declared in `root` under `pkg`, nested ones included. */
function protoTypes(root: protobuf.Root, pkg: string): (protobuf.Type | protobuf.Enum)[] {
  const out: (protobuf.Type | protobuf.Enum)[] = [];
  (function walk(ns: protobuf.NamespaceBase) {
    for (const n of ns.nestedArray) {
      if (n instanceof protobuf.Type || n instanceof protobuf.Enum) out.push(n);
      if (n instanceof protobuf.Namespace && !(n instanceof protobuf.Service)) walk(n);
    }
  })(root.lookup(pkg) as protobuf.Namespace);
  return out;
}

function inTempDir<T>(fn: (dir: string) => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-api-types-'));
  try {
    return fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The TypeScript compiler's errors for `files` (name -> text), compiled together, strict. */
function compileErrors(files: Record<string, string>): string[] {
  return inTempDir((dir) => {
    const names = Object.entries(files).map(([name, text]) => {
      fs.writeFileSync(path.join(dir, name), text);
      return path.join(dir, name);
    });
    const program = ts.createProgram(names, {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.Node16,
      types: ['node'],
      skipLibCheck: true,
      typeRoots: [path.join(REPO, 'node_modules/@types')],
    });
    return ts
      .getPreEmitDiagnostics(program)
      .map((d) => `${d.file ? path.basename(d.file.fileName) : ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
  });
}

describe('the generator, on a fixture', () => {
  const code = gen.generate(FIXTURE_DIR, 'fixture.v1');
  const model = modelOf(FIXTURE_DIR, 'fixture.v1');
  const item = gen.loadProtos(FIXTURE_DIR).lookupType('fixture.v1.Item');
  /** An Item through the wire and back, decoded with the loader's options. */
  const roundTrip = (o: object) => item.toObject(item.decode(item.encode(item.fromObject(o)).finish()), gen.LOADER.toObject);

  test('maps each construct to the type the loader delivers', () => {
    const item = code.slice(code.indexOf('export interface Item {'), code.indexOf('export interface Item_Size {'));
    for (const line of [
      'itemId: string;', // camelCase, as protobufjs without keepCase
      'priceCents: number;', // int64 with longs: Number
      'stock: number;', // uint64
      'delta: number;',
      'weight: number;',
      'onSale: boolean;',
      'thumbnail: Buffer;',
      'color: Color;', // enums: String, so the union of names
      'otherColors: Color[];',
      'tags: string[];',
      'labels: Record<string, string>;',
      'photosByIndex: Record<string, Photo>;', // map keys arrive as text
      'mainPhoto: Photo | null;', // an unset message field is null
      'listedAt: Timestamp | null;',
      'note?: string;', // proto3 optional: absent when unset
      'pickupStore?: string;', // oneof members too
      'shipTo?: Address;',
      'size: Item_Size | null;', // nested message
    ])
      expect(item).toContain(`  ${line}`);
    expect(code).toMatch(/export type Item_Size_Unit =\n {2}\| 'UNIT_UNSPECIFIED'\n {2}\| 'CM';/);
    // The well-known type a field uses is declared too, saying which it is.
    expect(code).toContain('/** google.protobuf.Timestamp. */\nexport interface Timestamp {\n  seconds: number;\n  nanos: number;\n}');
    expect(code).toContain('export interface Empty {}');
  });

  test('carries the proto comments as doc comments, leading and trailing, escaping */', () => {
    expect(code).toContain('/** One thing for sale. */\nexport interface Item {');
    expect(code).toContain('  /** Price in cents, 64-bit. */\n  priceCents: number;');
    expect(code).toContain("  /** Like a *\\/ comment end. */\n  | 'RED'");
    expect(code).toContain("  /** Trailing comment. */\n  | 'GREEN';");
    expect(code).toContain('/** Sells things. */\nexport interface ShopService {');
    expect(code).toContain('  /**\n   * Look one item up.\n   * NOT_FOUND when there is none.\n   */\n  getItem: {');
  });

  test('describes each service method: lowerCamel name, path, messages and streaming', () => {
    expect(code).toContain(
      [
        '  uploadPhotos: {',
        "    path: '/fixture.v1.Shop/UploadPhotos';",
        '    request: Photo;',
        '    response: Empty;',
        '    requestStream: true;',
        '    responseStream: false;',
        '  };',
      ].join('\n'),
    );
    expect(code).toContain("    path: '/fixture.v1.Shop/WatchItems';\n    request: GetItemRequest;\n    response: Item;\n    requestStream: false;\n    responseStream: true;");
    expect(code).toContain('export interface ApiServices {\n  Shop: ShopService;\n}');
  });

  test('declares the files in name order, each under its name, with the do-not-edit banner', () => {
    expect(code).toMatch(/^\/\* Generated from test\/supervisor\/api-types\.fixture\/\*\.proto by supervisor\/api\/tools\/gen-types\.js: do not edit\./);
    expect(code.indexOf('// common.proto -')).toBeGreaterThan(0);
    expect(code.indexOf('// common.proto -')).toBeLessThan(code.indexOf('// shop.proto -'));
    expect(code.indexOf('export interface Address')).toBeLessThan(code.indexOf('// shop.proto -'));
  });

  test('decoded fixture messages have the generated shapes, set or left at their defaults', () => {
    const full = sample(model, 'Item');
    expect(full).toHaveProperty('pickupStore'); // the first member of the oneof
    expect(roundTrip(full)).toEqual(full);
    expect(mismatches(model, 'Item', roundTrip(full))).toEqual([]);
    const empty = roundTrip({});
    expect(empty).not.toHaveProperty('note');
    expect(empty).toMatchObject({ priceCents: 0, color: 'COLOR_UNSPECIFIED', mainPhoto: null, labels: {} });
    expect(mismatches(model, 'Item', empty)).toEqual([]);
    expect(mismatches(model, 'Item', roundTrip({ shipTo: { lines: ['a'] } }))).toEqual([]);
    // The check itself tells a wrong shape.
    expect(mismatches(model, 'Item', { ...empty, priceCents: '0', extra: 1 })).toEqual([
      'Item.extra: not in the generated type',
      'Item.priceCents: string where the type says number',
    ]);
  });

  test('compiles under strict TypeScript, and decoded messages are assignable to their type', () => {
    const literal = (o: object) => JSON.stringify(o).replace(/\{"type":"Buffer","data":\[([\d,]*)\]\}/g, 'Buffer.from([$1])');
    const errors = compileErrors({
      'types.ts': code,
      'use.ts': [
        "import type { Item, ShopService } from './types';",
        `export const full: Item = ${literal(roundTrip(sample(model, 'Item')))};`,
        `export const empty: Item = ${literal(roundTrip({}))};`,
        `export const shipped: Item = ${literal(roundTrip({ shipTo: { lines: ['a'] } }))};`,
        "export const streams: ShopService['watchItems']['responseStream'] = true;",
        '',
      ].join('\n'),
    });
    expect(errors).toEqual([]);
  });

  test('refuses two types that would get the same TypeScript name', () => {
    inTempDir((dir) => {
      fs.writeFileSync(
        path.join(dir, 'clash.proto'),
        'syntax = "proto3";\npackage clash.v1;\nmessage A { message B {} }\nmessage A_B {}\n',
      );
      expect(() => modelOf(dir, 'clash.v1')).toThrow('clash.v1.A_B and .clash.v1.A.B would both be the TypeScript type A_B');
    });
  });
});

describe('the generated API types', () => {
  const model = modelOf(PROTO_DIR, API_PACKAGE);
  const generated = fs.readFileSync(GENERATED, 'utf8');

  test('type every message and enum of the protos', () => {
    const exported = new Set([...generated.matchAll(/^export (?:interface|type) (\w+)/gm)].map((m) => m[1]));
    const types = protoTypes(gen.loadProtos(PROTO_DIR), API_PACKAGE);
    expect(types.length).toBeGreaterThan(50);
    const untyped = types
      .map((t) => [t.fullName, t.fullName.slice(`.${API_PACKAGE}.`.length).replace(/\./g, '_')])
      .filter(([, tsName]) => !exported.has(tsName));
    expect(untyped).toEqual([]);
    expect(exported).toContain('Timestamp');
  });

  test('list the services load.ts serves, method by method as it defines them', () => {
    expect(servicesMatch).toBe(true);
    expect(model.services.map((s) => s.name).sort()).toEqual([...SERVICE_NAMES].sort());
    const defs = apiServices();
    for (const s of model.services) {
      const def = defs[s.name as ServiceName];
      expect(Object.keys(def).sort()).toEqual(s.methods.map((m) => m.key).sort());
      for (const m of s.methods)
        expect({ path: def[m.key].path, requestStream: def[m.key].requestStream, responseStream: def[m.key].responseStream }).toEqual({
          path: m.path,
          requestStream: m.requestStream,
          responseStream: m.responseStream,
        });
    }
  });

  test("match what load.ts's codecs deliver for every request and response, set or empty", () => {
    const defs = apiServices();
    const problems: string[] = [];
    for (const s of model.services)
      for (const m of s.methods) {
        const def = defs[s.name as ServiceName][m.key];
        const req = sample(model, m.request);
        const decodedReq = def.requestDeserialize(def.requestSerialize(req));
        expect(decodedReq).toEqual(req);
        problems.push(...mismatches(model, m.request, decodedReq, `${s.name}.${m.name} request`));
        problems.push(...mismatches(model, m.request, def.requestDeserialize(def.requestSerialize({})), `${s.name}.${m.name} empty request`));
        const res = sample(model, m.response);
        const decodedRes = def.responseDeserialize(def.responseSerialize(res));
        expect(decodedRes).toEqual(res);
        problems.push(...mismatches(model, m.response, decodedRes, `${s.name}.${m.name} response`));
        problems.push(...mismatches(model, m.response, def.responseDeserialize(def.responseSerialize({})), `${s.name}.${m.name} empty response`));
      }
    expect(problems).toEqual([]);
  });

  test("EVENT_TYPES are the values events.proto lists for Event.type", () => {
    const event = declarationOf(model, 'Event');
    const type = event.kind === 'message' ? event.fields.find((f) => f.name === 'type') : undefined;
    const listed = [...(type?.comment ?? '').matchAll(/"([a-z-]+)"/g)].map((m) => m[1]);
    expect([...EVENT_TYPES].sort()).toEqual(listed.sort());
  });
});

describe('gen-types.js --check', () => {
  const check = (...extra: string[]) => spawnSync(process.execPath, [GENERATOR_JS, '--check', ...extra], { encoding: 'utf8' });

  test('passes on the committed file', () => {
    const result = check();
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  test('fails on an edited or a missing file, naming it', () =>
    inTempDir((dir) => {
      const copy = path.join(dir, 'types.ts');
      fs.copyFileSync(GENERATED, copy);
      expect(check('--out', copy).status).toBe(0);
      fs.appendFileSync(copy, 'export type Edited = 1;\n');
      const edited = check('--out', copy);
      expect(edited.status).toBe(1);
      expect(edited.stderr).toMatch(/types\.ts: missing or stale, run npm run gen:types/);
      fs.rmSync(copy);
      expect(check('--out', copy).status).toBe(1);
    }));
});

/**
 * Our runtime.v1 proto (supervisor/api/cri/v1/api.proto) against the upstream definition it must
 * match on the wire (../shared/reference/cri-api-v0.36.3/api.proto): both loaded with protobufjs
 * and reduced to everything a peer's encoder or decoder depends on (package, services, methods
 * and their streaming, messages with each field's name, number, type, label, map key, oneof and
 * options, enums with their values, reserved ranges). Comments are not compared: ours are our own.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as protobuf from 'protobufjs';

const OURS = path.join(__dirname, '../../supervisor/api/cri/v1/api.proto');
const REFERENCE_FILE = 'shared/reference/cri-api-v0.36.3/api.proto';

/** ../shared beside the repository (CI's layout), or beside a folder holding it (a worktree's). */
function referencePath(): string {
  for (let dir = path.join(__dirname, '../../..'); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, REFERENCE_FILE);
    if (fs.existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) throw new Error(`${REFERENCE_FILE} not found beside the repository or above it`);
  }
}
const PACKAGE = 'runtime.v1';

type Wire = Record<string, unknown>;

/** Every definition under `ns`, keyed by its full name, as the wire sees it. */
function wireShape(ns: protobuf.NamespaceBase, out: Wire = {}): Wire {
  for (const nested of ns.nestedArray) {
    if (nested instanceof protobuf.Service) {
      out[nested.fullName] = {
        kind: 'service',
        options: nested.options ?? {},
        methods: nested.methodsArray.map((m) => ({
          name: m.name,
          request: m.resolvedRequestType!.fullName,
          response: m.resolvedResponseType!.fullName,
          requestStream: m.requestStream === true,
          responseStream: m.responseStream === true,
          options: m.options ?? {},
        })),
      };
    } else if (nested instanceof protobuf.Type) {
      out[nested.fullName] = {
        kind: 'message',
        options: nested.options ?? {},
        reserved: nested.reserved ?? [],
        fields: nested.fieldsArray
          .map((f) => ({
            name: f.name,
            id: f.id,
            type: f.resolvedType ? f.resolvedType.fullName : f.type,
            label: f instanceof protobuf.MapField ? `map<${f.keyType}>` : f.repeated ? 'repeated' : f.required ? 'required' : f.options?.proto3_optional ? 'optional' : 'singular',
            oneof: f.partOf?.name ?? null,
            options: f.options ?? {},
          }))
          .sort((a, b) => a.id - b.id),
        oneofs: nested.oneofsArray.map((o) => ({ name: o.name, fields: o.fieldsArray.map((f) => f.name) })),
      };
    } else if (nested instanceof protobuf.Enum) {
      out[nested.fullName] = { kind: 'enum', options: nested.options ?? {}, reserved: nested.reserved ?? [], values: nested.values, valueOptions: nested.valuesOptions ?? {} };
    }
    if (nested instanceof protobuf.Namespace && !(nested instanceof protobuf.Service)) wireShape(nested, out);
  }
  return out;
}

function load(source: string): { shape: Wire; options: Record<string, unknown> } {
  const root = new protobuf.Root();
  protobuf.parse(source, root, { keepCase: true });
  root.resolveAll();
  const pkg = root.lookup(PACKAGE);
  if (!(pkg instanceof protobuf.Namespace)) throw new Error(`no package ${PACKAGE}`);
  return { shape: wireShape(pkg), options: pkg.options ?? {} };
}

const ours = fs.readFileSync(OURS, 'utf8');
const reference = fs.readFileSync(referencePath(), 'utf8');

/** The definitions whose wire shape differs between two loaded protos, by full name. */
function drift(a: Wire, b: Wire): string[] {
  const names = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return names.filter((n) => JSON.stringify(a[n]) !== JSON.stringify(b[n]));
}

test('our runtime.v1 has the reference package, services, methods, messages, fields and enums', () => {
  const mine = load(ours);
  const upstream = load(reference);
  expect(drift(mine.shape, upstream.shape)).toEqual([]);
  expect(mine.options).toEqual(upstream.options);
  // The comparison covers what kubelet calls: not an empty walk.
  expect(Object.keys(upstream.shape).length).toBeGreaterThan(150);
  const services = Object.entries(upstream.shape).filter(([, d]) => (d as { kind: string }).kind === 'service');
  expect(services.map(([n]) => n).sort()).toEqual(['.runtime.v1.ImageService', '.runtime.v1.RuntimeService']);
});

test('our proto carries no upstream comment text', () => {
  const commentLines = (text: string) =>
    new Set(
      [...text.matchAll(/\/\/(.*)$/gm)]
        .map((m) => m[1].trim())
        .filter((l) => l.split(/\s+/).length >= 6),
    );
  const upstream = commentLines(reference);
  const copied = [...commentLines(ours)].filter((l) => upstream.has(l));
  expect(copied).toEqual([]);
});

describe('the comparison sees every kind of drift', () => {
  const upstream = load(reference).shape;
  const planted: [string, (s: string) => string, string][] = [
    ['a field number', (s) => s.replace('string runtime_api_version = 4;', 'string runtime_api_version = 5;'), '.runtime.v1.VersionResponse'],
    ['a field name', (s) => s.replace('string runtime_api_version = 4;', 'string runtime_apiversion = 4;'), '.runtime.v1.VersionResponse'],
    ['a field type', (s) => s.replace('uint64 size = 4;', 'int64 size = 4;'), '.runtime.v1.Image'],
    ['a label', (s) => s.replace('repeated string repo_tags = 2;', 'string repo_tags = 2;'), '.runtime.v1.Image'],
    ['proto3 optional', (s) => s.replace('string username = 6;', 'optional string username = 6;'), '.runtime.v1.Image'],
    ['a map key', (s) => s.replace(/message ImageStatusResponse \{([^}]*)map<string, string> info = 2;/, 'message ImageStatusResponse {$1map<int32, string> info = 2;'), '.runtime.v1.ImageStatusResponse'],
    ['a streaming flag', (s) => s.replace('returns (stream ContainerEventResponse)', 'returns (ContainerEventResponse)'), '.runtime.v1.RuntimeService'],
    ['an enum value', (s) => s.replace('CGROUPFS = 1;', 'CGROUPFS = 2;'), '.runtime.v1.CgroupDriver'],
    ['a field option', (s) => s.replace('string password = 2 [debug_redact = true];', 'string password = 2;'), '.runtime.v1.AuthConfig'],
  ];
  test.each(planted)('%s', (_what, change, where) => {
    const changed = change(ours);
    expect(changed).not.toBe(ours);
    expect(drift(load(changed).shape, upstream)).toEqual([where]);
  });

  test('a method missing', () => {
    const changed = ours.replace(/\s*rpc CheckpointContainer\([^)]*\) returns \([^)]*\) \{\}/, '');
    expect(drift(load(changed).shape, upstream)).toEqual(['.runtime.v1.RuntimeService']);
  });

  test('a message missing', () => {
    const changed = `${ours}\nmessage CcExtra { string x = 1; }\n`;
    expect(drift(load(changed).shape, upstream)).toEqual(['.runtime.v1.CcExtra']);
  });
});

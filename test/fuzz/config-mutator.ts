/**
 * A seeded mutator of config.json for the config fuzzer: it takes a valid config and changes one
 * to three places, reaching every field of the project's schemas (spec/schema), with values at
 * the edges of what each field holds (types swapped, numbers at boundaries, NaN-ish and huge
 * strings, NUL bytes, paths with "..", relative paths, deep nesting), unknown keys, duplicated
 * entries and removed fields. Pure: the same seed gives the same config.
 *
 * Values are chosen so that whatever the runtime does with them stays harmless to the host:
 * no string names a real host path other than the bundle's own neighbourhood (hooks run on the
 * host), no namespace path is under /proc, and cgroupsPath only takes forms derived from the
 * case's own unique cgroup.
 */
import config from '../../spec/schema/config.schema.json';
import defs from '../../spec/schema/defs.schema.json';
import defsLinux from '../../spec/schema/defs-linux.schema.json';

type Json = null | boolean | number | string | Deep | Json[] | { [key: string]: Json };

/**
 * [[[...1]]] or {"a":{"a":...1}} `depth` levels deep, kept as its size: JSON.stringify, and a
 * walk of the document, would overflow the stack on it in this process too.
 */
export class Deep {
  constructor(
    readonly depth: number,
    readonly asObject: boolean,
  ) {}

  text(): string {
    return this.asObject ? '{"a":'.repeat(this.depth) + '1' + '}'.repeat(this.depth) : '['.repeat(this.depth) + '1' + ']'.repeat(this.depth);
  }
}

/** config.json text of a mutated document. */
export function configText(doc: Json): string {
  if (doc instanceof Deep) return doc.text();
  if (Array.isArray(doc)) return `[${doc.map(configText).join(',')}]`;
  if (doc !== null && typeof doc === 'object') return `{${Object.entries(doc).map(([k, v]) => `${JSON.stringify(k)}:${configText(v)}`).join(',')}}`;
  return JSON.stringify(doc);
}
type Segment = string | number;
type Schema = Record<string, unknown>;


type Random = () => number;
const pick = <T>(r: Random, list: readonly T[]): T => list[Math.floor(r() * list.length)];

const FILES: Record<string, Schema> = {
  'config.schema.json': config as Schema,
  'defs.schema.json': defs as Schema,
  'defs-linux.schema.json': defsLinux as Schema,
};

/** A schema node with its $ref followed, and the file its own refs are relative to. */
function resolve(node: Schema, file: string): { node: Schema; file: string; ref?: string } {
  const ref = node.$ref;
  if (typeof ref !== 'string') return { node, file };
  const [target, pointer] = ref.split('#');
  const targetFile = target || file;
  let at: unknown = FILES[targetFile];
  for (const part of pointer.split('/').filter(Boolean)) at = (at as Schema)[part];
  return { node: at as Schema, file: targetFile, ref: `${targetFile}#${pointer}` };
}

/** A place in config.json the schema describes, with the schema of its value. */
export interface SchemaField {
  path: Segment[];
  schema: Schema;
  /** The schema file its $refs are relative to. */
  file: string;
}

/** Sample keys for maps (sysctl, annotations, unified, netDevices, rdma...). */
const MAP_KEYS = ['k', 'net.ipv4.ip_forward', 'kernel.shmmax', 'memory.max', 'pids.max', 'cgroup.procs', 'eth0', '..', 'a/b', ''];

/** Every field reachable from the root schema (arrays by their first entry), depth-bounded. */
export function schemaFields(): SchemaField[] {
  const out: SchemaField[] = [];
  const walk = (raw: Schema, file: string, at: Segment[], refs: string[]) => {
    if (at.length > 9) return;
    const { node, file: f, ref } = resolve(raw, file);
    if (ref && refs.includes(ref)) return;
    const seen = ref ? [...refs, ref] : refs;
    if (at.length > 0) out.push({ path: at, schema: node, file: f });
    const props = node.properties as Record<string, Schema> | undefined;
    for (const [key, sub] of Object.entries(props ?? {})) walk(sub, f, [...at, key], seen);
    if (node.items && typeof node.items === 'object') walk(node.items as Schema, f, [...at, 0], seen);
    if (node.additionalProperties && typeof node.additionalProperties === 'object') {
      walk(node.additionalProperties as Schema, f, [...at, MAP_KEYS[at.length % MAP_KEYS.length]], seen);
    }
  };
  walk(config as Schema, 'config.schema.json', [], []);
  return out;
}

/** Numbers at the edges of C's and JSON's integer types. */
const BOUNDARY_NUMBERS = [0, -1, 1, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), 2 ** 32 - 1, 2 ** 32, 2 ** 53, -(2 ** 53), 2 ** 63, -(2 ** 63), 2 ** 64, 1.5, -0.5, 1e308];

/** Strings that are odd as values of any field; none names a host path that exists. */
function oddStrings(tag: string): string[] {
  return [
    '',
    ' ',
    'a',
    'NaN',
    'Infinity',
    '-1',
    '1e309',
    '0x10',
    '18446744073709551616',
    'a\u0000b',
    '\u0000',
    'é\u202e',
    '%s%n',
    '../x',
    `x/../../nonexistent-${tag}`,
    `/nonexistent-${tag}/../../nonexistent-${tag}`,
    'relative/path',
    `/nonexistent-${tag}`,
    'K=V',
    '=V',
    'x'.repeat(65536),
    'CAP_SYS_ADMIN',
    'SCMP_ACT_KILL',
    'RLIMIT_NOFILE',
    'tmpfs',
    'bind',
    'rbind',
    'ro',
    'nosuid',
    'idmap',
    'proc',
    'rootfs',
  ];
}

/** Strings a field may well hold: they get past the schema more often, into the runtime. */
function plainStrings(tag: string): string[] {
  return ['a', '/x', `/nonexistent-${tag}`, '/tmp', 'rw', 'ro', 'nosuid', 'nodev', 'rbind', 'tmpfs', 'proc', '0', '1', '0-1', '1:3', 'K=V', 'CAP_CHOWN', 'SCMP_ACT_ALLOW', 'max'];
}

/**
 * A value for a field of `schema`: plausible (to get past the schema into the runtime) or, with
 * probability `hostility`, hostile.
 */
function valueFor(r: Random, schema: Schema, file: string, tag: string, hostility: number): Json {
  if (r() < hostility) return hostile(r, tag);
  if (Array.isArray(schema.enum)) return pick(r, schema.enum as Json[]);
  const type = Array.isArray(schema.type) ? pick(r, schema.type as string[]) : schema.type;
  switch (type) {
    case 'integer':
    case 'number': {
      const edges = [schema.minimum, schema.maximum].filter((v): v is number => typeof v === 'number');
      return pick(r, [...edges, ...edges.map((e) => e + (e === edges[0] ? -1 : 1)), 0, 1, 100, Math.floor(r() * 1000)]);
    }
    case 'string':
      return pick(r, r() < 0.5 ? plainStrings(tag) : oddStrings(tag));
    case 'boolean':
      return r() < 0.5;
    case 'array': {
      const items = schema.items ? resolve(schema.items as Schema, file) : { node: {}, file };
      return Array.from({ length: Math.floor(r() * 3) }, () => valueFor(r, items.node, items.file, tag, hostility));
    }
    case 'object':
      return {};
    default:
      return hostile(r, tag);
  }
}

function hostile(r: Random, tag: string): Json {
  switch (Math.floor(r() * 8)) {
    case 0:
    case 1:
      return pick(r, BOUNDARY_NUMBERS);
    case 2:
    case 3:
      return pick(r, oddStrings(tag));
    case 4:
      return pick<Json>(r, [null, true, false, {}, [], [null], { '': 1 }]);
    case 5:
      return new Deep(pick(r, [64, 2000, 20000]), r() < 0.5);
    case 6:
      return Array.from({ length: pick(r, [2, 100, 5000]) }, (_, i) => (r() < 0.5 ? i : `v${i}`));
    default:
      return { unknownKey: pick(r, oddStrings(tag)) };
  }
}

/** The simplest valid value of `schema` (objects with their required fields), to complete what a set made. */
function minimalValue(raw: Schema, file: string, tag: string): Json {
  const { node: schema, file: f } = resolve(raw, file);
  if (Array.isArray(schema.enum)) return schema.enum[0] as Json;
  switch (schema.type) {
    case 'integer':
    case 'number':
      return typeof schema.minimum === 'number' && schema.minimum > 0 ? schema.minimum : 0;
    case 'boolean':
      return false;
    case 'array':
      return [];
    case 'string': {
      const pattern = typeof schema.pattern === 'string' ? new RegExp(schema.pattern) : null;
      const candidates = [`/nonexistent-${tag}`, 'rwm', '2MB', 'MB:0=100', '0', '1.3.0', 'K=V', 'CAP_CHOWN', 'RLIMIT_NOFILE', 'a'];
      return pattern ? (candidates.find((c) => pattern.test(c)) ?? 'a') : 'a';
    }
    case 'object': {
      const out: Record<string, Json> = {};
      completeRequired(out, schema, f, tag);
      return out;
    }
    default:
      return null;
  }
}

/** Give `obj` the required fields of `schema` it lacks. */
function completeRequired(obj: Record<string, Json>, schema: Schema, file: string, tag: string): void {
  const props = (schema.properties ?? {}) as Record<string, Schema>;
  for (const key of (schema.required ?? []) as string[]) {
    if (!(key in obj) && props[key]) obj[key] = minimalValue(props[key], file, tag);
  }
}

/** The value at `path` in `doc`, or undefined. */
function getAt(doc: Json, path: readonly Segment[]): Json | undefined {
  let at: Json | undefined = doc;
  for (const seg of path) {
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Record<string, Json>)[seg as string];
  }
  return at;
}

/** Set `path` to `value`, making the objects and arrays on the way (replacing what is in the way). */
function setAt(doc: Record<string, Json>, path: readonly Segment[], value: Json): void {
  let at: Record<string, Json> | Json[] = doc;
  path.forEach((seg, i) => {
    const last = i === path.length - 1;
    const container = at as Record<string, Json>;
    if (last) {
      container[seg as string] = value;
      return;
    }
    const wantArray = typeof path[i + 1] === 'number';
    let next = container[seg as string];
    if (next === null || typeof next !== 'object' || Array.isArray(next) !== wantArray) {
      next = wantArray ? [] : {};
      container[seg as string] = next;
    }
    at = next as Record<string, Json> | Json[];
  });
}

/** Every [path, node] of `doc`, objects and arrays included. */
function nodes(doc: Json, at: Segment[] = [], out: [Segment[], Json][] = []): [Segment[], Json][] {
  if (at.length > 12) return out;
  out.push([at, doc]);
  if (doc instanceof Deep) return out;
  if (Array.isArray(doc)) doc.slice(0, 50).forEach((v, i) => nodes(v, [...at, i], out));
  else if (doc !== null && typeof doc === 'object') for (const [k, v] of Object.entries(doc)) nodes(v, [...at, k], out);
  return out;
}

/** The parts of a config the fuzzer leaves alone: their values are the test's (see the file comment). */
const FIXED = ['linux.cgroupsPath'];

export interface Mutated {
  config: Record<string, Json>;
  /** One line per change, e.g. `set process.user.uid = 4294967295`. */
  changes: string[];
}

const show = (path: readonly Segment[]) => path.map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`)).join('').slice(1) || '(root)';
const brief = (v: Json | undefined) => {
  const text = v === undefined ? 'undefined' : v instanceof Deep ? `${v.asObject ? 'objects' : 'arrays'} ${v.depth} deep` : JSON.stringify(v);
  return text.length > 60 ? `${text.slice(0, 57)}... (${text.length} chars)` : text;
};

/**
 * One to three changes to `base` (not modified), by `r`. `cgroupsPath` is the case's own cgroup:
 * the only values linux.cgroupsPath takes are forms of it.
 */
export function mutateConfig(base: Record<string, Json>, r: Random, fields: readonly SchemaField[], tag: string, cgroupsPath: string): Mutated {
  const doc = structuredClone(base) as Record<string, Json>;
  const byPath = new Map(fields.map((f) => [show(f.path), f]));
  setAt(doc, ['linux', 'cgroupsPath'], cgroupsPath);
  const changes: string[] = [];
  const count = 1 + Math.floor(r() * 3);
  // Half the cases only set fields to plausible values: those reach the plan and the C executor.
  const gentle = r() < 0.5;
  for (let n = 0; n < count; n++) {
    const kind = gentle ? 0 : r();
    if (kind < 0.55) {
      const field = pick(r, fields);
      if (FIXED.includes(show(field.path))) {
        const value = pick(r, [`${cgroupsPath}/../${cgroupsPath.slice(1)}-b`, cgroupsPath.slice(1), `${cgroupsPath}/..`, '/', '..', '', `${cgroupsPath}:x:y`, 5]);
        setAt(doc, field.path, value);
        changes.push(`set ${show(field.path)} = ${brief(value)}`);
        continue;
      }
      const value = valueFor(r, field.schema, field.file, tag, gentle ? 0.05 : 0.45);
      setAt(doc, field.path, value);
      // The objects on the way get their required fields: the change, not their absence, is tested.
      for (let k = 1; k < field.path.length; k++) {
        const obj = getAt(doc, field.path.slice(0, k));
        const at = byPath.get(show(field.path.slice(0, k)));
        if (at && obj !== null && typeof obj === 'object' && !Array.isArray(obj) && !(obj instanceof Deep)) completeRequired(obj, at.schema, at.file, tag);
      }
      changes.push(`set ${show(field.path)} = ${brief(value)}`);
      continue;
    }
    const all = nodes(doc).filter(([p]) => p.length > 0 && !FIXED.includes(show(p)));
    const [path, node] = pick(r, all);
    if (kind < 0.75) {
      const parent = getAt(doc, path.slice(0, -1));
      const key = path[path.length - 1];
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete (parent as Record<string, Json>)[key as string];
      changes.push(`delete ${show(path)}`);
    } else if (kind < 0.88 && Array.isArray(node) && node.length > 0) {
      const i = Math.floor(r() * node.length);
      node.splice(i, 0, node[i] instanceof Deep ? node[i] : structuredClone(node[i]));
      changes.push(`duplicate ${show([...path, i])}`);
    } else if (node !== null && typeof node === 'object' && !Array.isArray(node)) {
      const key = pick(r, ['unknownField', 'x-vendor', '', 'Type', 'proto', '__proto__']);
      const value = hostile(r, tag);
      // As JSON.parse makes it: an own property, even for "__proto__".
      Object.defineProperty(node, key, { value, enumerable: true, writable: true, configurable: true });
      changes.push(`add ${show(path)}[${JSON.stringify(key)}] = ${brief(value)}`);
    } else {
      const value = hostile(r, tag);
      setAt(doc, path, value);
      changes.push(`set ${show(path)} = ${brief(value)}`);
    }
  }
  return { config: doc, changes };
}

/** Checks of request fields that are not ids (ids: containers/id.ts), before anything acts on them. */
import * as path from 'path';
import { encodedSize } from '../api/load';
import type { ContainerRecord } from '../containers/store';
import type { ConfigIssue } from '../../spec/issue';
import { checkNulCharacters } from '../../spec/rules';
import { invalidArgument } from '../errors';

const PATH_MAX = 4096;
/** containerd's limit for a label: key and value together. */
const MAX_LABEL_BYTES = 4096;
const MAX_LABELS = 256;

export function checkAbsolutePath(field: string, p: string): void {
  if (p.length > PATH_MAX) throw invalidArgument(field, `is ${p.length} characters long; the limit is ${PATH_MAX}`);
  if (p.includes('\0')) throw invalidArgument(field, 'contains a NUL character');
  if (!path.isAbsolute(p)) throw invalidArgument(field, `${JSON.stringify(p)} is not an absolute path`);
}

/** The strings of a process a request gives (overrides, an exec), which the kernel takes as C strings. */
export interface ProcessStrings {
  args?: string[];
  env?: string[];
  entrypoint?: string[];
  cwd?: string;
  user?: string;
  mounts?: { destination: string; source: string; type: string; options: string[] }[];
}

/** Refuse a NUL in any of them, naming the field ("overrides.env[3]"): execve and mount would cut the string there. */
export function checkProcessStrings(prefix: string, p: ProcessStrings): void {
  const field = (name: string) => (prefix ? `${prefix}.${name}` : name);
  const check = (name: string, value: string) => {
    if (value.includes('\0')) throw invalidArgument(field(name), 'contains a NUL character, which no argument, environment entry or path can hold');
  };
  for (const name of ['args', 'env', 'entrypoint'] as const) p[name]?.forEach((v, i) => check(`${name}[${i}]`, v));
  if (p.cwd !== undefined) check('cwd', p.cwd);
  if (p.user !== undefined) check('user', p.user);
  p.mounts?.forEach((m, i) => {
    check(`mounts[${i}].destination`, m.destination);
    check(`mounts[${i}].source`, m.source);
    check(`mounts[${i}].type`, m.type);
    m.options.forEach((o, j) => check(`mounts[${i}].options[${j}]`, o));
  });
}

/** A terminal's size in cells, as the kernel's winsize holds it (16 bits each). */
export function checkPtySize(widthField: string, width: number, heightField: string, height: number): void {
  for (const [field, v] of [[widthField, width], [heightField, height]] as const) {
    if (v > 0xffff) throw invalidArgument(field, `${v} cells; a terminal has at most 65535`);
  }
}

export function checkLabels(field: string, labels: Record<string, string>): void {
  const entries = Object.entries(labels);
  if (entries.length > MAX_LABELS) throw invalidArgument(field, `has ${entries.length} labels; the limit is ${MAX_LABELS}`);
  for (const [key, value] of entries) {
    if (key === '') throw invalidArgument(field, 'has a label with an empty key');
    if (/[\0-\x1f\x7f]/.test(key))
      throw invalidArgument(`${field}[${JSON.stringify(key.slice(0, 40))}]`, 'key contains a control character');
    const bytes = Buffer.byteLength(key) + Buffer.byteLength(value);
    if (bytes > MAX_LABEL_BYTES) {
      throw invalidArgument(
        `${field}[${JSON.stringify(key.slice(0, 40))}]`,
        `key and value are ${bytes} bytes; the limit is ${MAX_LABEL_BYTES}`,
      );
    }
  }
}

/** "key=value" (that value) or "key" (present). */
export function parseLabelFilter(field: string, filter: string): { key: string; value: string | null } {
  const eq = filter.indexOf('=');
  const key = eq < 0 ? filter : filter.slice(0, eq);
  if (key === '') throw invalidArgument(field, `${JSON.stringify(filter.slice(0, 80))} has no label key`);
  return { key, value: eq < 0 ? null : filter.slice(eq + 1) };
}

/** What a container record may hold (containers.proto's CreateContainerRequest documents them). */
export const RECORD_LIMITS = { overrides: 256 << 10, labels: 64 << 10, specJson: 512 << 10 };

/**
 * Refuse a record whose Get or List entry could outgrow a gRPC message, naming the field and the
 * limit, and a config holding a NUL (the kernel takes its strings as C strings). `config` says
 * where the config came from ("bundle config.json", "image busybox's config").
 */
export function checkContainerRecord(r: ContainerRecord, config: string): void {
  const overrides = r.overrides ? encodedSize('ProcessOverrides', r.overrides) : 0;
  if (overrides > RECORD_LIMITS.overrides)
    throw invalidArgument('overrides', `${overrides} bytes; a container record holds at most ${RECORD_LIMITS.overrides} bytes of overrides`);
  const labels = Object.entries(r.labels).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
  if (labels > RECORD_LIMITS.labels) throw invalidArgument('labels', `${labels} bytes in all; the limit is ${RECORD_LIMITS.labels}`);
  const nuls: ConfigIssue[] = [];
  checkNulCharacters(r.spec as unknown as Record<string, unknown>, nuls);
  if (nuls.length > 0) throw invalidArgument(`${config} ${nuls[0].path}`, nuls[0].message);
  const spec = Buffer.byteLength(JSON.stringify(r.spec));
  if (spec > RECORD_LIMITS.specJson) {
    throw invalidArgument(
      config,
      `with the overrides it is ${spec} bytes of JSON (the largest part: ${largestPart(r.spec)}); a container record holds at most ${RECORD_LIMITS.specJson}`,
    );
  }
}

/** "process.env (2200000 bytes)": the biggest member of the config or of its process. */
function largestPart(spec: object): string {
  const parts: [string, unknown][] = Object.entries(spec).flatMap(([k, v]) =>
    k === 'process' && v !== null && typeof v === 'object' ? Object.entries(v).map(([pk, pv]) => [`process.${pk}`, pv] as [string, unknown]) : [[k, v] as [string, unknown]],
  );
  const [name, bytes] = parts.map(([k, v]) => [k, Buffer.byteLength(JSON.stringify(v) ?? '')] as const).reduce((a, b) => (b[1] > a[1] ? b : a));
  return `${name} (${bytes} bytes)`;
}

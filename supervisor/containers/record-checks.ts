/**
 * What a container record (and an image record's labels) may hold, checked before it is stored:
 * nothing a Get or List could not answer in one gRPC message, no NUL the kernel would cut at.
 */
import { encodedSize } from '../api/load';
import type { ConfigIssue } from '../../spec/issue';
import { checkNulCharacters } from '../../spec/rules';
import { invalidArgument } from '../shared/errors';
import type { ContainerRecord } from './store';

/** containerd's limit for a label: key and value together. */
const MAX_LABEL_BYTES = 4096;
const MAX_LABELS = 256;

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

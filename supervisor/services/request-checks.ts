/** Checks of request fields that are not ids (ids: containers/id.ts), before anything acts on them. */
import * as path from 'path';
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

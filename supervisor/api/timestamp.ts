/** google.protobuf.Timestamp as the API's messages carry it, to and from RFC 3339 text. */
import type { Timestamp } from './types';

const RFC3339 = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/;

/** Parse RFC 3339 with up to nanoseconds ("2024-05-01T10:00:00.123456789Z"); null when not. */
export function timestampFromRfc3339(text: string): Timestamp | null {
  const m = RFC3339.exec(text);
  if (!m) return null;
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(ms)) return null;
  return { seconds: Math.floor(ms / 1000), nanos: Number((m[2] ?? '').padEnd(9, '0')) };
}

export function timestampOf(date: Date): Timestamp {
  const ms = date.getTime();
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 };
}

export function timestampNow(): Timestamp {
  return timestampOf(new Date());
}

/** RFC 3339 with nanoseconds, UTC; "" for an unset timestamp. */
export function rfc3339Of(ts: Timestamp | null | undefined): string {
  if (!ts || (ts.seconds === 0 && ts.nanos === 0)) return '';
  const base = new Date(ts.seconds * 1000).toISOString().slice(0, 19);
  return `${base}.${String(ts.nanos).padStart(9, '0')}Z`;
}

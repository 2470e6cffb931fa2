/** tsctl's output: aligned tables for people, JSON for scripts; written synchronously (tsctl exits right after). */
import * as fs from 'fs';
import type { Timestamp } from '../api/types';
import { rfc3339Of } from '../api/timestamp';

export function out(text: string): void {
  const buf = Buffer.from(text);
  for (let off = 0; off < buf.length;) off += fs.writeSync(1, buf, off);
}

export function printJson(value: unknown): void {
  out(JSON.stringify(value, null, 2) + '\n');
}

/** Columns padded to their widest cell, as `docker ps` prints. */
export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('   ')
      .trimEnd();
  out([header, ...rows].map(line).join('\n') + '\n');
}

/** A timestamp as RFC 3339 (or "" when unset), the form JSON output carries. */
export function timeText(ts: Timestamp | null): string {
  return rfc3339Of(ts);
}

/** "3 seconds ago" style, for tables. */
export function ago(ts: Timestamp | null, now = Date.now()): string {
  if (!ts) return '';
  const s = Math.max(0, Math.round(now / 1000 - ts.seconds));
  if (s < 60) return `${s} second${s === 1 ? '' : 's'} ago`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} minute${m === 1 ? '' : 's'} ago`;
  const h = Math.round(m / 60);
  if (h < 48) return `${h} hour${h === 1 ? '' : 's'} ago`;
  return `${Math.round(h / 24)} days ago`;
}

export function bytesText(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v}B` : `${v.toFixed(1)}${units[i]}`;
}

/**
 * Checks of request fields that are not ids (ids: containers/id.ts) nor what a record holds
 * (containers/record-checks.ts), before anything acts on them.
 */
import * as path from 'path';
import { invalidArgument } from '../shared/errors';

const PATH_MAX = 4096;

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

/** "key=value" (that value) or "key" (present). */
export function parseLabelFilter(field: string, filter: string): { key: string; value: string | null } {
  const eq = filter.indexOf('=');
  const key = eq < 0 ? filter : filter.slice(0, eq);
  if (key === '') throw invalidArgument(field, `${JSON.stringify(filter.slice(0, 80))} has no label key`);
  return { key, value: eq < 0 ? null : filter.slice(eq + 1) };
}

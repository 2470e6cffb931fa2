/** What every tsrun command is: its flags, how many arguments, and what it does. */
import { TsrunError, type ErrorCode } from '../../common/errors';
import type { FlagSpec, FlagValues } from './args';
import type { Logger } from './log';
import type { StateStore } from '../state/store';

export interface Globals {
  store: StateStore;
  log: Logger;
}

export interface Command {
  name: string;
  usage: string;
  /** e.g. "<container-id>" */
  argsUsage: string;
  flags: FlagSpec[];
  /** Exactly this many positional arguments, or [min, max] (max -1: any). */
  args: number | [number, number];
  /** Resolves to the exit code. */
  run(flags: FlagValues, args: string[], globals: Globals): Promise<number> | number;
}

/** Print to stdout synchronously: tsrun exits right after, and async pipe writes could be lost. */
export function printOut(text: string): void {
  const buf = Buffer.from(text);
  let off = 0;
  while (off < buf.length) off += require('fs').writeSync(1, buf, off);
}

/**
 * The exit status of a failure, by its code: the one mapping for tsrun and tsctl (and tsrund's
 * start). Every code exits 1, as runc does on any error: its callers (containerd, CRI-O, conmon)
 * read the message, not the status.
 */
export const EXIT_STATUS: Readonly<Record<ErrorCode, number>> = {
  'invalid-argument': 1,
  'not-found': 1,
  'already-exists': 1,
  'failed-precondition': 1,
  'out-of-range': 1,
  'resource-exhausted': 1,
  unimplemented: 1,
  unavailable: 1,
  'deadline-exceeded': 1,
  internal: 1,
};

/** The exit status for `err`; an error not of the shape (a bug) exits as an internal one. */
export const exitStatusOf = (err: unknown): number => EXIT_STATUS[err instanceof TsrunError ? err.code : 'internal'];

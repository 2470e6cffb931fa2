/** What every tsrun command is: its flags, how many arguments, and what it does. */
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

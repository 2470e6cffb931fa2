/**
 * Volume names as docker allows them: a letter or digit, then letters, digits, '_', '.', '-' (so
 * no "..", no '/', no control character: a name names a directory under <root>/volumes). An
 * anonymous volume is named by 64 random hex digits, as docker names it. Pure but for the random.
 */
import * as crypto from 'crypto';
import { invalidArgument } from '../shared/errors';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/** The longest file name Linux takes. */
const MAX_NAME = 255;

export function checkVolumeName(field: string, name: string): void {
  const shown = JSON.stringify(name.slice(0, 80));
  if (name === '') throw invalidArgument(field, 'a volume name is required');
  if (name.length > MAX_NAME) throw invalidArgument(field, `${shown}... is ${name.length} characters long; a volume name has at most ${MAX_NAME}`);
  if (!NAME.test(name)) {
    throw invalidArgument(field, `${shown} is not a volume name: [A-Za-z0-9][A-Za-z0-9_.-]* (a letter or digit first; no '/', no control characters)`);
  }
}

export function anonymousVolumeName(): string {
  return crypto.randomBytes(32).toString('hex');
}

/** A tar entry's name as the components it puts under the directory it is unpacked into. */
import { invalidArgument } from '../shared/errors';
import { shownName } from './tar';

/** The components of entry `name` ("." dropped); refused when it could reach out of the directory. */
export function entryParts(name: string): string[] {
  if (name.includes('\0')) throw invalidArgument('tar', `entry ${shownName(name)}: its name contains a NUL character`);
  if (name.startsWith('/')) throw invalidArgument('tar', `entry ${shownName(name)}: an absolute name`);
  const parts = name.split('/').filter((c) => c !== '' && c !== '.');
  if (parts.includes('..')) throw invalidArgument('tar', `entry ${shownName(name)}: a ".." component`);
  return parts;
}

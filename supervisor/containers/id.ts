/**
 * Container ids name directories (<root>/containers/<id>, <state>/tasks/<id>) and cgroups, so
 * they are checked before anything touches the file system. The rule, close to containerd's
 * identifiers and a subset of what runc accepts: 1 to 76 characters of letters, digits and
 * `_ . + -`, the first a letter, digit or `_`. That excludes '/', "..", ".", a leading '-',
 * spaces and every control character.
 */
import { invalidArgument } from '../shared/errors';

export const MAX_ID_LENGTH = 76;
const ID_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.+-]*$/;

/** @throws INVALID_ARGUMENT naming `field` when `id` breaks the rule. */
export function checkId(id: string, field = 'id'): void {
  if (id === '') throw invalidArgument(field, 'must not be empty');
  if (id.length > MAX_ID_LENGTH) throw invalidArgument(field, `is ${id.length} characters long; the limit is ${MAX_ID_LENGTH}`);
  if (!ID_PATTERN.test(id)) {
    throw invalidArgument(field, `${JSON.stringify(id)} is not a valid id: use letters, digits and _ . + - (not first: . + -)`);
  }
}

/**
 * Names of tsrund's networks: what a user may call one (Docker's rule: letters, digits, "_",
 * "." and "-", starting with a letter or digit; at most 64 here, so a name always fits a file
 * name and a log line) and the Linux bridge a managed network gets from its id.
 */
import { invalidArgument, TsrunError } from '../shared/errors';

const NETWORK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function checkNetworkName(name: string, field: string): void {
  if (name === '') throw invalidArgument(field, 'a network name is required');
  if (name.length > 64) throw invalidArgument(field, `a network name is at most 64 characters (this one has ${name.length})`);
  if (!NETWORK_NAME.test(name)) {
    throw invalidArgument(field, `${JSON.stringify(name)} is not a valid network name (letters, digits, "_", "." and "-", starting with a letter or digit)`);
  }
}

/** Linux's IFNAMSIZ less its terminating NUL. */
const MAX_LINK_NAME = 15;
const BRIDGE_PREFIX = 'tsr-';

/** The bridge of a managed network: "tsr-" and the first 11 hex digits of its id (15 bytes). */
export function bridgeNameFor(networkId: string): string {
  if (!/^[0-9a-f]{11,}$/.test(networkId)) throw new TsrunError(`network id ${JSON.stringify(networkId)} is not a hex digest`, { code: 'internal' });
  return BRIDGE_PREFIX + networkId.slice(0, MAX_LINK_NAME - BRIDGE_PREFIX.length);
}

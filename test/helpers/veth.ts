/**
 * veth pairs for the tests of linux.netDevices: unique names, addresses on the end that moves,
 * and removal of exactly the interfaces made here (never any other).
 */
import { execFileSync, spawnSync } from 'child_process';

export interface VethPair {
  /** The end a test moves into a container. */
  end: string;
  peer: string;
}

let serial = 0;

/**
 * A veth pair named `<prefix><pid><n>a` / `...b` (at most 15 bytes), MTU 1400 on `end` and
 * each of `addresses` ("10.0.0.2/24", or an `ip addr add` argument list) added to it.
 */
export function makeVethPair(prefix: string, addresses: Array<string | string[]>): VethPair {
  const tag = `${prefix}${process.pid % 100000}${++serial}`;
  const pair = { end: `${tag}a`, peer: `${tag}b` };
  ip(['link', 'add', pair.end, 'type', 'veth', 'peer', 'name', pair.peer]);
  try {
    ip(['link', 'set', pair.end, 'mtu', '1400']);
    for (const a of addresses) ip(['addr', 'add', ...(typeof a === 'string' ? [a] : a), 'dev', pair.end]);
  } catch (err) {
    deleteLinks(pair);
    throw err;
  }
  return pair;
}

export function ip(args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8' });
}

export function linkExists(name: string): boolean {
  return spawnSync('ip', ['link', 'show', 'dev', name], { stdio: 'ignore' }).status === 0;
}

/** Delete both ends if still there (a container's namespace may have taken them already). */
export function deleteLinks(pair: VethPair): void {
  for (const name of [pair.end, pair.peer]) {
    if (linkExists(name)) spawnSync('ip', ['link', 'del', 'dev', name], { stdio: 'ignore' });
  }
}

/**
 * The capabilities tsrund can grant: those the runtime knows that are in its own bounding set. A
 * container cannot be given one tsrund lacks (capset fails with EPERM), so "every capability"
 * (--privileged, cap_add ALL) means these — on a machine that runs tsrund itself with fewer
 * capabilities than the kernel has, the ones it has.
 */
import * as fs from 'fs';
import { CAPABILITIES } from '../../runtime/plan/linux';

/** The capabilities of a CapBnd line of /proc/<pid>/status text, in their numeric order. */
export function boundingCapabilities(status: string): string[] {
  const hex = /^CapBnd:\s+([0-9a-f]+)$/m.exec(status)?.[1];
  if (!hex) return Object.keys(CAPABILITIES);
  const set = BigInt(`0x${hex}`);
  return Object.keys(CAPABILITIES).filter((cap) => (set >> BigInt(CAPABILITIES[cap])) & 1n);
}

let grantable: string[] | null = null;
export function grantableCapabilities(): string[] {
  grantable ??= boundingCapabilities(fs.readFileSync('/proc/self/status', 'utf8'));
  return grantable;
}

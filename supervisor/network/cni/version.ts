/** CNI specification versions ("1.0.0"): which are well formed, and how they compare. */

const VERSION = /^(0|[1-9]\d{0,3})\.(0|[1-9]\d{0,3})\.(0|[1-9]\d{0,3})$/;

export function isCniVersion(text: string): boolean {
  return VERSION.test(text);
}

/** Negative, zero or positive as `a` is older than, the same as, or newer than `b` (both well formed). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  return pa[0] - pb[0] || pa[1] - pb[1] || pa[2] - pb[2];
}

export const atLeast = (version: string, minimum: string): boolean => compareVersions(version, minimum) >= 0;

/** The newest version this library speaks, sent with VERSION. */
export const CURRENT_VERSION = '1.1.0';

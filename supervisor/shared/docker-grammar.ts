/**
 * What docker's run flags and tsrund's checks of the same fields must agree on: the ulimit names
 * docker knows and the device permissions it takes. Pure.
 */

/** docker's ulimit names (go-units' table; it leaves "as" out, and so does tsrun). */
export const ULIMIT_NAMES: readonly string[] = [
  'core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack',
];

/** docker's validDeviceMode: r, w and m, each at most once, at least one. */
export function validDeviceMode(mode: string): boolean {
  return mode !== '' && [...mode].every((c, i) => 'rwm'.includes(c) && mode.indexOf(c) === i);
}

/**
 * A shell script for a busybox container that shows 127.0.0.1 reachable: it prints
 * "over-loopback" only if a client reached a listener on lo, and "unreachable" (from nc) if lo is
 * down. A refused try or two come first while the listener starts.
 *
 * busybox nc ends when its peer's side closes, even with its own stdin still unread: a listener
 * reading what to send from a pipe, or a client holding what it sent, lost it in a third of tries
 * under load (with runc as with tsrun). Here the listener's `-e echo` has written the line before
 * the socket closes, and the client prints until that close.
 */
export const LOOPBACK_PROBE =
  'nc -l -p 7777 -e echo over-loopback & for i in 1 2 3 4 5 6 7 8 9 10; do nc 127.0.0.1 7777 </dev/null 2>&1 && break; sleep 0.2; done; wait';

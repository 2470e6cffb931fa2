/**
 * The merged view of unpacked layers without mounting them, as overlayfs shows it: the top-most
 * layer that has a path wins, a whiteout (0:0 character device) hides it, an opaque directory
 * (trusted.overlay.opaque=y) hides what lies beneath; nothing is followed through a symlink.
 */
import * as fs from 'fs';
import * as path from 'path';
import { lgetxattr } from '../../runtime/native';
import { hasErrno } from '../../common/errors';

/**
 * Where the merged view of `layers` (top-most first) finds the path `parts`: the top-most layer's
 * entry for it and its lstat; null when absent, hidden by a whiteout or an opaque directory, or
 * reached through something that is not a directory (a symlink included).
 */
export function layeredEntry(layers: readonly string[], parts: readonly string[]): { path: string; st: fs.Stats } | null {
  for (const layer of layers) {
    const found = lookup(layer, parts);
    if (found === 'hidden') return null;
    if (found !== 'absent') return found;
  }
  return null;
}

/** What one layer says about the path: its entry, that it hides it, or nothing. */
function lookup(layer: string, parts: readonly string[]): { path: string; st: fs.Stats } | 'hidden' | 'absent' {
  let at = layer;
  let opaque = false;
  for (const [i, part] of parts.entries()) {
    at = path.join(at, part);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(at);
    } catch (err) {
      if (!hasErrno(err, 'ENOENT', 'ENOTDIR')) throw err;
      return opaque ? 'hidden' : 'absent';
    }
    if (st.isCharacterDevice() && st.rdev === 0) return 'hidden';
    if (i === parts.length - 1) return { path: at, st };
    if (!st.isDirectory()) return 'hidden';
    opaque = isOpaque(at);
  }
  return 'absent';
}

function isOpaque(dir: string): boolean {
  try {
    return lgetxattr(dir, 'trusted.overlay.opaque').toString() === 'y';
  } catch (err) {
    if (hasErrno(err, 'ENODATA', 'ENOTSUP')) return false; // no such attribute
    throw err;
  }
}

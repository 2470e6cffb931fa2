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
    opaque = isOpaqueDirectory(at);
  }
  return 'absent';
}

/** The attribute of an opaque directory: overlayfs hides what the layers beneath hold there. */
export const OPAQUE_XATTR = 'trusted.overlay.opaque';

/** Whether overlayfs hides what the layers beneath hold in `dir` (trusted.overlay.opaque=y). */
export function isOpaqueDirectory(dir: string): boolean {
  try {
    return lgetxattr(dir, OPAQUE_XATTR).toString() === 'y';
  } catch (err) {
    if (hasErrno(err, 'ENODATA', 'ENOTSUP')) return false; // no such attribute
    throw err;
  }
}

/**
 * The names the merged view of `layers` (top-most first) lists in the directory `parts`: those of
 * every layer down to the first that hides the directory beneath it (opaque, a whiteout, not a
 * directory). Unsorted, and whiteouts included: look each one up with layeredEntry.
 */
export function layeredDirectoryNames(layers: readonly string[], parts: readonly string[]): string[] {
  const names = new Set<string>();
  for (const layer of layers) {
    const found = parts.length === 0 ? { path: layer, st: fs.lstatSync(layer) } : lookup(layer, parts);
    if (found === 'hidden') break;
    if (found === 'absent') continue;
    if (!found.st.isDirectory()) break;
    for (const name of fs.readdirSync(found.path)) names.add(name);
    if (isOpaqueDirectory(found.path)) break;
  }
  return [...names];
}

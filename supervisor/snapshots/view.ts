/**
 * Read a file of an image as its container would see it, from the unpacked layers without
 * mounting them: the top-most layer that has the path wins, a whiteout (0:0 character device)
 * hides it, an opaque directory (trusted.overlay.opaque=y) hides what lies beneath. Used for the
 * image's /etc/passwd and /etc/group. No symlink is followed: a path through one, or a file
 * that is one, reads as absent.
 */
import * as fs from 'fs';
import { entryComponents } from './apply';
import { layeredEntry } from './merged-view';

/** Bytes read from a layered file at most (passwd and group files are small). */
const MAX_FILE = 4 << 20;

/** The content of `file` (a path inside the image) in the stack `layers` (directories, top-most first); null when absent. */
export function readLayeredFile(layers: readonly string[], file: string): Buffer | null {
  const found = layeredEntry(layers, entryComponents(file.replace(/^\/+/, '')));
  if (found === null || !found.st.isFile() || found.st.size > MAX_FILE) return null;
  return fs.readFileSync(found.path);
}

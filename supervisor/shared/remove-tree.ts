/**
 * Remove a directory tree that tsrund did not write itself (a container's writable layer, a layer
 * being unpacked, an unpacked image layer): iteratively, asynchronously, never following a symlink
 * and never crossing into a mount.
 *
 * Why not fs.rmSync({ recursive }): it recurses (a 2000-level tree exhausts the stack), blocks the
 * event loop, and works with whole paths: a tree 100,000 levels deep has paths far beyond PATH_MAX
 * (4096), where every path call fails with ENAMETOOLONG. Node has no *at() calls, so a subtree
 * whose path grows past SHALLOW_LIMIT bytes is renamed up to the top of the tree (rename(2) of a
 * directory within one file system) and removed from there: no path handed to the kernel is ever
 * longer than SHALLOW_LIMIT plus one name.
 *
 * Mounts: a directory on another device than the tree's root, or listed as a mount point in
 * /proc/self/mountinfo, is left alone; the removal then fails naming it (its parents stay).
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as fsp from 'fs/promises';
import * as path from 'path';
import { TsrunError } from '../../common/errors';

/**
 * Longest path (bytes) this module asks the kernel about before moving a subtree up: well under
 * PATH_MAX, and short, since every call walks the whole path again.
 */
const SHALLOW_LIMIT = 512;

export class RemoveTreeError extends TsrunError {
  constructor(message: string) {
    super(message, { code: 'internal' });
    this.name = 'RemoveTreeError';
  }
}

/** Remove `root` and everything beneath it; a missing `root` is not an error. */
export async function removeTree(root: string): Promise<void> {
  root = path.resolve(root);
  const st = await lstatOrNull(root);
  if (st === null) return;
  if (!st.isDirectory()) {
    await fsp.unlink(root);
    return;
  }
  let mounts = mountPointsUnder(root);
  if (mounts.has(root)) throw new RemoveTreeError(`${root} is a mount point: not removed`);
  const left: string[] = [];
  const stack: { dir: string; listed: boolean }[] = [{ dir: root, listed: false }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    if (top.listed) {
      stack.pop();
      await fsp.rmdir(top.dir).catch((err: NodeJS.ErrnoException) => {
        // A directory that still holds a mount (left alone above) stays; ENOENT: gone already.
        if (err.code === 'ENOENT' || (err.code === 'ENOTEMPTY' && left.length > 0)) return;
        throw err;
      });
      continue;
    }
    top.listed = true;
    const entries = await fsp.readdir(top.dir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [];
      throw err;
    });
    for (const e of entries) {
      let child = `${top.dir}/${e.name}`;
      if (!e.isDirectory()) {
        await fsp.unlink(child).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'ENOENT') throw err;
        });
        continue;
      }
      const cst = await lstatOrNull(child);
      if (cst === null) continue;
      if (cst.dev !== st.dev || mounts.has(child)) {
        left.push(child);
        continue;
      }
      if (Buffer.byteLength(child) > SHALLOW_LIMIT) {
        const moved = `${root}/.remove-${crypto.randomBytes(8).toString('hex')}`;
        await fsp.rename(child, moved);
        // Mount points beneath moved with it: read their new paths.
        if (mounts.size > 0) mounts = mountPointsUnder(root);
        child = moved;
      }
      stack.push({ dir: child, listed: false });
    }
  }
  if (left.length > 0) {
    const shown = left.slice(0, 3).map((p) => JSON.stringify(path.relative(root, p))).join(', ');
    throw new RemoveTreeError(`${root}: not removed: it holds mount points (${shown}${left.length > 3 ? ', ...' : ''}); unmount them and retry`);
  }
}

async function lstatOrNull(p: string): Promise<fs.Stats | null> {
  try {
    return await fsp.lstat(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** Mount points at or beneath `root` in this process's mount namespace. */
function mountPointsUnder(root: string): Set<string> {
  const out = new Set<string>();
  // Unreadable, it fails the removal: read as "no mounts", the walk would descend into them.
  const text = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  for (const line of text.split('\n')) {
    const field = line.split(' ')[4];
    if (field === undefined) continue;
    // mountinfo escapes space, tab, newline and backslash as \ooo.
    const p = field.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (p === root || p.startsWith(`${root}/`)) out.add(p);
  }
  return out;
}

/**
 * The changes a writable layer (an overlay upper directory) makes to the layers beneath it, as
 * `docker diff` lists them: A (added), C (changed: a file replaced, or a directory something in it
 * changed), D (deleted: a whiteout, a 0:0 character device; or what an opaque directory hides).
 * Only reads: nothing is followed through a symlink (entries are lstat'ed, directories listed by
 * their path in the upper directory). `commit` walks the same way to build a layer
 * (../images/layer-writer.ts).
 */
import * as fs from 'fs';
import * as path from 'path';
import { isOpaqueDirectory, layeredDirectoryNames, layeredEntry } from './merged-view';

export type ChangeKind = 'A' | 'C' | 'D';

export interface LayerChange {
  kind: ChangeKind;
  /** Absolute in the container ("/etc/hostname"). */
  path: string;
}

/** What the walk of an upper directory meets, parent directories before what they hold. */
export interface UpperVisitor {
  /** Anything in the upper directory but a whiteout; `below`: the layers beneath have the path too. */
  entry(parts: readonly string[], st: fs.Stats, below: boolean): void;
  /** A whiteout hiding what the layers beneath have at `parts` (one hiding nothing is not reported). */
  whiteout(parts: readonly string[]): void;
  /** An opaque directory (reported after its entry); `hidden` lists what it hides of the layers beneath. */
  opaque(parts: readonly string[], hidden: () => string[]): void;
}

/** Walk `upper` over `lowers` (top-most first); the upper directory itself is not reported. */
export function walkUpper(upper: string, lowers: readonly string[], visit: UpperVisitor, dir: readonly string[] = []): void {
  const here = path.join(upper, ...dir);
  const names = fs.readdirSync(here);
  if (dir.length > 0 && isOpaqueDirectory(here)) {
    // What the layers beneath had here is gone, but for what the upper directory holds again.
    const kept = new Set(names);
    visit.opaque(dir, () => layeredDirectoryNames(lowers, dir).filter((name) => !kept.has(name) && layeredEntry(lowers, [...dir, name])));
  }
  for (const name of names) {
    const parts = [...dir, name];
    const st = fs.lstatSync(path.join(upper, ...parts));
    const below = layeredEntry(lowers, parts) !== null;
    if (st.isCharacterDevice() && st.rdev === 0) {
      if (below) visit.whiteout(parts);
      continue;
    }
    visit.entry(parts, st, below);
    if (st.isDirectory()) walkUpper(upper, lowers, visit, parts);
  }
}

/** The changes of `upper` over `lowers` (top-most first), sorted by path. */
export function layerChanges(upper: string, lowers: readonly string[]): LayerChange[] {
  const changes: LayerChange[] = [];
  walkUpper(upper, lowers, {
    entry: (parts, _st, below) => changes.push({ kind: below ? 'C' : 'A', path: inContainer(parts) }),
    whiteout: (parts) => changes.push({ kind: 'D', path: inContainer(parts) }),
    opaque: (parts, hidden) => {
      for (const name of hidden()) changes.push({ kind: 'D', path: inContainer([...parts, name]) });
    },
  });
  return changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

const inContainer = (parts: readonly string[]): string => '/' + parts.join('/');

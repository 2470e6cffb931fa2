/**
 * COPY and ADD: which files a step copies (Docker's source and destination rules), a digest of
 * what it copies (names, types, modes, owners and contents; not times) for the step's cache key,
 * and the copy itself into a fresh upper directory over the image's layers.
 *
 * Sources are read from a merged view of directories (top-most first): the build context alone,
 * or the unpacked layers of a stage or image (--from). A source is cleaned as a path beneath the
 * view's root; one that would leave it (`../x`) is refused, and a symlink met on the way is
 * followed only within the root (an absolute target or `..` stops at the root, as a chroot would).
 * Inside a copied directory symlinks are copied as symlinks, never followed.
 *
 * Rules (docker's): a directory source copies its content, not itself; several sources (or a
 * wildcard) need a destination directory (ending in "/"); a destination ending in "/" or an
 * existing directory receives the source by its base name; a relative destination is beneath
 * WORKDIR. Wildcards are Go's filepath.Match per path component (`*`, `?`, `[...]`).
 * Files from the context are owned by 0:0 unless --chown; files from --from keep their owners.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { pipeline } from 'stream/promises';
import { copyMetadata } from '../snapshots/apply';
import { layeredDirectoryNames, layeredEntry } from '../snapshots/merged-view';

/** A refusal of the step's sources or destination; the builder adds the Dockerfile position. */
export class CopyError extends Error {}

/** One thing to write beneath the destination root: a directory, a file, a symlink. */
export interface CopyItem {
  /** Components beneath the image root. */
  dest: string[];
  type: 'directory' | 'file' | 'symlink';
  /** Where its content is (files), for symlinks the target. */
  source: string;
  linkTarget: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
}

export interface CopyOptions {
  /** The view sources are read from, top-most first. */
  from: readonly string[];
  /** The image's layers (top-most first): what the destination already holds. */
  image: readonly string[];
  sources: string[];
  /** As written (after substitution); relative to `workdir`. */
  dest: string;
  workdir: string;
  /** Owner from --chown, resolved; null: 0:0 from the context, the source's from --from. */
  owner: { uid: number; gid: number } | null;
  keepOwners: boolean;
  /** --chmod's bits; null: the source's. */
  mode: number | null;
  /** ADD: a source that is a tar archive (plain, gzip or zstd) is unpacked by `extract`. */
  extract: ((file: string) => Promise<string | null>) | null;
}

const MAX_SYMLINK_HOPS = 40;

/** What the step copies, in the order it is written (parents before children). */
export async function planCopy(o: CopyOptions): Promise<CopyItem[]> {
  const matched: { parts: string[]; resolved: string[]; st: fs.Stats; path: string }[] = [];
  for (const src of o.sources) {
    const parts = cleanSource(src);
    const hits = hasWildcard(src) ? globMatches(o.from, parts) : [parts];
    let any = false;
    for (const hit of hits) {
      const found = resolveFollowing(o.from, hit);
      if (!found) continue;
      matched.push({ parts: hit, ...found });
      any = true;
    }
    if (!any) throw new CopyError(hasWildcard(src) ? `no source file matches ${JSON.stringify(src)}` : `${JSON.stringify(src)} is not in the ${o.extract === null && o.keepOwners ? 'image or stage' : 'build context'}`);
  }
  const destIsDir = o.dest.endsWith('/') || o.dest.endsWith('/.') || o.dest === '.';
  const destParts = path.posix.resolve('/', o.workdir, o.dest).split('/').filter(Boolean);
  const existingDir = layeredEntry(o.image, destParts)?.st.isDirectory() ?? false;
  if (matched.length > 1 && !destIsDir && !existingDir) {
    throw new CopyError(`with more than one source file, the destination must be a directory and end with a "/" (${JSON.stringify(o.dest)})`);
  }
  const items: CopyItem[] = [];
  const owner = (st: fs.Stats) => o.owner ?? (o.keepOwners ? { uid: st.uid, gid: st.gid } : { uid: 0, gid: 0 });
  const item = (dest: string[], st: fs.Stats, source: string): CopyItem => ({
    dest,
    type: st.isDirectory() ? 'directory' : st.isSymbolicLink() ? 'symlink' : 'file',
    source,
    linkTarget: st.isSymbolicLink() ? fs.readlinkSync(source) : '',
    mode: o.mode ?? st.mode & 0o7777,
    ...owner(st),
    size: st.isFile() ? st.size : 0,
  });
  /** The merged directory `dir` of `view`, beneath `dest`, parents first. */
  const addTree = (view: readonly string[], dir: string[], dest: string[]) => {
    for (const name of layeredDirectoryNames(view, dir).sort()) {
      const found = layeredEntry(view, [...dir, name]);
      if (!found) continue; // a whiteout
      checkCopyable(found.st, [...dir, name].join('/'));
      items.push(item([...dest, name], found.st, found.path));
      if (found.st.isDirectory()) addTree(view, [...dir, name], [...dest, name]);
    }
  };
  for (const m of matched) {
    if (m.st.isDirectory()) {
      items.push(item(destParts, m.st, m.path));
      addTree(o.from, m.resolved, destParts);
      continue;
    }
    checkCopyable(m.st, m.parts.join('/'));
    const into = destIsDir || existingDir || matched.length > 1;
    const extracted = o.extract && m.st.isFile() ? await o.extract(m.path) : null;
    if (extracted !== null) {
      addTree([extracted], [], destParts);
      continue;
    }
    items.push(item(into ? [...destParts, m.parts[m.parts.length - 1]] : destParts, m.st, m.path));
  }
  return items;
}

/** A digest of what the items write: names, types, modes, owners, contents and link targets. */
export async function copyDigest(items: readonly CopyItem[]): Promise<string> {
  const h = crypto.createHash('sha256');
  for (const i of items) {
    h.update(JSON.stringify([i.dest, i.type, i.mode, i.uid, i.gid, i.linkTarget, i.size]));
    if (i.type === 'file') {
      const f = crypto.createHash('sha256');
      await pipeline(fs.createReadStream(i.source), f);
      h.update(f.digest());
    }
  }
  return `sha256:${h.digest('hex')}`;
}

/**
 * Write the items into `upper` (an empty directory): the destination's parents as the image
 * has them (or 0755 root directories where it has none), then each item with its owner and mode.
 */
export async function writeCopy(items: readonly CopyItem[], upper: string, image: readonly string[]): Promise<void> {
  const made = new Set<string>();
  const parent = (parts: string[]) => {
    let at = upper;
    for (let i = 0; i < parts.length; i++) {
      at = path.join(at, parts[i]);
      const key = parts.slice(0, i + 1).join('/');
      if (made.has(key)) continue;
      made.add(key);
      if (fs.existsSync(at)) continue;
      fs.mkdirSync(at, 0o755);
      const below = layeredEntry(image, parts.slice(0, i + 1));
      if (below?.st.isDirectory()) copyMetadata(below.path, at, true);
      else if (below) throw new CopyError(`${JSON.stringify(`/${key}`)} is not a directory in the image`);
    }
  };
  for (const i of items) {
    parent(i.dest.slice(0, -1));
    const target = path.join(upper, ...i.dest);
    if (i.type === 'directory') {
      if (!fs.existsSync(target)) fs.mkdirSync(target, 0o700);
      made.add(i.dest.join('/'));
    } else {
      fs.rmSync(target, { force: true, recursive: true });
      if (i.type === 'file') await pipeline(fs.createReadStream(i.source), fs.createWriteStream(target, { flags: 'wx', mode: 0o600 }));
      else fs.symlinkSync(i.linkTarget, target);
    }
    fs.lchownSync(target, i.uid, i.gid);
    if (i.type !== 'symlink') fs.chmodSync(target, i.mode);
  }
}

function checkCopyable(st: fs.Stats, shown: string): void {
  if (!st.isFile() && !st.isDirectory() && !st.isSymbolicLink()) throw new CopyError(`${JSON.stringify(shown)} is a device, fifo or socket: only files, directories and symlinks are copied`);
}

/** The source's components beneath the root; refused when it would leave it. */
export function cleanSource(src: string): string[] {
  const parts: string[] = [];
  for (const c of src.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') {
      if (parts.length === 0) throw new CopyError(`${JSON.stringify(src)} is outside the build context`);
      parts.pop();
    } else parts.push(c);
  }
  return parts;
}

/** `parts` resolved in the view, symlinks followed within the root (and the components they lead to); null when absent. */
function resolveFollowing(view: readonly string[], parts: string[]): { resolved: string[]; path: string; st: fs.Stats } | null {
  let done: string[] = [];
  let todo = [...parts];
  let hops = 0;
  while (todo.length > 0) {
    const next = [...done, todo.shift()!];
    const found = layeredEntry(view, next);
    if (!found) return null;
    if (found.st.isSymbolicLink()) {
      if (++hops > MAX_SYMLINK_HOPS) throw new CopyError(`${JSON.stringify(parts.join('/'))}: too many levels of symlinks`);
      const target = fs.readlinkSync(found.path);
      todo = [...clamp([...(target.startsWith('/') ? [] : done), ...target.split('/')]), ...todo];
      done = [];
      continue;
    }
    done = next;
  }
  if (done.length === 0) return { resolved: [], path: view[0], st: fs.lstatSync(view[0]) };
  const found = layeredEntry(view, done);
  return found && { resolved: done, ...found };
}

/** Components with `..` stopping at the root. */
function clamp(parts: string[]): string[] {
  const out: string[] = [];
  for (const c of parts) {
    if (c === '' || c === '.') continue;
    if (c === '..') out.pop();
    else out.push(c);
  }
  return out;
}

const hasWildcard = (s: string) => /[*?[]/.test(s);

/** Every path of the view matching the components of `pattern` (filepath.Match per component), sorted. */
function globMatches(view: readonly string[], pattern: string[]): string[][] {
  let at: string[][] = [[]];
  for (const comp of pattern) {
    const next: string[][] = [];
    for (const dir of at) {
      if (!hasWildcard(comp)) {
        if (layeredEntry(view, [...dir, comp])) next.push([...dir, comp]);
        continue;
      }
      const re = matcher(comp);
      const here = dir.length === 0 || layeredEntry(view, dir)?.st.isDirectory();
      if (!here) continue;
      for (const name of layeredDirectoryNames(view, dir).sort()) if (re.test(name) && layeredEntry(view, [...dir, name])) next.push([...dir, name]);
    }
    at = next;
  }
  return at;
}

/** Go's filepath.Match for one component as a RegExp: `*`, `?`, `[...]` (with `^` or `!` negation), `\` escapes. */
export function matcher(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\' && i + 1 < pattern.length) re += escapeRe(pattern[++i]);
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) throw new CopyError(`bad pattern ${JSON.stringify(pattern)}: "[" without "]"`);
      let body = pattern.slice(i + 1, end);
      const negate = body.startsWith('^') || body.startsWith('!');
      if (negate) body = body.slice(1);
      re += `[${negate ? '^' : ''}${body.replace(/[\]\\^]/g, (m) => `\\${m}`)}]`;
      i = end;
    } else re += escapeRe(c);
  }
  return new RegExp(`^${re}$`);
}

const escapeRe = (c: string) => c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/**
 * `tsctl cp ID:PATH DEST` and `tsctl cp SRC ID:DIR` (docker cp): the tar streams of
 * Containers.CopyFrom and CopyTo, made from and unpacked to the caller's files. "-" for DEST or
 * SRC is the tar itself on stdout or stdin. Unpacking a container's tar here checks each entry as
 * tsrund does on its side: relative names without "..", never written through a symlink.
 */
import * as fs from 'fs';
import * as path from 'path';
import { PassThrough, Readable } from 'stream';
import { TsrunError } from '../../common/errors';
import { readTar, TarWriter, type TarEntry } from '../archive/tar';
import { entryParts } from '../archive/entry-name';
import type { TsrundClient } from '../client/client';
import { writeOutput } from './output';

/** "ID:PATH" -> its parts; null for a path of the caller's. */
export function containerPath(arg: string): { id: string; path: string } | null {
  const colon = arg.indexOf(':');
  // A local path with a colon is written ./a:b (docker's rule too).
  if (colon <= 0 || arg.startsWith('.') || arg.startsWith('/')) return null;
  return { id: arg.slice(0, colon), path: arg.slice(colon + 1) };
}

async function* chunksOf(entries: AsyncIterable<{ data: Buffer }>): AsyncGenerator<Buffer> {
  for await (const e of entries) yield e.data;
}

/** The caller's `src` as a tar (top entry: its last component), symlinks as links. */
function tarOfLocal(src: string): Readable {
  const out = new PassThrough();
  const tar = new TarWriter(out);
  const add = async (file: string, name: string): Promise<void> => {
    const st = fs.lstatSync(file);
    const h = {
      path: name,
      mode: st.mode & 0o7777,
      uid: st.uid,
      gid: st.gid,
      mtime: st.mtimeMs / 1000,
    };
    if (st.isSymbolicLink()) await tar.add({ ...h, type: 'symlink', linkname: fs.readlinkSync(file) });
    else if (st.isFile()) await tar.add({ ...h, type: 'file', size: st.size }, fs.createReadStream(file));
    else if (st.isDirectory()) {
      await tar.add({ ...h, type: 'directory' });
      for (const child of fs.readdirSync(file).sort()) await add(path.join(file, child), `${name}/${child}`);
    } else throw new TsrunError(`cp: ${file}: only files, directories and symlinks are copied`, { code: 'invalid-argument' });
  };
  add(src, path.basename(path.resolve(src)))
    .then(() => tar.finish())
    .then(
      () => out.end(),
      (err: Error) => out.destroy(err),
    );
  return out;
}

/** The directory `parts` under `base`, each component a directory (made when missing), none a symlink. */
function localDir(base: string, parts: readonly string[], what: string): string {
  let at = base;
  for (const part of parts) {
    at = path.join(at, part);
    const st = fs.lstatSync(at, { throwIfNoEntry: false });
    if (!st) fs.mkdirSync(at);
    else if (!st.isDirectory())
      throw new TsrunError(`cp: ${what}: ${at} is not a directory (a symlink is not followed)`, { code: 'invalid-argument' });
  }
  return at;
}

/** One entry of a container's tar written under `base` (`rename`: the top component's new name). */
async function unpackLocal(base: string, e: TarEntry, rename: string | null): Promise<void> {
  const parts = entryParts(e.header.path);
  if (parts.length === 0) return void e.body.resume();
  if (rename !== null) parts[0] = rename;
  const what = `entry ${JSON.stringify(e.header.path.slice(0, 200))}`;
  const h = e.header;
  if (h.type === 'directory') {
    fs.chmodSync(localDir(base, parts, what), h.mode & 0o7777);
    return void e.body.resume();
  }
  const target = path.join(localDir(base, parts.slice(0, -1), what), parts[parts.length - 1]);
  const st = fs.lstatSync(target, { throwIfNoEntry: false });
  if (st?.isDirectory())
    throw new TsrunError(`cp: ${what}: ${target} is a directory`, {
      code: 'invalid-argument',
    });
  if (st) fs.unlinkSync(target);
  if (h.type === 'symlink') fs.symlinkSync(h.linkname, target);
  else if (h.type === 'file') {
    const fd = fs.openSync(
      target,
      fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW,
      h.mode & 0o7777,
    );
    try {
      for await (const chunk of e.body) fs.writeSync(fd, chunk as Buffer);
      fs.fchmodSync(fd, h.mode & 0o7777);
    } finally {
      fs.closeSync(fd);
    }
  } else
    throw new TsrunError(`cp: ${what}: a ${h.type} is not copied out`, {
      code: 'invalid-argument',
    });
  e.body.resume();
}

export async function copyCommand(c: TsrundClient, [from, to]: string[]): Promise<number> {
  const src = containerPath(from);
  const dst = containerPath(to);
  if ((src === null) === (dst === null))
    throw new TsrunError('cp: give one of SRC and DEST as ID:PATH', {
      code: 'invalid-argument',
    });
  if (dst) {
    const tar = from === '-' ? (process.stdin as AsyncIterable<Buffer>) : tarOfLocal(from);
    await c.copyTo(dst.id, dst.path, tar);
    return 0;
  }
  const stream = c.copyFrom(src!.id, src!.path);
  try {
    if (to === '-') {
      for await (const chunk of chunksOf(stream)) await writeOutput('stdout', chunk);
      return 0;
    }
    // Into DEST when it is a directory; else DEST is made of the copy (its top entry renamed).
    const isDir = fs.statSync(to, { throwIfNoEntry: false })?.isDirectory() ?? false;
    const base = isDir ? to : path.dirname(path.resolve(to));
    for await (const e of readTar(chunksOf(stream))) await unpackLocal(base, e, isDir ? null : path.basename(to));
    return 0;
  } catch (err) {
    stream.cancel();
    throw err;
  }
}

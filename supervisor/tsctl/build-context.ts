/**
 * tsctl build's side of the context: where the Dockerfile is (`-f`, relative to the current
 * directory as docker's client takes it; one outside the context is sent on its own) and the
 * context directory as a tar stream, honouring .dockerignore (./dockerignore.ts).
 *
 * The walk goes in name order, never follows a symlink (it is archived as one), keeps owners,
 * modes and mtimes as on disk, archives a second name of a file as a hardlink, and streams every
 * body (no whole file in memory). A directory that .dockerignore leaves out is not read unless an
 * exception could re-include something under it, and is not archived even then: what the exception
 * re-includes comes without it, as docker's client sends it (the receiver makes such parents, 0755,
 * as docker's daemon and buildah do).
 */
import * as fs from 'fs';
import * as path from 'path';
import { PassThrough, type Readable, type Writable } from 'stream';
import { fsErrorText, hasErrno, TsrunError } from '../../common/errors';
import { TarWriter } from '../archive/tar';
import { ignoreMatcher, keepBuildFiles, parseDockerignore, type IgnoreMatcher } from './dockerignore';

/** The Dockerfile: a path inside the context (slash-separated), or one outside it with its text. */
export type DockerfileLocation = { inContext: true; path: string } | { inContext: false; path: string; content: Buffer };

export interface BuildContext {
  /** The context directory, absolute and with its symlinks resolved. */
  dir: string;
  dockerfile: DockerfileLocation;
  /** The .dockerignore patterns, with the exceptions that keep the Dockerfile and .dockerignore. */
  patterns: string[];
  /**
   * The Dockerfile and .dockerignore when .dockerignore leaves them out: sent for the builder
   * only, and hidden from COPY and ADD (as docker's daemon removes them from the context).
   */
  buildFilesOnly: string[];
}

const contextError = (message: string, cause?: unknown) => new TsrunError(message, { code: 'invalid-argument', subject: 'context', cause });

/**
 * The context at `contextArg` and the Dockerfile `dockerfileArg` names (null: the context's
 * Dockerfile, or its lower-case dockerfile as docker's client falls back to).
 */
export function resolveBuildContext(contextArg: string, dockerfileArg: string | null, cwd = process.cwd()): BuildContext {
  let dir: string;
  try {
    dir = fs.realpathSync(path.resolve(cwd, contextArg));
  } catch (err) {
    throw contextError(`build context ${contextArg}: ${hasErrno(err, 'ENOENT') ? 'no such directory' : (fsErrorText(err) ?? String(err))} (give the directory with the files to build)`, err);
  }
  if (!fs.statSync(dir).isDirectory()) throw contextError(`build context ${contextArg}: not a directory (give the directory with the files to build)`);

  let file: string;
  if (dockerfileArg !== null) {
    file = path.resolve(cwd, dockerfileArg);
  } else {
    file = path.join(dir, 'Dockerfile');
    if (!fs.existsSync(file) && fs.existsSync(path.join(dir, 'dockerfile'))) file = path.join(dir, 'dockerfile');
  }
  let real: string;
  try {
    real = fs.realpathSync(file);
    if (!fs.statSync(real).isFile()) throw contextError(`Dockerfile ${dockerfileArg ?? file}: not a file (give the Dockerfile with -f)`);
  } catch (err) {
    if (err instanceof TsrunError) throw err;
    throw contextError(`cannot find the Dockerfile ${dockerfileArg ?? (path.relative(cwd, file) || file)}: ${hasErrno(err, 'ENOENT') ? 'no such file' : (fsErrorText(err) ?? String(err))} (give it with -f)`, err);
  }
  const rel = path.relative(dir, real);
  const inside = rel !== '' && !rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel);
  const dockerfile: DockerfileLocation = inside ? { inContext: true, path: rel.split(path.sep).join('/') } : { inContext: false, path: real, content: fs.readFileSync(real) };

  let patterns: string[] = [];
  try {
    patterns = parseDockerignore(fs.readFileSync(path.join(dir, '.dockerignore'), 'utf8'));
  } catch (err) {
    if (!hasErrno(err, 'ENOENT')) throw contextError(`build context: cannot read .dockerignore: ${fsErrorText(err) ?? String(err)}`, err);
  }
  const user = ignoreMatcher(patterns, path.join(dir, '.dockerignore'));
  const buildFiles = ['.dockerignore', ...(dockerfile.inContext ? [dockerfile.path] : [])];
  return {
    dir,
    dockerfile,
    patterns: keepBuildFiles(patterns, dockerfile.inContext ? dockerfile.path : null),
    buildFilesOnly: buildFiles.filter((f) => user.ignores(f) && fs.existsSync(path.join(dir, f))),
  };
}

/** The context as a tar stream (errors destroy the stream with a one-line TsrunError). */
export function contextTar(ctx: BuildContext): Readable {
  const out = new PassThrough();
  writeContextTar(ctx.dir, ignoreMatcher(ctx.patterns, path.join(ctx.dir, '.dockerignore')), out).then(
    () => out.end(),
    (err: Error) => out.destroy(err),
  );
  return out;
}

/** Writes the files of `dir` that `matcher` keeps to `out` as a tar (finished, `out` not ended); the number of entries. */
export async function writeContextTar(dir: string, matcher: IgnoreMatcher, out: Writable): Promise<number> {
  const tar = new TarWriter(out);
  const links = new Map<string, string>();
  let count = 0;

  const stat = (rel: string): fs.Stats => {
    try {
      return fs.lstatSync(path.join(dir, rel));
    } catch (err) {
      throw contextError(`build context: cannot read ${rel}: ${fsErrorText(err) ?? String(err)} (make it readable or list it in .dockerignore)`, err);
    }
  };

  const add = async (rel: string, st: fs.Stats): Promise<void> => {
    const h = { path: rel, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtimeMs / 1000 };
    const abs = path.join(dir, rel);
    if (st.isDirectory()) await tar.add({ ...h, type: 'directory' });
    else if (st.isSymbolicLink()) await tar.add({ ...h, type: 'symlink', linkname: fs.readlinkSync(abs) });
    else if (st.isFile()) {
      const key = `${st.dev}:${st.ino}`;
      const first = st.nlink > 1 ? links.get(key) : undefined;
      if (first !== undefined) await tar.add({ ...h, type: 'hardlink', linkname: first });
      else {
        if (st.nlink > 1) links.set(key, rel);
        let body: fs.ReadStream;
        try {
          fs.accessSync(abs, fs.constants.R_OK);
          body = fs.createReadStream(abs);
        } catch (err) {
          throw contextError(`build context: cannot read ${rel}: ${fsErrorText(err) ?? String(err)} (make it readable or list it in .dockerignore)`, err);
        }
        await tar.add({ ...h, type: 'file', size: st.size }, body);
      }
    } else if (st.isFIFO()) await tar.add({ ...h, type: 'fifo' });
    else if (st.isCharacterDevice() || st.isBlockDevice()) {
      await tar.add({ ...h, type: st.isCharacterDevice() ? 'char' : 'block', devmajor: Math.floor(st.rdev / 256) & 0xfff, devminor: (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00) });
    } else return; // a socket: tar has no such entry (docker's client leaves them out too)
    count++;
  };

  const walk = async (relDir: string): Promise<void> => {
    let names: string[];
    try {
      names = fs.readdirSync(path.join(dir, relDir)).sort();
    } catch (err) {
      throw contextError(`build context: cannot read ${relDir || '.'}: ${fsErrorText(err) ?? String(err)} (make it readable or list it in .dockerignore)`, err);
    }
    for (const name of names) {
      const rel = relDir === '' ? name : `${relDir}/${name}`;
      const st = stat(rel);
      if (matcher.ignores(rel)) {
        if (st.isDirectory() && !matcher.skipsDir(rel)) await walk(rel);
        continue;
      }
      await add(rel, st);
      if (st.isDirectory()) await walk(rel);
    }
  };

  await walk('');
  await tar.finish();
  return count;
}

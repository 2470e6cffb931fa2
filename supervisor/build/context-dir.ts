/**
 * A build's context, as the client sent it (one tar stream), unpacked into a private directory
 * under <root>/build-tmp with the rules image layers are unpacked by (../snapshots/apply.ts): no
 * absolute path, no `..`, nothing written through a symlink, exact owners and modes; and at most
 * `limit` bytes of tar. The directory is removed when the build ends, however it ends; what a
 * stopped tsrund left there goes at the next build.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { makePrivateDir } from '../shared/atomic-file';
import { invalidArgument } from '../shared/errors';
import { removeTree } from '../shared/remove-tree';
import { applyLayer, LayerError } from '../snapshots/apply';

/** Contexts larger than this are refused unless tsrund is told otherwise. */
export const DEFAULT_CONTEXT_LIMIT = 4 * 2 ** 30;

export interface BuildDirs {
  /** The unpacked context. */
  context: string;
  /** Scratch space of the build's steps (fresh upper directories of COPY and ADD). */
  scratch: string;
  remove(): Promise<void>;
}

/** A fresh private directory for one build under <root>/build-tmp, with the context unpacked into it. */
export async function unpackContext(root: string, tar: AsyncIterable<Buffer>, limit = DEFAULT_CONTEXT_LIMIT): Promise<BuildDirs> {
  const base = path.join(root, 'build-tmp');
  makePrivateDir(base);
  const dir = fs.mkdtempSync(path.join(base, `build-${crypto.randomBytes(4).toString('hex')}-`));
  const dirs: BuildDirs = { context: path.join(dir, 'context'), scratch: path.join(dir, 'scratch'), remove: () => removeTree(dir) };
  try {
    fs.mkdirSync(dirs.context, 0o755);
    fs.mkdirSync(dirs.scratch, 0o700);
    await applyLayer(limited(tar, limit), dirs.context, 'build context');
  } catch (err) {
    await dirs.remove();
    if (err instanceof LayerError) throw invalidArgument('context', err.message);
    throw err;
  }
  return dirs;
}

/** Remove what builds of a tsrund that stopped mid-build left; called before any build starts. */
export async function removeLeftoverBuildDirs(root: string): Promise<void> {
  const base = path.join(root, 'build-tmp');
  if (!fs.existsSync(base)) return;
  for (const name of fs.readdirSync(base)) await removeTree(path.join(base, name));
}

async function* limited(chunks: AsyncIterable<Buffer>, limit: number): AsyncGenerator<Buffer> {
  let total = 0;
  for await (const chunk of chunks) {
    total += chunk.length;
    if (total > limit) throw invalidArgument('context', `the build context is larger than ${limit} bytes: leave out what the build does not need (.dockerignore)`);
    yield chunk;
  }
}

/** The Builds service of the API (api/v1/builds.proto) over the builder (build/builder.ts). */
import * as fs from 'fs';
import * as path from 'path';
import type { BuildOptions as WireOptions, BuildRequest, BuildResponse } from '../api/types';
import { Builder, type BuildOptions } from '../build/builder';
import { removeLeftoverBuildDirs, unpackContext } from '../build/context-dir';
import type { ImageService } from '../images/service';
import type { Logger } from '../shared/logger';
import { invalidArgument } from '../shared/errors';
import { isDirectory } from '../shared/atomic-file';
import { bidiStream, unary, type BidiHandler, type UnaryHandler } from './handlers';
import { checkAbsolutePath } from './request-checks';
import type { Supervisor } from './supervisor';

export function buildsService(log: Logger, s: Supervisor, images: ImageService): Record<string, BidiHandler | UnaryHandler> {
  const builder = new Builder(s, images, s.paths.root);
  // No build runs yet: what is under build-tmp was left by a tsrund that stopped mid-build.
  void removeLeftoverBuildDirs(s.paths.root).catch((err: Error) => log.warn(`builds: could not remove leftover build directories: ${err.message}`));
  return {
    prune: unary(log, 'Builds.Prune', async () => ({ removed: await builder.prune() })),
    build: bidiStream(log, 'Builds.Build', async (requests: AsyncIterable<BuildRequest>, send: (m: BuildResponse) => Promise<void>, cancelled) => {
      const it = requests[Symbol.asyncIterator]();
      const first = await it.next();
      if (first.done || !first.value.options) throw invalidArgument('options', 'the first message of a build holds its options (then the context follows)');
      const o = buildOptions(first.value.options);
      const context = (async function* () {
        for (let r = await it.next(); !r.done; r = await it.next()) {
          if (r.value.options) throw invalidArgument('options', 'only the first message of a build holds options');
          yield r.value.context ?? Buffer.alloc(0);
        }
      })();
      const dirs = await unpackContext(s.paths.root, context);
      try {
        if (o.dockerfileText === null) o.dockerfileText = readDockerfile(dirs.context, first.value.options.dockerfile || 'Dockerfile');
        for (const rel of first.value.options.buildFilesOnly) fs.rmSync(path.join(dirs.context, ...contextPath('build_files_only', rel)), { force: true });
        const outcome = await builder.build(o as BuildOptions, dirs, (p) => send({ progress: { ...p, output: p.output ?? Buffer.alloc(0), stream: p.stream ?? '' } }), cancelled);
        await send({
          result: {
            names: outcome.names,
            manifestDigest: outcome.manifest.digest,
            configDigest: outcome.configDigest,
            steps: outcome.steps,
          },
        });
      } finally {
        await dirs.remove();
      }
    }),
  };
}

function buildOptions(w: WireOptions): Omit<BuildOptions, 'dockerfileText'> & { dockerfileText: string | null } {
  for (const k of Object.keys(w.buildArgs)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw invalidArgument(`build_args[${JSON.stringify(k.slice(0, 40))}]`, 'a build arg is named by letters, digits and "_", not starting with a digit');
  }
  const network = w.network === '' ? 'none' : w.network;
  if (network !== 'none' && network !== 'bridge') throw invalidArgument('network', `${JSON.stringify(w.network)}: a build's network is "none" or "bridge"`);
  let ociDest: string | null = null;
  if (w.output) {
    if (w.output.type !== 'oci') throw invalidArgument('output.type', `${JSON.stringify(w.output.type)}: the one output type is "oci" (an OCI image-layout tar)`);
    checkAbsolutePath('output.dest', w.output.dest);
    if (!isDirectory(path.dirname(w.output.dest))) throw invalidArgument('output.dest', `${path.dirname(w.output.dest)} is not a directory on tsrund's host`);
    ociDest = w.output.dest;
  }
  const name = w.dockerfileText !== '' ? 'Dockerfile' : path.posix.basename(w.dockerfile || 'Dockerfile');
  return {
    tags: w.tags,
    dockerfileName: name,
    dockerfileText: w.dockerfileText !== '' ? w.dockerfileText : null,
    buildArgs: w.buildArgs,
    target: w.target,
    noCache: w.noCache,
    platform: w.platform,
    network,
    ociDest,
  };
}

/** The components of a path inside the context; refused when absolute or with "..". */
function contextPath(field: string, rel: string): string[] {
  const parts = rel.split('/').filter((c) => c !== '' && c !== '.');
  if (rel.startsWith('/') || parts.includes('..') || parts.length === 0) throw invalidArgument(field, `${JSON.stringify(rel)}: give a path inside the context`);
  return parts;
}

/** The Dockerfile at `rel` in the context (never through a symlink out of it). */
function readDockerfile(context: string, rel: string): string {
  const parts = contextPath('dockerfile', rel);
  let at = context;
  for (const p of parts) {
    at = path.join(at, p);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(at);
    } catch {
      throw invalidArgument('dockerfile', `the context has no ${rel}: add it, or name another with -f`);
    }
    if (st.isSymbolicLink()) throw invalidArgument('dockerfile', `${rel} passes through a symlink in the context: name the file itself`);
  }
  return fs.readFileSync(at, 'utf8');
}

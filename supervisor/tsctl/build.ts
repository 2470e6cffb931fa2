/**
 * `tsctl build`: the context directory sent to tsrund as a tar stream (.dockerignore honoured,
 * ../build/context.ts), the build's steps printed as docker's plain progress prints them
 * ("#3 [2/5] RUN make", "#3 CACHED", the RUN's output), then the image's digest.
 * `tsctl builder prune` drops tsrund's build cache.
 */
import * as path from 'path';
import type { FlagSpec, FlagValues } from '../../runtime/cli/args';
import { TsrunError } from '../../common/errors';
import type { TsrundClient } from '../client/client';
import type { BuildOptions, BuildResult } from '../api/types';
import { contextTar, resolveBuildContext, type BuildContext } from './build-context';
import { runSubCommand, type SubCommand } from './command';
import { out, printJson, writeOutput } from './output';

export const BUILD_FLAGS: FlagSpec[] = [
  { name: 'tag', short: 't', kind: 'list', usage: 'NAME[:TAG] the image gets (repeatable)' },
  { name: 'file', short: 'f', kind: 'string', usage: 'the Dockerfile (default: CONTEXT/Dockerfile)', default: '' },
  { name: 'build-arg', kind: 'list', usage: 'KEY=VALUE build argument (repeatable; KEY alone takes its value from the environment)' },
  { name: 'target', kind: 'string', usage: 'the stage to build (default: the last)', default: '' },
  { name: 'no-cache', kind: 'bool', usage: 'run every step, reusing nothing of the build cache', default: false },
  { name: 'platform', kind: 'string', usage: "os/architecture[/variant] of the base images (default: tsrund's)", default: '' },
  { name: 'network', kind: 'string', usage: 'the network of RUN steps: none or bridge', default: 'none' },
  { name: 'output', short: 'o', kind: 'string', usage: 'also write the image: type=oci,dest=FILE (a path on tsrund\'s host)', default: '' },
];

const usage = (message: string) => new TsrunError(`build: ${message} (see tsctl build --help)`, { code: 'invalid-argument' });

/** The request's options from the command line and the resolved context. */
export function buildOptions(f: FlagValues, ctx: BuildContext, env: NodeJS.ProcessEnv = process.env): BuildOptions {
  const buildArgs: Record<string, string> = {};
  for (const a of (f['build-arg'] as string[] | undefined) ?? []) {
    const eq = a.indexOf('=');
    if (eq === 0) throw usage(`--build-arg ${JSON.stringify(a)}: give KEY=VALUE`);
    if (eq < 0) {
      // docker's rule: KEY alone takes the client's environment value, when it has one.
      if (env[a] !== undefined) buildArgs[a] = env[a]!;
    } else buildArgs[a.slice(0, eq)] = a.slice(eq + 1);
  }
  const network = f.network as string;
  if (network !== 'none' && network !== 'bridge') throw usage(`--network ${JSON.stringify(network)}: give none or bridge`);
  return {
    tags: (f.tag as string[] | undefined) ?? [],
    dockerfile: ctx.dockerfile.inContext ? ctx.dockerfile.path : '',
    dockerfileText: ctx.dockerfile.inContext ? '' : ctx.dockerfile.content.toString('utf8'),
    buildArgs,
    target: f.target as string,
    noCache: f['no-cache'] as boolean,
    platform: f.platform as string,
    network,
    output: outputOf(f.output as string),
    buildFilesOnly: ctx.buildFilesOnly,
  };
}

/** -o type=oci,dest=FILE; dest made absolute here (tsrund writes it). */
function outputOf(text: string): BuildOptions['output'] {
  if (text === '') return null;
  const fields = Object.fromEntries(text.split(',').map((kv) => [kv.slice(0, kv.indexOf('=') < 0 ? kv.length : kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  if (fields.type !== 'oci' || !fields.dest) throw usage(`-o ${JSON.stringify(text)}: give type=oci,dest=FILE`);
  return { type: 'oci', dest: path.resolve(fields.dest) };
}

export async function buildCommand(c: TsrundClient, f: FlagValues, [context]: string[], json: boolean): Promise<number> {
  const ctx = resolveBuildContext(context, (f.file as string) || null);
  const options = buildOptions(f, ctx);
  let result: BuildResult | null = null;
  for await (const msg of c.build(options, contextTar(ctx))) {
    if (msg.result) result = msg.result;
    const p = msg.progress;
    if (!p || json) continue;
    const id = `#${p.step}`;
    if (p.status === 'running') out(`${id} [${p.stage === '' ? '' : `${p.stage} `}${stepIndex(p.step, p.steps)}] ${p.instruction}\n`);
    else if (p.status === 'cached') out(`${id} CACHED\n`);
    else if (p.status === 'done') out(`${id} DONE\n`);
    else if (p.status === 'output') await writeOutput(p.stream === 'stderr' ? 'stderr' : 'stdout', p.output);
  }
  if (!result) throw new TsrunError('build: tsrund ended the build without a result', { code: 'internal' });
  if (json) printJson(result);
  else {
    out(`writing image ${result.manifestDigest}${result.names.length ? ` (${result.names.join(', ')})` : ''}\n`);
    out(`${result.manifestDigest}\n`);
  }
  return 0;
}

const stepIndex = (step: number, steps: number) => `${step}/${steps}`;

export const BUILDER_COMMANDS: SubCommand[] = [
  {
    name: 'prune',
    usage: "drop tsrund's build cache (the layers only it kept are removed)",
    argsUsage: '',
    flags: [],
    args: [0, 0],
    async run(c, _f, _args, json) {
      const removed = await c.pruneBuildCache();
      if (json) printJson({ removed });
      else out(`removed ${removed} build cache entries\n`);
      return 0;
    },
  },
];

export function builderCommand(c: TsrundClient, args: string[], json: boolean): Promise<number> {
  return runSubCommand('builder', BUILDER_COMMANDS, {}, c, args, json);
}

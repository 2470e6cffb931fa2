/**
 * docker build, in tsrund: a parsed Dockerfile (./dockerfile/parse.ts) built stage by stage over
 * an unpacked context (./context-dir.ts). Each stage starts from an image (pulled when missing,
 * for the build's platform), scratch, or an earlier stage; its instructions run in order with
 * ARG and ENV in scope (./dockerfile/expand.ts): metadata instructions change the config
 * (./config-changes.ts), RUN runs in a task of tsrund's (./run-step.ts), COPY and ADD copy into
 * a fresh upper directory (./copy-step.ts); RUN's and COPY's changes become layers
 * (../images/layer-writer.ts). Every step first looks in the cache (./cache.ts) under a key of
 * its inputs (./step-key.ts) and stores what it made there.
 *
 * Reproducible: every time the image holds (created, history, layer entries) is
 * SOURCE_DATE_EPOCH (the build arg, else tsrund's environment, else 0), so the same inputs give
 * the same digest. Errors name the Dockerfile's line and column: "Dockerfile:7:1: ...".
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { decompress } from '../archive/compression';
import type { Descriptor, ImageManifest, Platform } from '../content/descriptor';
import type { Lease } from '../content/store';
import { exportArchive } from '../content/oci-archive';
import { imageUser } from '../images/bundle-image';
import { writeImage, type OciImageConfigFile } from '../images/image-writer';
import { writeLayer } from '../images/layer-writer';
import { ImageService } from '../images/service';
import { UserError } from '../images/user';
import { formatPlatform, hostPlatform, parsePlatform, PlatformError } from '../registry/platform';
import { invalidArgument, TsrunError } from '../shared/errors';
import { applyLayer } from '../snapshots/apply';
import type { LayerSource } from '../snapshots/overlay';
import { applyInstruction } from './config-changes';
import { BuildCache, type CacheEntry, type CachedLayer } from './cache';
import { copyDigest, CopyError, planCopy, writeCopy } from './copy-step';
import { declareArgs, expandInstruction, expansionVariables, globalArgValues, instructionVariables, runEnvironment, stageScope, unusedBuildArgs, withEnv } from './dockerfile/expand';
import { DockerfileError, parseDockerfile } from './dockerfile/parse';
import type { CommandForm, Dockerfile, Instruction, SourcePosition, Stage } from './dockerfile/types';
import { runStep, type RunHost } from './run-step';
import { stateIdentity, stepKey } from './step-key';
import type { BuildDirs } from './context-dir';

export interface BuildOptions {
  tags: string[];
  /** The Dockerfile's name in messages ("Dockerfile") and its text. */
  dockerfileName: string;
  dockerfileText: string;
  buildArgs: Record<string, string>;
  target: string;
  noCache: boolean;
  platform: string;
  network: 'none' | 'bridge';
  /** An OCI layout tar to write the result to; null: none. */
  ociDest: string | null;
}

export interface StepProgress {
  step: number;
  steps: number;
  stage: string;
  instruction: string;
  status: 'running' | 'cached' | 'done' | 'output';
  output?: Buffer;
  stream?: string;
}

export interface BuildOutcome {
  names: string[];
  manifest: Descriptor;
  configDigest: string;
  steps: { step: number; instruction: string; cached: boolean }[];
}

/** A stage's image as the build goes: the whole config file and its layers. */
interface ImageState {
  config: OciImageConfigFile;
  layers: CachedLayer[];
}

const DEFAULT_SHELL = ['/bin/sh', '-c'];

/** A failure at a Dockerfile position. */
function at(file: string, pos: SourcePosition, message: string, code: 'invalid-argument' | 'failed-precondition' = 'invalid-argument'): TsrunError {
  if (code === 'invalid-argument') return new DockerfileError({ file, at: pos, message });
  return new TsrunError(`${file}:${pos.line}:${pos.column}: ${message}`, { code, subject: `${file}:${pos.line}:${pos.column}` });
}

export class Builder {
  private readonly cache: BuildCache;

  constructor(
    private readonly host: RunHost,
    private readonly images: ImageService,
    root: string,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.cache = new BuildCache(root);
    images.contentKeeper = () => this.cache.keptContent();
  }

  /** Drop the cache's entries (their layers go at the next collection). */
  async prune(): Promise<number> {
    const n = this.cache.prune();
    await this.images.collect();
    return n;
  }

  async build(o: BuildOptions, dirs: BuildDirs, progress: (p: StepProgress) => Promise<void>, cancelled: () => boolean): Promise<BuildOutcome> {
    const lease = this.images.content.lease();
    try {
      return await new BuildRun(this, o, dirs, lease, progress, cancelled).run();
    } finally {
      lease.release();
      await this.images.collect();
    }
  }

  /** @internal for BuildRun */
  get parts() {
    return { host: this.host, images: this.images, cache: this.cache, env: this.env };
  }
}

/** One build: the Dockerfile, its stages' states, the steps' results. */
class BuildRun {
  private readonly file: string;
  private readonly df: Dockerfile;
  private readonly epoch: number;
  private readonly created: string;
  private readonly platform: Platform;
  private readonly stageStates = new Map<number, ImageState>();
  private readonly results: BuildOutcome['steps'] = [];
  private step = 0;
  private steps = 0;
  private readonly id = crypto.randomBytes(6).toString('hex');

  constructor(
    private readonly b: Builder,
    private readonly o: BuildOptions,
    private readonly dirs: BuildDirs,
    private readonly lease: Lease,
    private readonly progress: (p: StepProgress) => Promise<void>,
    private readonly cancelled: () => boolean,
  ) {
    this.file = o.dockerfileName;
    this.df = parseDockerfile(o.dockerfileText, this.file);
    if (this.df.stages.length === 0) throw invalidArgument('dockerfile', `${this.file}: no FROM instruction: a Dockerfile starts with one (after ARGs)`);
    this.epoch = sourceDateEpoch(o.buildArgs.SOURCE_DATE_EPOCH ?? b.parts.env.SOURCE_DATE_EPOCH);
    this.created = new Date(this.epoch * 1000).toISOString().replace('.000Z', 'Z');
    this.platform = platformOf(o.platform, 'platform');
  }

  private get images() {
    return this.b.parts.images;
  }

  async run(): Promise<BuildOutcome> {
    const target = this.targetStage();
    const needed = this.neededStages(target);
    this.steps = needed.reduce((n, s) => n + 1 + s.instructions.length, 0);
    let last: ImageState | null = null;
    for (const stage of needed) {
      last = await this.buildStage(stage);
      this.stageStates.set(stage.index, last);
    }
    const allArgs = [...this.df.globalArgs, ...this.df.stages.flatMap((st) => st.instructions.filter((i): i is Extract<Instruction, { kind: 'ARG' }> => i.kind === 'ARG'))];
    const unused = unusedBuildArgs(allArgs, this.o.buildArgs).filter((k) => k !== 'SOURCE_DATE_EPOCH');
    if (unused.length > 0) await this.progress({ step: this.steps, steps: this.steps, stage: '', instruction: `[Warning] build args not consumed: ${unused.join(', ')}`, status: 'done' });
    return this.finish(last!);
  }

  private targetStage(): Stage {
    if (this.o.target === '') return this.df.stages[this.df.stages.length - 1];
    const s = this.df.stages.find((x) => x.name === this.o.target.toLowerCase());
    if (!s) throw invalidArgument('target', `${this.file} has no stage named ${JSON.stringify(this.o.target)} (its stages: ${this.df.stages.map((x) => x.name ?? String(x.index)).join(', ')})`);
    return s;
  }

  /** The target and the stages it uses (FROM a stage, COPY --from=stage), in Dockerfile order. */
  private neededStages(target: Stage): Stage[] {
    const need = new Set<number>();
    const visit = (s: Stage) => {
      if (need.has(s.index)) return;
      need.add(s.index);
      const refs = [s.from.image, ...s.instructions.flatMap((i) => ((i.kind === 'COPY' || i.kind === 'ADD') && i.flags.from ? [i.flags.from] : []))];
      for (const ref of refs) {
        const dep = this.stageNamed(ref, s.index);
        if (dep) visit(dep);
      }
    };
    visit(target);
    return this.df.stages.filter((s) => need.has(s.index));
  }

  /** The earlier stage `ref` names (by name or index), or null: then it names an image. */
  private stageNamed(ref: string, before: number): Stage | null {
    const lower = ref.toLowerCase();
    return this.df.stages.find((s) => s.index < before && (s.name === lower || String(s.index) === ref)) ?? null;
  }

  private get ctx() {
    return { escape: this.df.escape, file: this.file };
  }

  private async buildStage(stage: Stage): Promise<ImageState> {
    const globals = globalArgValues(this.df.globalArgs, this.o.buildArgs, this.ctx);
    const from = expandInstruction(stage.from, globals, this.ctx);
    const fromText = `FROM ${from.image}${stage.name ? ` AS ${stage.name}` : ''}`;
    const stageName = this.stageLabel(stage);
    const platform = from.flags.platform ? platformOf(from.flags.platform, 'FROM --platform', this.file, from.at) : this.platform;
    await this.begin(stageName, fromText);
    let state = await this.baseState(from.image, stage, platform);
    this.results.push({ step: this.step, instruction: fromText, cached: false });
    await this.progress({ ...this.current(stageName, fromText), status: 'done' });
    let scope = stageScope(state.config.config?.Env);
    let cmdSet = false;
    for (const written of stage.instructions) {
      let ins = written;
      /** The build args the step's result depends on: all of them for RUN (its environment), else those its words use. */
      let uses: string[];
      if (ins.kind === 'ARG') {
        scope = declareArgs(scope, ins, this.o.buildArgs, globals, this.ctx);
        uses = ins.args.map((a) => a.name);
      } else {
        uses = ins.kind === 'RUN' ? [...scope.args.keys()] : instructionVariables(ins, this.ctx);
        ins = expandInstruction(ins, expansionVariables(scope), this.ctx);
      }
      const args = Object.fromEntries(uses.filter((n) => scope.args.has(n)).map((n) => [n, scope.args.get(n)!]));
      const text = instructionText(ins);
      await this.begin(stageName, text);
      state = await this.runInstruction(stage, ins, text, state, args, runEnvironment(scope, state.config.config?.Env, this.o.buildArgs), cmdSet);
      scope = withEnv(scope, state.config.config?.Env);
      cmdSet ||= ins.kind === 'CMD';
    }
    return state;
  }

  /** How progress names a stage: its name, "stage-N" when unnamed among several (docker's), "" for a single one. */
  private stageLabel(stage: Stage): string {
    return stage.name ?? (this.df.stages.length > 1 ? `stage-${stage.index}` : '');
  }

  private current(stage: string, instruction: string) {
    return { step: this.step, steps: this.steps, stage, instruction };
  }

  private checkCancelled(): void {
    if (this.cancelled()) throw new TsrunError('build cancelled: the client went away', { code: 'unavailable' });
  }

  private async begin(stage: string, instruction: string): Promise<void> {
    this.checkCancelled();
    this.step++;
    await this.progress({ ...this.current(stage, instruction), status: 'running' });
  }

  /** The stage's starting image: scratch, an earlier stage's result, or an image (pulled when missing). */
  private async baseState(ref: string, stage: Stage, platform: Platform): Promise<ImageState> {
    if (ref === 'scratch') {
      return { config: { created: this.created, architecture: platform.architecture, os: platform.os, ...(platform.variant ? { variant: platform.variant } : {}), config: {}, rootfs: { type: 'layers', diff_ids: [] }, history: [] } as OciImageConfigFile, layers: [] };
    }
    const earlier = this.stageNamed(ref, stage.index);
    if (earlier) return structuredClone(this.stageStates.get(earlier.index)!);
    return this.imageState(ref, platform, stage.from.at);
  }

  private async imageState(ref: string, platform: Platform, pos: SourcePosition): Promise<ImageState> {
    let name: string;
    try {
      name = ImageService.normalize('image', ref);
    } catch (err) {
      throw at(this.file, pos, (err as Error).message);
    }
    const p = formatPlatform(platform);
    const stored = () => {
      const r = this.images.list().find((x) => x.name === name);
      try {
        return r ? this.images.manifestOf(r, p) : null;
      } catch {
        return null;
      }
    };
    let found = stored();
    if (!found) {
      try {
        await this.images.pull(name, { platform: p });
      } catch (err) {
        throw new TsrunError(`${this.file}:${pos.line}:${pos.column}: base image ${name}: ${(err as Error).message}`, { code: (err as TsrunError).code ?? 'unknown', cause: err });
      }
      found = stored();
      if (!found) throw at(this.file, pos, `base image ${name} has no manifest for ${p}`);
    }
    const manifest: ImageManifest = found.manifest;
    const config = this.images.content.readJson<OciImageConfigFile>(manifest.config.digest);
    const diffIds = config.rootfs?.diff_ids ?? [];
    const layers = manifest.layers ?? [];
    if (diffIds.length !== layers.length) throw at(this.file, pos, `base image ${name}: the manifest has ${layers.length} layers, the config's rootfs.diff_ids ${diffIds.length}`);
    layers.forEach((l) => this.lease.add(l.digest));
    return { config: { ...config, history: config.history ?? [] }, layers: layers.map((l, i) => ({ descriptor: { mediaType: l.mediaType, digest: l.digest, size: l.size }, diffId: diffIds[i] })) };
  }

  private async runInstruction(
    stage: Stage,
    ins: Exclude<Instruction, { kind: 'FROM' }>,
    text: string,
    state: ImageState,
    usedArgs: Record<string, string>,
    runEnv: string[],
    cmdSet: boolean,
  ): Promise<ImageState> {
    const stageName = this.stageLabel(stage);
    let copy: { items: Awaited<ReturnType<typeof planCopy>>; digest: string } | null = null;
    if (ins.kind === 'COPY' || ins.kind === 'ADD') copy = await this.planCopyStep(stage, ins, state);
    const key = stepKey({ parent: stateIdentity(state), instruction: text, args: usedArgs, copyDigest: copy?.digest ?? '', platform: `${state.config.os}/${state.config.architecture}`, epoch: this.epoch });
    const hit = this.o.noCache ? null : this.b.parts.cache.get(key);
    if (hit && (hit.layer === null || this.images.content.has(hit.layer.descriptor.digest))) {
      if (hit.layer) this.lease.add(hit.layer.descriptor.digest);
      this.results.push({ step: this.step, instruction: text, cached: true });
      await this.progress({ ...this.current(stageName, text), status: 'cached' });
      return { config: hit.config as OciImageConfigFile, layers: hit.layer ? [...state.layers, hit.layer] : state.layers };
    }
    let layer: CachedLayer | null = null;
    let config = state.config;
    if (ins.kind === 'RUN') layer = await this.runCommand(stageName, ins, text, state, runEnv);
    else if (copy) layer = await this.writeCopyLayer(copy.items, state, ins.at);
    else if (ins.kind === 'MAINTAINER') config = { ...config, author: ins.value };
    else if (ins.kind !== 'ARG') config = this.configChange(config, ins, cmdSet);
    config = withHistory(config, this.created, historyText(ins.kind, text, config), layer);
    const entry: CacheEntry = { layer, config };
    this.b.parts.cache.put(key, entry);
    this.results.push({ step: this.step, instruction: text, cached: false });
    await this.progress({ ...this.current(stageName, text), status: 'done' });
    return { config, layers: layer ? [...state.layers, layer] : state.layers };
  }

  private configChange(config: OciImageConfigFile, ins: Exclude<Instruction, { kind: 'FROM' }>, cmdSet: boolean): OciImageConfigFile {
    try {
      return { ...config, config: applyInstruction(config.config ?? {}, ins, undefined, { cmdSet, file: this.file }) };
    } catch (err) {
      if (err instanceof DockerfileError) throw err;
      throw at(this.file, ins.at, (err as Error).message);
    }
  }

  /** The stage's layers unpacked; their chain ids and unpacked directories (top-most first). */
  private async unpacked(state: ImageState): Promise<{ chainIds: string[]; dirs: string[] }> {
    const { snapshots } = this.b.parts.host;
    const sources: LayerSource[] = state.layers.map((l) => ({ digest: l.descriptor.digest, diffId: l.diffId, open: () => this.images.content.readStream(l.descriptor.digest) }));
    const chainIds = await snapshots.unpack(sources);
    return { chainIds, dirs: chainIds.map((id) => snapshots.layerPath(id)).reverse() };
  }

  private async runCommand(stage: string, ins: Extract<Instruction, { kind: 'RUN' }>, text: string, state: ImageState, env: string[]): Promise<CachedLayer> {
    const { host } = this.b.parts;
    const { chainIds, dirs } = await this.unpacked(state);
    const shell = state.config.config?.Shell ?? DEFAULT_SHELL;
    const argv = 'shell' in ins.command ? [...shell, ins.command.shell] : ins.command.exec;
    if (argv.length === 0) throw at(this.file, ins.at, 'RUN needs a command');
    const id = `build-${this.id}-${this.step}`;
    let result: Awaited<ReturnType<typeof runStep>>;
    try {
      result = await runStep(host, {
        id,
        config: state.config,
        chainIds,
        args: argv,
        env,
        network: this.o.network,
        scratch: this.dirs.scratch,
        onOutput: (stream, output) => this.progress({ ...this.current(stage, text), status: 'output', stream, output }),
        cancelled: this.cancelled,
      });
    } catch (err) {
      if (err instanceof UserError) throw at(this.file, ins.at, err.message);
      throw at(this.file, ins.at, `RUN could not be started: ${(err as Error).message}`, 'failed-precondition');
    }
    try {
      this.checkCancelled();
      if (result.exitStatus !== 0) throw new TsrunError(`${this.file}:${ins.at.line}: RUN exited with status ${result.exitStatus}`, { code: 'failed-precondition' });
      return await this.layerOf(result.overlay.upper, dirs);
    } finally {
      host.snapshots.remove(id);
    }
  }

  private async layerOf(upper: string, lowers: string[]): Promise<CachedLayer> {
    const { descriptor, diffId } = await writeLayer(upper, lowers, this.images.content, this.lease, { compression: 'gzip', mtime: this.epoch });
    this.lease.add(descriptor.digest);
    return { descriptor, diffId };
  }

  private async planCopyStep(stage: Stage, ins: Extract<Instruction, { kind: 'COPY' | 'ADD' }>, state: ImageState) {
    const sources = ins.sources;
    for (const s of sources) {
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s) || s.startsWith('git@')) {
        throw at(this.file, ins.at, `${ins.kind} of a URL (${JSON.stringify(s)}) is refused: tsrund fetches nothing from the network during a build; download it into the context and ${ins.kind} that`);
      }
    }
    const unknown = Object.keys(ins.flags).filter((f) => !['from', 'chown', 'chmod', 'link'].includes(f));
    if (unknown.length > 0) throw at(this.file, ins.at, `${ins.kind}: unknown flag --${unknown[0]} (known: --from, --chown, --chmod)`);
    const image = await this.unpacked(state);
    let from = [this.dirs.context];
    let keepOwners = false;
    if (ins.flags.from) {
      const ref = ins.flags.from;
      const earlier = this.stageNamed(ref, stage.index);
      const source = earlier ? this.stageStates.get(earlier.index)! : await this.imageState(ref, this.platform, ins.at);
      from = (await this.unpacked(source)).dirs;
      keepOwners = true;
    }
    let owner: { uid: number; gid: number } | null = null;
    if (ins.flags.chown) owner = this.chownOwner(ins.flags.chown, image.chainIds, ins.at);
    let mode: number | null = null;
    if (ins.flags.chmod) {
      const m = ins.flags.chmod;
      if (!/^[0-7]{1,4}$/.test(m)) throw at(this.file, ins.at, `--chmod=${m}: give octal permission bits, e.g. --chmod=0644`);
      mode = parseInt(m, 8);
    }
    try {
      const items = await planCopy({
        from,
        image: image.dirs,
        sources,
        dest: ins.dest,
        workdir: state.config.config?.WorkingDir || '/',
        owner,
        keepOwners,
        mode,
        extract: ins.kind === 'ADD' && !ins.flags.from ? (file) => this.extractTar(file) : null,
      });
      return { items, digest: await copyDigest(items) };
    } catch (err) {
      if (err instanceof CopyError || err instanceof TsrunError) throw at(this.file, ins.at, `${ins.kind}: ${err.message}`);
      throw err;
    }
  }

  /** --chown's user[:group] in the image's passwd and group files; a user without a group gets gid = uid (docker's rule). */
  private chownOwner(spec: string, chainIds: string[], pos: SourcePosition): { uid: number; gid: number } {
    try {
      const [user, group] = spec.split(':', 2);
      const uid = imageUser(this.b.parts.host.snapshots, chainIds, user).uid;
      const gid = group === undefined ? uid : imageUser(this.b.parts.host.snapshots, chainIds, `${uid}:${group}`).gid;
      return { uid, gid };
    } catch (err) {
      throw at(this.file, pos, `--chown=${spec}: ${(err as Error).message}`);
    }
  }

  /** ADD's auto-extraction: a tar (plain, gzip or zstd) unpacked into a scratch directory; null for any other file. */
  private async extractTar(file: string): Promise<string | null> {
    const head = await readHead(await decompress(fs.createReadStream(file), file), 512);
    if (head.length < 512 || head.toString('latin1', 257, 262) !== 'ustar') return null;
    const dir = fs.mkdtempSync(path.join(this.dirs.scratch, 'extract-'));
    await applyLayer(await decompress(fs.createReadStream(file), file), dir, `${path.basename(file)}`);
    return dir;
  }

  private async writeCopyLayer(items: Awaited<ReturnType<typeof planCopy>>, state: ImageState, pos: SourcePosition): Promise<CachedLayer> {
    const image = await this.unpacked(state);
    const upper = fs.mkdtempSync(path.join(this.dirs.scratch, 'upper-'));
    try {
      await writeCopy(items, upper, image.dirs);
    } catch (err) {
      throw at(this.file, pos, (err as Error).message);
    }
    return this.layerOf(upper, image.dirs);
  }

  private async finish(state: ImageState): Promise<BuildOutcome> {
    const config: OciImageConfigFile = { ...state.config, created: this.created };
    const manifest = await writeImage(this.images.content, this.lease, { config, layers: state.layers.map((l) => l.descriptor) });
    const tags = this.o.tags.map((t, i) => ImageService.normalize(`tags[${i}]`, t));
    // Untagged, the image is still recorded, as docker's dangling <none>:<none> ("<none>@sha256:…").
    const names: string[] = [];
    for (const name of tags.length > 0 ? tags : ['']) names.push((await this.images.putImage(name, manifest, {})).name);
    if (this.o.ociDest) await exportArchive([{ name: tags[0] ?? manifest.digest, target: manifest }], this.images.content, this.o.ociDest);
    const m = this.images.content.readJson<ImageManifest>(manifest.digest);
    return { names, manifest, configDigest: m.config.digest, steps: this.results };
  }
}

/** The instruction as it runs, for progress, history and the cache key: "COPY a.txt /app/". */
function instructionText(ins: Exclude<Instruction, { kind: 'FROM' }>): string {
  const form = (c: CommandForm) => ('shell' in c ? c.shell : JSON.stringify(c.exec));
  const flags = (f: Record<string, string>) => Object.entries(f).map(([k, v]) => `--${k}=${v} `).join('');
  switch (ins.kind) {
    case 'ARG':
      return `ARG ${ins.args.map((a) => (a.default === null ? a.name : `${a.name}=${a.default}`)).join(' ')}`;
    case 'ENV':
    case 'LABEL':
      return `${ins.kind} ${ins.pairs.map((p) => `${p.key}=${JSON.stringify(p.value)}`).join(' ')}`;
    case 'RUN':
      return `RUN ${flags(ins.flags)}${form(ins.command)}`;
    case 'CMD':
    case 'ENTRYPOINT':
      return `${ins.kind} ${form(ins.command)}`;
    case 'SHELL':
      return `SHELL ${JSON.stringify(ins.exec)}`;
    case 'COPY':
    case 'ADD':
      return `${ins.kind} ${flags(ins.flags)}${[...ins.sources, ins.dest].join(' ')}`;
    case 'WORKDIR':
    case 'USER':
    case 'STOPSIGNAL':
    case 'MAINTAINER':
      return `${ins.kind} ${ins.value}`;
    case 'EXPOSE':
      return `EXPOSE ${ins.ports.join(' ')}`;
    case 'VOLUME':
      return `VOLUME ${JSON.stringify(ins.paths)}`;
    case 'HEALTHCHECK':
      return ins.none ? 'HEALTHCHECK NONE' : `HEALTHCHECK ${flags(ins.flags)}CMD ${form(ins.command!)}`;
    case 'ONBUILD':
      return `ONBUILD ${ins.trigger}`;
  }
}

/** SOURCE_DATE_EPOCH as seconds; 0 when unset. */
function sourceDateEpoch(text: string | undefined): number {
  if (text === undefined || text === '') return 0;
  if (!/^\d{1,12}$/.test(text)) throw invalidArgument('build_args.SOURCE_DATE_EPOCH', `${JSON.stringify(text)} is not a number of seconds since 1970-01-01`);
  return Number(text);
}

function platformOf(text: string, field: string, file?: string, pos?: SourcePosition): Platform {
  if (text === '') return hostPlatform();
  try {
    return parsePlatform(text);
  } catch (err) {
    if (err instanceof PlatformError && file && pos) throw at(file, pos, err.message);
    throw invalidArgument(field, (err as Error).message);
  }
}

/** What history says a step did: BuildKit's wording ("RUN /bin/sh -c make", "COPY a /b"). */
function historyText(kind: string, text: string, config: OciImageConfigFile): string {
  if (kind !== 'RUN' || text.startsWith('RUN [')) return text;
  return `RUN ${(config.config?.Shell ?? DEFAULT_SHELL).join(' ')} ${text.slice(4)}`;
}

function withHistory(config: OciImageConfigFile, created: string, createdBy: string, layer: CachedLayer | null): OciImageConfigFile {
  const entry = { created, created_by: `${createdBy} # buildkit`, comment: 'tsrun build', ...(layer ? {} : { empty_layer: true }) };
  return {
    ...config,
    created,
    rootfs: { type: 'layers', diff_ids: [...(config.rootfs?.diff_ids ?? []), ...(layer ? [layer.diffId] : [])] },
    history: [...(config.history ?? []), entry],
  };
}

async function readHead(stream: NodeJS.ReadableStream & { destroy(): void }, n: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let got = 0;
  try {
    for await (const c of stream) {
      chunks.push(c as Buffer);
      got += (c as Buffer).length;
      if (got >= n) break;
    }
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks).subarray(0, n);
}


/**
 * An image's config as an OCI runtime config, following the image spec's conversion
 * (conversion.md) on top of the runtime's defaults (spec/default-config.ts) the way docker and
 * containerd run images: no terminal, a writable root (the overlay's upper layer), the command
 * from Entrypoint + Cmd (the request's args replace Cmd, its entrypoint replaces Entrypoint and
 * drops Cmd), the image's Env with PATH and HOME added when it lacks them, WorkingDir, the
 * resolved User, and the annotations of the image (Labels win over the implicit ones).
 * Pure, but for writeBundle.
 */
import * as fs from 'fs';
import * as path from 'path';
import { defaultSpec } from '../../spec/default-config';
import type { Spec } from '../../spec/types';
import { makePrivateDir, writeStateFile } from '../shared/atomic-file';
import type { ProcessOverrides } from '../api/types';
import type { ResolvedUser } from './user';
import { TsrunError } from '../../common/errors';

/** The parts of an OCI (or Docker) image config blob a container uses. */
export interface ImageConfig {
  architecture?: string;
  os?: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
  author?: string;
  created?: string;
  config?: {
    User?: string;
    Env?: string[] | null;
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    WorkingDir?: string;
    Labels?: Record<string, string> | null;
    StopSignal?: string;
    ExposedPorts?: Record<string, unknown> | null;
    /** Directories that get a volume each (keys; the values are empty objects). */
    Volumes?: Record<string, unknown> | null;
    /** Docker's extensions, kept by builds and commits: ONBUILD triggers, SHELL, HEALTHCHECK (durations in ns). */
    OnBuild?: string[] | null;
    Shell?: string[];
    Healthcheck?: { Test?: string[]; Interval?: number; Timeout?: number; StartPeriod?: number; StartInterval?: number; Retries?: number };
  };
  rootfs?: { type?: string; diff_ids?: string[] };
}

export class ImageConfigError extends TsrunError {
  constructor(message: string) {
    super(message, { code: 'invalid-argument' });
    this.name = 'ImageConfigError';
  }
}

const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The command: Entrypoint + Cmd, with the request's replacements (docker's semantics; [""] clears the Entrypoint). */
export function imageArgs(image: ImageConfig, o: Pick<ProcessOverrides, 'args' | 'entrypoint'> | null): string[] {
  const entrypointOverride = o?.entrypoint ?? [];
  const argsOverride = o?.args ?? [];
  const cleared = entrypointOverride.length === 1 && entrypointOverride[0] === '';
  const entrypoint = cleared ? [] : entrypointOverride.length > 0 ? entrypointOverride : (image.config?.Entrypoint ?? []);
  const cmd = argsOverride.length > 0 ? argsOverride : entrypointOverride.length > 0 ? [] : (image.config?.Cmd ?? []);
  return [...entrypoint, ...cmd];
}

/** The implicit annotations of conversion.md, then the Labels (which win). */
export function imageAnnotations(image: ImageConfig): Record<string, string> {
  const implicit: [string, string | undefined][] = [
    ['org.opencontainers.image.os', image.os],
    ['org.opencontainers.image.architecture', image.architecture],
    ['org.opencontainers.image.variant', image.variant],
    ['org.opencontainers.image.os.version', image['os.version']],
    ['org.opencontainers.image.os.features', image['os.features']?.join(',')],
    ['org.opencontainers.image.author', image.author],
    ['org.opencontainers.image.created', image.created],
    ['org.opencontainers.image.stopSignal', image.config?.StopSignal],
    ['org.opencontainers.image.exposedPorts', image.config?.ExposedPorts ? Object.keys(image.config.ExposedPorts).join(',') : undefined],
  ];
  const out: Record<string, string> = {};
  for (const [k, v] of implicit) if (v !== undefined && v !== '') out[k] = v;
  return { ...out, ...(image.config?.Labels ?? {}) };
}

/**
 * The config a container of `image` runs, before the request's other overrides (env, cwd,
 * mounts, resources: supervisor/containers/overrides.ts applies those). `user` is already
 * resolved against the image's files (./user.ts). `ref` names the image in errors.
 */
export function imageSpec(image: ImageConfig, user: ResolvedUser, o: ProcessOverrides | null, ref: string): Spec {
  const args = imageArgs(image, o);
  if (args.length === 0) throw new ImageConfigError(`image ${ref} has no Entrypoint or Cmd: give the command to run`);
  const env = [...(image.config?.Env ?? [])];
  const has = (name: string) => env.some((e) => e.startsWith(`${name}=`));
  if (!has('PATH')) env.push(DEFAULT_PATH);
  if (!has('HOME')) env.push(`HOME=${user.home || '/'}`);
  const workingDir = image.config?.WorkingDir || '/';
  const spec = defaultSpec();
  spec.process = {
    ...spec.process,
    terminal: false,
    args,
    env,
    cwd: path.posix.resolve('/', workingDir),
    user: { uid: user.uid, gid: user.gid, ...(user.additionalGids ? { additionalGids: user.additionalGids } : {}) },
  };
  spec.root = { path: 'rootfs', readonly: false };
  const annotations = imageAnnotations(image);
  if (Object.keys(annotations).length > 0) spec.annotations = annotations;
  return spec;
}

/** The bundle directory of an image container: config.json and the empty rootfs the overlay is mounted on. */
export function writeBundle(dir: string, spec: Spec): void {
  makePrivateDir(path.dirname(dir));
  fs.mkdirSync(path.join(dir, 'rootfs'), { recursive: true, mode: 0o700 });
  writeStateFile(path.join(dir, 'config.json'), JSON.stringify(spec, null, 2));
}

/**
 * The image of `tsctl run` / `create`, as docker's --pull and --platform have it: pulled first
 * when asked (always) or when it is not here (missing, the default), refused when it is not here
 * (never) or is here for another platform than --platform. The pull's progress goes to stderr in
 * docker's words, so that stdout stays the container's output (or its id).
 */
import type { ServiceError } from '@grpc/grpc-js';
import { TsrunError } from '../../common/errors';
import type { TsrundClient } from '../client/client';
import type { GetImageResponse, Image, PullProgress } from '../api/types';
import type { PullOptions } from './process-flags';

const NOT_FOUND = 5;

/** The image config's platform, "os/architecture[/variant]"; null when the image has no config for tsrund's platform here. */
async function localPlatform(client: TsrundClient, ref: string): Promise<string | null> {
  const got: GetImageResponse | null = await client.getImage(ref).catch((err: ServiceError) => (err.code === NOT_FOUND ? null : Promise.reject(err)));
  if (!got || got.configJson === '') return null;
  const config = JSON.parse(got.configJson) as { os?: string; architecture?: string; variant?: string };
  return [config.os ?? '', config.architecture ?? '', ...(config.variant ? [config.variant] : [])].join('/');
}

/** Whether `have` is the platform `wanted` names (a variant only when it names one; arm64's is v8). */
export function platformMatches(wanted: string, have: string): boolean {
  const [os, arch, variant] = wanted.toLowerCase().split('/');
  const [hos, harch, hvariant] = have.toLowerCase().split('/');
  if (os !== hos || arch !== harch) return false;
  return variant === undefined || variant === (hvariant ?? (harch === 'arm64' ? 'v8' : undefined));
}

/** Make sure image `ref` is here as `o` asks, pulling it when that is what it asks; `write` takes the progress lines. */
export async function ensureImage(client: TsrundClient, ref: string, o: PullOptions, write: (text: string) => void): Promise<void> {
  let have = o.pull === 'always' ? null : await localPlatform(client, ref);
  if (have === null) {
    if (o.pull === 'never') throw new TsrunError(`image ${ref} not present; pull it or use --pull missing`, { code: 'failed-precondition', subject: '--pull' });
    if (o.pull === 'missing') write(`Unable to find image '${ref}' locally\n`);
    await pullImage(client, ref, o.platform, write);
    have = await localPlatform(client, ref);
    if (have === null) throw new TsrunError(`image ${ref}: pulled, but it has no manifest for tsrund's platform here`, { code: 'failed-precondition', subject: '--platform' });
  }
  if (o.platform !== '' && !platformMatches(o.platform, have)) {
    throw new TsrunError(`image ${ref} is here for ${have}, not for ${o.platform} (--platform): tsrund runs an image for its own platform`, {
      code: 'failed-precondition',
      subject: '--platform',
    });
  }
}

/** docker's words for a blob's state. */
const STATUS_TEXT: Record<string, string> = {
  waiting: 'Waiting',
  downloading: 'Downloading',
  done: 'Download complete',
  exists: 'Already exists',
};

async function pullImage(client: TsrundClient, ref: string, platform: string, write: (text: string) => void): Promise<void> {
  write(`${pullingLine(ref)}\n`);
  const shown = new Map<string, string>();
  let image: Image | null = null;
  let fetched = false;
  for await (const m of client.pullImage(ref, { platform })) {
    if (m.progress) fetched = show(m.progress, shown, write) || fetched;
    if (m.image) image = m.image;
  }
  if (!image) throw new TsrunError(`pull ${ref}: tsrund ended the pull without an image`, { code: 'internal' });
  write(`Digest: ${image.target?.digest ?? ''}\n`);
  write(fetched ? `Status: Downloaded newer image for ${image.name}\n` : `Status: Image is up to date for ${image.name}\n`);
}

/** docker's "TAG: Pulling from REPOSITORY" ("latest" when the reference names no tag). */
function pullingLine(ref: string): string {
  const at = ref.indexOf('@');
  if (at >= 0) return `${ref.slice(at + 1)}: Pulling from ${ref.slice(0, at)}`;
  const colon = ref.lastIndexOf(':');
  return colon > ref.lastIndexOf('/') ? `${ref.slice(colon + 1)}: Pulling from ${ref.slice(0, colon)}` : `latest: Pulling from ${ref}`;
}

/** One line per layer state change; whether the blob was fetched (not already here). */
function show(p: PullProgress, shown: Map<string, string>, write: (text: string) => void): boolean {
  if (p.kind !== 'layer') return p.status === 'done';
  const text = STATUS_TEXT[p.status];
  const key = p.digest;
  if (text && shown.get(key) !== text) {
    shown.set(key, text);
    write(`${p.digest.replace(/^sha256:/, '').slice(0, 12)}: ${text}\n`);
  }
  return p.status === 'done';
}

/**
 * tsrund's image records as the CRI sees images: one image per id (the config digest of the
 * host's manifest), its names grouped into repo_tags ("name:tag") and repo_digests
 * ("name@sha256:..." of what the name resolved to); the user its config runs as (uid when
 * numeric, username otherwise). And the lookup ImageStatus, RemoveImage and ListImages' filter
 * share: by id, by name, by repository@digest. Pure over the facts read from the store.
 */
import type { Image } from '../api/generated/cri-types';
import type { ImageConfig } from '../images/bundle';
import type { ImageRecord } from '../images/store';
import { formatReference, parseReference, repositoryName } from '../registry/reference';
import { invalidArgument } from '../shared/errors';

/** One record with what the CRI needs from its stored manifest and config. */
export interface ImageFacts {
  record: ImageRecord;
  /** The config digest of the host's manifest; the target's digest when that manifest is not stored. */
  id: string;
  /** The host manifest's digest ("" when not stored). */
  manifestDigest: string;
  config: ImageConfig | null;
  size: number;
}

/** The label containerd pins an image with (kept from garbage collection by kubelet). */
export const PINNED_LABEL = 'io.cri-containerd.pinned';

/** The records grouped by image id, each group in name order, groups in id order. */
export function groupById(facts: ImageFacts[]): ImageFacts[][] {
  const groups = new Map<string, ImageFacts[]>();
  for (const f of facts) groups.set(f.id, [...(groups.get(f.id) ?? []), f]);
  return [...groups.keys()].sort().map((id) => groups.get(id)!.sort((a, b) => a.record.name.localeCompare(b.record.name)));
}

/** An image config's User as the CRI gives it: a numeric user is uid, any other username; none: neither. */
export function imageUser(user: string): { uid: { value: number } | null; username: string } {
  const name = user.split(':')[0];
  if (name === '') return { uid: null, username: '' };
  return /^\d+$/.test(name) ? { uid: { value: Number(name) }, username: '' } : { uid: null, username: name };
}

export function criImage(group: ImageFacts[]): Image {
  const first = group[0];
  const repoTags = new Set<string>();
  const repoDigests = new Set<string>();
  for (const f of group) {
    const ref = parseReference(f.record.name);
    if (ref.tag) repoTags.add(f.record.name.replace(/@.*$/, ''));
    repoDigests.add(`${repositoryName(ref)}@${f.record.target.digest}`);
  }
  return {
    id: first.id,
    repoTags: [...repoTags].sort(),
    repoDigests: [...repoDigests].sort(),
    size: Math.max(...group.map((f) => f.size)),
    ...imageUser(first.config?.config?.User ?? ''),
    spec: { image: first.id, annotations: {}, userSpecifiedImage: '', runtimeHandler: '', imageRef: first.id },
    pinned: group.some((f) => f.record.labels[PINNED_LABEL] === 'pinned'),
  };
}

const ID = /^(?:sha256:)?([0-9a-f]{64})$/;

/**
 * The group `text` names: an id ("sha256:<64 hex>" or the bare hex), a name in any form tsrund
 * accepts ("busybox" = docker.io/library/busybox:latest), or repository@digest of what a name
 * resolved to (or of its host manifest). null when none is stored.
 */
export function findImage(groups: ImageFacts[][], text: string, field: string): ImageFacts[] | null {
  const id = ID.exec(text);
  if (id) return groups.find((g) => g[0].id === `sha256:${id[1]}`) ?? null;
  let ref;
  try {
    ref = parseReference(text);
  } catch (err) {
    throw invalidArgument(field, (err as Error).message);
  }
  const name = formatReference(ref);
  const repository = repositoryName(ref);
  const matches = (f: ImageFacts) =>
    f.record.name === name ||
    (ref.digest !== '' && repositoryName(parseReference(f.record.name)) === repository && (f.record.target.digest === ref.digest || f.manifestDigest === ref.digest));
  return groups.find((g) => g.some(matches)) ?? null;
}

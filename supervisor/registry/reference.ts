/**
 * Image references as Docker and containerd read them: `[domain/]path[:tag][@digest]`. A name
 * without a domain is on Docker Hub (`docker.io`), and a one-part Docker Hub name is under
 * `library/`; no tag and no digest means `:latest`. A first part is a domain when it holds a "."
 * or a ":" or is "localhost".
 */
import { parseDigest } from '../content/digest';
import { TsrunError } from '../../common/errors';

export interface Reference {
  /** "docker.io", "127.0.0.1:5000", "ghcr.io". */
  domain: string;
  /** Repository path: "library/busybox", "tsrun/test". */
  path: string;
  /** "" when only a digest was given. */
  tag: string;
  /** "" unless given. */
  digest: string;
}

export class ReferenceError extends TsrunError {
  constructor(message: string) {
    super(message, { code: 'invalid-argument' });
    this.name = 'ReferenceError';
  }
}

export const DOCKER_HUB = 'docker.io';
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::\d{1,5})?$/;
const MAX_NAME = 255;

export function parseReference(text: string): Reference {
  const bad = (why: string) => new ReferenceError(`image reference ${JSON.stringify(text.slice(0, 300))}: ${why}`);
  if (text === '') throw bad('is empty');
  let rest = text;
  let digest = '';
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    try {
      parseDigest(digest);
    } catch (err) {
      throw bad((err as Error).message);
    }
  }
  let tag = '';
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad(`tag ${JSON.stringify(tag.slice(0, 200))} is not valid (letters, digits, "_", ".", "-"; at most 128)`);
  }
  const parts = rest.split('/');
  let domain = DOCKER_HUB;
  if (parts.length > 1 && (parts[0].includes('.') || parts[0].includes(':') || parts[0] === 'localhost')) {
    domain = parts.shift()!;
    if (!DOMAIN.test(domain)) throw bad(`registry ${JSON.stringify(domain)} is not a host name with an optional port`);
  }
  if (domain === 'index.docker.io') domain = DOCKER_HUB;
  if (domain === DOCKER_HUB && parts.length === 1) parts.unshift('library');
  for (const p of parts) {
    if (!COMPONENT.test(p)) {
      throw bad(`name component ${JSON.stringify(p.slice(0, 200))} is not valid (lowercase letters and digits, separated by ".", "_", "__" or "-")`);
    }
  }
  const path = parts.join('/');
  if (domain.length + 1 + path.length > MAX_NAME) throw bad(`the name is longer than ${MAX_NAME} characters`);
  return { domain, path, tag: tag === '' && digest === '' ? 'latest' : tag, digest };
}

/** "docker.io/library/busybox". */
export function repositoryName(r: Reference): string {
  return `${r.domain}/${r.path}`;
}

/** The full, normalised reference: "docker.io/library/busybox:latest", "host/x@sha256:...". */
export function formatReference(r: Reference): string {
  return `${repositoryName(r)}${r.tag ? `:${r.tag}` : ''}${r.digest ? `@${r.digest}` : ''}`;
}

/** The normalised form of a reference given as text (throws ReferenceError when it is not one). */
export function normalizeReference(text: string): string {
  return formatReference(parseReference(text));
}

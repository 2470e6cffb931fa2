/**
 * Registry credentials from a Docker-style config file (what `docker login` and podman's
 * auth.json write): `{ "auths": { "<registry>": { "auth": base64("user:password") } } }`, or
 * `"username"` and `"password"` fields. A key may carry a scheme and a path
 * ("https://index.docker.io/v1/"); Docker Hub's keys are found for docker.io. The file is read
 * at each pull, so a change applies without restarting tsrund; a missing file means anonymous.
 */
import * as fs from 'fs';
import { DOCKER_HUB } from './reference';
import { TsrunError } from '../../common/errors';

export interface Credential {
  username: string;
  password: string;
}

export class CredentialsError extends TsrunError {
  constructor(message: string) {
    super(message, { code: 'failed-precondition' });
    this.name = 'CredentialsError';
  }
}

const HUB_KEYS = ['docker.io', 'index.docker.io', 'registry-1.docker.io', 'https://index.docker.io/v1/'];

/** The host[:port] a key names, without scheme and path. */
function hostOfKey(key: string): string {
  return key.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '').toLowerCase();
}

/** The credential for `domain` in `file`, or null (no file, no entry). */
export function lookupCredential(file: string | null, domain: string): Credential | null {
  if (!file) return null;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new CredentialsError(`auth file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let config: { auths?: Record<string, { auth?: string; username?: string; password?: string }> };
  try {
    config = JSON.parse(text);
  } catch (err) {
    throw new CredentialsError(`auth file ${file}: not JSON (${(err as Error).message})`);
  }
  const auths = config.auths ?? {};
  if (typeof auths !== 'object') throw new CredentialsError(`auth file ${file}: "auths" is not an object`);
  const wanted = domain === DOCKER_HUB ? HUB_KEYS.map(hostOfKey) : [domain.toLowerCase()];
  const key = Object.keys(auths).find((k) => wanted.includes(hostOfKey(k)));
  if (key === undefined) return null;
  const entry = auths[key];
  if (typeof entry.auth === 'string' && entry.auth !== '') {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new CredentialsError(`auth file ${file}: auths["${key}"].auth is not base64 of "user:password"`);
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (typeof entry.username === 'string' && typeof entry.password === 'string') return { username: entry.username, password: entry.password };
  throw new CredentialsError(`auth file ${file}: auths["${key}"] has neither "auth" nor "username" and "password"`);
}

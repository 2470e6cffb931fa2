/**
 * Registry credentials from a Docker-style config file (what `docker login` and podman's
 * auth.json write): `{ "auths": { "<registry>": { "auth": base64("user:password") } } }`, or
 * `"username"` and `"password"` fields. A key may carry a scheme and a path
 * ("https://index.docker.io/v1/"); Docker Hub's keys are found for docker.io. The file is read
 * at each pull and push, so a change applies without restarting tsrund; a missing file means
 * anonymous. Login and logout write it (storeCredential, removeCredential).
 */
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic } from '../shared/atomic-file';
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

/**
 * Credentials a pull brings with it (the CRI's AuthConfig), used instead of the auth file's for the
 * registry they name: a user and password, an OAuth2 refresh token (identity token) traded at the
 * registry's token server, or a bearer token sent as it is (registry token).
 */
export interface RequestAuth {
  /** The registry they are for, as an auth file key; "": every registry the pull talks to. */
  serverAddress: string;
  username: string;
  password: string;
  identityToken: string;
  registryToken: string;
}

/** The host[:port] a key names, without scheme and path. */
function hostOfKey(key: string): string {
  return key.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '').toLowerCase();
}

/** The registry a login names: "127.0.0.1:5000", "http://127.0.0.1:5000/", any of Docker Hub's keys, or "" (Docker Hub). */
export function loginDomain(server: string): string {
  if (server === '') return DOCKER_HUB;
  const host = hostOfKey(server);
  return HUB_KEYS.map(hostOfKey).includes(host) ? DOCKER_HUB : host;
}

/** Whether `auth` is for `domain` (its server address names it, or names none). */
export function requestAuthFor(auth: RequestAuth | null, domain: string): RequestAuth | null {
  if (!auth) return null;
  if (auth.serverAddress === '') return auth;
  const wanted = domain === DOCKER_HUB ? HUB_KEYS.map(hostOfKey) : [domain.toLowerCase()];
  return wanted.includes(hostOfKey(auth.serverAddress)) ? auth : null;
}

type AuthConfig = { auths?: Record<string, { auth?: string; username?: string; password?: string }>; [other: string]: unknown };

/** The auth file parsed; null when there is none. */
function readAuthFile(file: string): AuthConfig | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new CredentialsError(`auth file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let config: AuthConfig;
  try {
    config = JSON.parse(text);
  } catch (err) {
    throw new CredentialsError(`auth file ${file}: not JSON (${(err as Error).message})`);
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new CredentialsError(`auth file ${file}: not a JSON object`);
  if (config.auths !== undefined && (typeof config.auths !== 'object' || config.auths === null)) throw new CredentialsError(`auth file ${file}: "auths" is not an object`);
  return config;
}

/** The keys of `auths` that are for `domain`. */
function keysFor(auths: Record<string, unknown>, domain: string): string[] {
  const wanted = domain === DOCKER_HUB ? HUB_KEYS.map(hostOfKey) : [domain.toLowerCase()];
  return Object.keys(auths).filter((k) => wanted.includes(hostOfKey(k)));
}

/**
 * Store `cred` for `domain` in `file` (replacing every entry for it; the file's other content
 * kept), written atomically, mode 0600: what `docker login` does to config.json.
 */
export function storeCredential(file: string, domain: string, cred: Credential): void {
  const config = readAuthFile(file) ?? {};
  const auths = { ...(config.auths ?? {}) };
  for (const k of keysFor(auths, domain)) delete auths[k];
  auths[domain === DOCKER_HUB ? HUB_KEYS[3] : domain] = { auth: Buffer.from(`${cred.username}:${cred.password}`).toString('base64') };
  // Its directory made when missing (/etc/tsrund), an existing one left as it is.
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileAtomic(file, JSON.stringify({ ...config, auths }, null, '\t') + '\n', 0o600);
}

/** Remove every entry for `domain` from `file`; whether there was one (no file: none). */
export function removeCredential(file: string, domain: string): boolean {
  const config = readAuthFile(file);
  const auths = { ...(config?.auths ?? {}) };
  const keys = keysFor(auths, domain);
  if (!config || keys.length === 0) return false;
  for (const k of keys) delete auths[k];
  writeFileAtomic(file, JSON.stringify({ ...config, auths }, null, '\t') + '\n', 0o600);
  return true;
}

/** The credential for `domain` in `file`, or null (no file, no entry). */
export function lookupCredential(file: string | null, domain: string): Credential | null {
  if (!file) return null;
  const auths = readAuthFile(file)?.auths ?? {};
  const key = keysFor(auths, domain)[0];
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

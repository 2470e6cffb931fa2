/**
 * The pull side of the OCI distribution spec: manifests by tag or digest (with the Accept types
 * of OCI and Docker schema 2), blobs (with a Range to resume), and the registry's authentication:
 * anonymous, Bearer tokens fetched from the realm a `WWW-Authenticate` challenge names (with the
 * credential, when there is one), and Basic. Registries on localhost, 127.0.0.0/8, ::1 and those
 * named insecure are spoken to over plain http; every other over https.
 */
import type * as http from 'http';
import { Readable } from 'stream';
import { INDEX_TYPES, MANIFEST_TYPES } from '../content/descriptor';
import { lookupCredential, type Credential } from './credentials';
import { DEFAULT_RETRY, errorText, readBody, request, type RetryPolicy } from './http';
import { DOCKER_HUB, type Reference } from './reference';
import { TsrunError } from '../../common/errors';

export interface RegistryOptions {
  /** Docker-style auth file (credentials.ts); null: anonymous only. */
  authFile: string | null;
  /** host[:port] of registries spoken to over plain http besides the loopback ones. */
  insecure: string[];
  retry?: RetryPolicy;
}

/** The registry's answer refused the request; `status` is its HTTP status (0: it gave none that fits). */
export class RegistryError extends TsrunError {
  constructor(
    message: string,
    readonly status = 0,
  ) {
    super(message, { code: status === 404 ? 'not-found' : status >= 500 || status === 0 ? 'unavailable' : 'failed-precondition' });
    this.name = 'RegistryError';
  }
}

export const MANIFEST_ACCEPT = [...INDEX_TYPES, ...MANIFEST_TYPES].join(', ');
export const MAX_MANIFEST_BYTES = 4 << 20;

interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** `Bearer realm="https://auth",service="registry",scope="repository:x:pull"` → its parts. */
export function parseChallenge(header: string): Challenge | null {
  const m = /^\s*([A-Za-z]+)\s*(.*)$/.exec(header);
  if (!m) return null;
  const params: Record<string, string> = {};
  const re = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?\s*/g;
  for (let p = re.exec(m[2]); p; p = re.exec(m[2])) params[p[1].toLowerCase()] = (p[2] ?? p[3] ?? '').replace(/\\(.)/g, '$1');
  return { scheme: m[1].toLowerCase(), params };
}

function isLoopback(host: string): boolean {
  const name = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return name === 'localhost' || name === '::1' || /^127\.\d+\.\d+\.\d+$/.test(name);
}

export class RegistryClient {
  /** Authorization header values by "domain scope". */
  private readonly authorizations = new Map<string, string>();
  private readonly retry: RetryPolicy;

  constructor(private readonly o: RegistryOptions) {
    this.retry = o.retry ?? DEFAULT_RETRY;
  }

  baseUrl(domain: string): URL {
    const host = domain === DOCKER_HUB ? 'registry-1.docker.io' : domain;
    const plain = isLoopback(host) || this.o.insecure.includes(host);
    return new URL(`${plain ? 'http' : 'https'}://${host}/v2/`);
  }

  /** The manifest (or index) `tagOrDigest` names: its bytes, the media type and the digest the registry states. */
  async getManifest(ref: Reference, tagOrDigest: string): Promise<{ body: Buffer; mediaType: string; statedDigest: string }> {
    const what = `manifest ${ref.domain}/${ref.path}:${tagOrDigest}`;
    const res = await this.send(ref, `manifests/${tagOrDigest}`, { Accept: MANIFEST_ACCEPT }, what);
    const body = await readBody(res, MAX_MANIFEST_BYTES, what);
    const mediaType = String(res.headers['content-type'] ?? '').split(';')[0].trim();
    return { body, mediaType, statedDigest: String(res.headers['docker-content-digest'] ?? '') };
  }

  /**
   * A blob's bytes from `offset` on (a Range request); `offset` in the answer is where the bytes
   * start (0 when the registry ignored the range), `length` what it says it sends.
   */
  async getBlob(ref: Reference, digest: string, offset: number): Promise<{ stream: Readable; offset: number; length: number | null }> {
    const headers: Record<string, string> = offset > 0 ? { Range: `bytes=${offset}-` } : {};
    const res = await this.send(ref, `blobs/${digest}`, headers, `blob ${digest} of ${ref.domain}/${ref.path}`);
    const start = res.statusCode === 206 ? offset : 0;
    const length = res.headers['content-length'] !== undefined ? Number(res.headers['content-length']) : null;
    return { stream: res, offset: start, length };
  }

  /** GET with the authorization this repository needs; a 2xx response or a RegistryError. */
  private async send(ref: Reference, pathTail: string, headers: Record<string, string>, what: string): Promise<http.IncomingMessage> {
    const url = new URL(`${ref.path}/${pathTail}`, this.baseUrl(ref.domain));
    const scope = `repository:${ref.path}:pull`;
    const key = `${ref.domain} ${scope}`;
    let credentialUsed = false;
    for (let round = 0; ; round++) {
      const auth = this.authorizations.get(key);
      const { res } = await request(url, { headers: { ...headers, ...(auth ? { Authorization: auth } : {}) } }, this.retry);
      const status = res.statusCode ?? 0;
      if (status >= 200 && status < 300) return res;
      if (status === 401 && round === 0) {
        const challenge = parseChallenge(String(res.headers['www-authenticate'] ?? ''));
        res.resume();
        credentialUsed = this.credential(ref.domain) !== null;
        this.authorizations.set(key, await this.authorize(ref, challenge, scope, what));
        continue;
      }
      const text = await errorText(res);
      if (status === 401 && !credentialUsed) throw new RegistryError(`${this.noCredential(ref, what)} (${text})`, status);
      if (status === 401) throw new RegistryError(`${what}: unauthorized: the registry refused the credentials (${text})`, status);
      if (status === 404) throw new RegistryError(`${what}: not found (${text})`, status);
      throw new RegistryError(`${what}: ${text}`, status);
    }
  }

  private noCredential(ref: Reference, what: string): string {
    return `${what}: unauthorized: the registry asks for credentials and the auth file (${this.o.authFile ?? 'none'}) has none for ${ref.domain}`;
  }

  private credential(domain: string): Credential | null {
    return lookupCredential(this.o.authFile, domain);
  }

  /** The Authorization header value that answers a 401 challenge. */
  private async authorize(ref: Reference, challenge: Challenge | null, scope: string, what: string): Promise<string> {
    const cred = this.credential(ref.domain);
    const basic = cred ? `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString('base64')}` : null;
    const noCred = this.noCredential(ref, what);
    if (challenge?.scheme === 'basic') {
      if (!basic) throw new RegistryError(noCred, 401);
      return basic;
    }
    if (challenge?.scheme !== 'bearer' || !challenge.params.realm)
      throw new RegistryError(`${what}: unauthorized, and the registry's challenge is not Basic or Bearer with a realm`, 401);
    const realm = new URL(challenge.params.realm);
    if (challenge.params.service) realm.searchParams.set('service', challenge.params.service);
    realm.searchParams.set('scope', challenge.params.scope ?? scope);
    const { res } = await request(realm, { headers: basic ? { Authorization: basic } : {} }, this.retry);
    if (res.statusCode === 401 || res.statusCode === 403) {
      const text = await errorText(res);
      throw new RegistryError(cred ? `${what}: the token server ${realm.origin} refused the credentials (${text})` : `${noCred} (token server: ${text})`, 401);
    }
    if ((res.statusCode ?? 0) >= 300) throw new RegistryError(`${what}: token server ${realm.origin}: ${await errorText(res)}`, res.statusCode);
    const body = await readBody(res, 1 << 20, `token from ${realm.origin}`);
    let token: unknown;
    try {
      const parsed = JSON.parse(body.toString('utf8')) as { token?: unknown; access_token?: unknown };
      token = parsed.token ?? parsed.access_token;
    } catch {
      token = undefined; // not JSON: refused below as an answer without a token
    }
    if (typeof token !== 'string' || token === '') throw new RegistryError(`${what}: token server ${realm.origin} answered without a token`);
    return `Bearer ${token}`;
  }
}

/**
 * The OCI distribution spec's requests: for a pull, manifests by tag or digest (with the Accept
 * types of OCI and Docker schema 2) and blobs (with a Range to resume); for a push, any request
 * with the authorization its scopes need (./push.ts says which); a login's check of
 * credentials. And the registry's authentication:
 * anonymous, Bearer tokens fetched from the realm a `WWW-Authenticate` challenge names (with the
 * credential, when there is one), and Basic. Registries on localhost, 127.0.0.0/8, ::1 and those
 * named insecure are spoken to over plain http; every other over https.
 */
import type * as http from 'http';
import { Readable } from 'stream';
import { INDEX_TYPES, MANIFEST_TYPES } from '../content/descriptor';
import { lookupCredential, requestAuthFor, type Credential, type RequestAuth } from './credentials';
import { DEFAULT_RETRY, errorText, NetworkError, readBody, request, type HttpOptions, type RetryPolicy } from './http';
import { endpointsFor, NO_MIRRORS, type Capability, type MirrorConfig, type RegistryEndpoint } from './mirrors';
import { DOCKER_HUB, type Reference } from './reference';
import { TsrunError } from '../../common/errors';

export interface RegistryOptions {
  /** Docker-style auth file (credentials.ts); null: anonymous only. */
  authFile: string | null;
  /** host[:port] of registries spoken to over plain http besides the loopback ones. */
  insecure: string[];
  retry?: RetryPolicy;
  /** Endpoints tried before each registry (./mirrors.ts). */
  mirrors?: MirrorConfig;
}

/** A mirror that does not answer is passed over at once: the next endpoint may. */
const MIRROR_RETRY: RetryPolicy = { attempts: 1, backoffMs: 0 };

/** An endpoint's failure with the mirrors' failures before it, of the same class (its status kept). */
function withEarlierFailures(err: RegistryError | NetworkError, failures: string[]): Error {
  const message = `${err.message} (mirrors tried first: ${failures.join('; ')})`;
  return err instanceof RegistryError ? new RegistryError(message, err.status) : new NetworkError(message, err.errno);
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

/**
 * Scopes ("repository:team/app:pull") with the actions of one resource joined
 * ("repository:team/app:pull" and "...:pull,push" → "repository:team/app:pull,push"), in order.
 */
export function mergeScopes(scopes: string[]): string[] {
  const actions = new Map<string, Set<string>>();
  for (const scope of scopes.filter(Boolean)) {
    const colon = scope.lastIndexOf(':');
    const resource = colon > 0 ? scope.slice(0, colon) : scope;
    const set = actions.get(resource) ?? new Set<string>();
    if (colon > 0) for (const a of scope.slice(colon + 1).split(',')) if (a) set.add(a);
    actions.set(resource, set);
  }
  return [...actions].map(([resource, set]) => (set.size > 0 ? `${resource}:${[...set].join(',')}` : resource));
}

function isLoopback(host: string): boolean {
  const name = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return name === 'localhost' || name === '::1' || /^127\.\d+\.\d+\.\d+$/.test(name);
}

export class RegistryClient {
  /** Authorization header values by "domain scope". */
  private readonly authorizations = new Map<string, string>();
  private readonly retry: RetryPolicy;

  /**
   * `requestAuth`: the credentials a pull brought (withAuth), used before the auth file's for the
   * registry they name.
   */
  constructor(
    private readonly o: RegistryOptions,
    private readonly requestAuth: RequestAuth | null = null,
  ) {
    this.retry = o.retry ?? DEFAULT_RETRY;
  }

  /** A client for one pull with its own credentials (and its own authorizations: none leak to other pulls). */
  withAuth(auth: RequestAuth): RegistryClient {
    return new RegistryClient(this.o, auth);
  }

  get mirrors(): MirrorConfig {
    return this.o.mirrors ?? NO_MIRRORS;
  }

  baseUrl(domain: string): URL {
    const host = domain === DOCKER_HUB ? 'registry-1.docker.io' : domain;
    const plain = isLoopback(host) || this.o.insecure.includes(host);
    return new URL(`${plain ? 'http' : 'https'}://${host}/v2/`);
  }

  /** The manifest (or index) `tagOrDigest` names: its bytes, the media type and the digest the registry states. */
  async getManifest(ref: Reference, tagOrDigest: string): Promise<{ body: Buffer; mediaType: string; statedDigest: string }> {
    const what = `manifest ${ref.domain}/${ref.path}:${tagOrDigest}`;
    // A tag is resolved (a mirror without "resolve" is not asked); a digest is pulled.
    const res = await this.send(ref, `manifests/${tagOrDigest}`, { Accept: MANIFEST_ACCEPT }, what, tagOrDigest.includes(':') ? 'pull' : 'resolve');
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
    const res = await this.send(ref, `blobs/${digest}`, headers, `blob ${digest} of ${ref.domain}/${ref.path}`, 'pull');
    const start = res.statusCode === 206 ? offset : 0;
    const length = res.headers['content-length'] !== undefined ? Number(res.headers['content-length']) : null;
    return { stream: res, offset: start, length };
  }

  /** GET from the registry's endpoints in order (mirrors first) until one answers 2xx; else the registry's own failure. */
  private async send(ref: Reference, pathTail: string, headers: Record<string, string>, what: string, capability: Capability): Promise<http.IncomingMessage> {
    const endpoints = endpointsFor(this.mirrors, ref.domain, this.baseUrl(ref.domain), capability);
    const failures: string[] = [];
    for (const [i, endpoint] of endpoints.entries()) {
      try {
        const url = new URL(`${ref.path}/${pathTail}`, endpoint.base);
        const scope = `repository:${ref.path}:pull`;
        return await this.expect2xx(await this.exchange(endpoint, ref.domain, url, { headers }, [scope], what), what);
      } catch (err) {
        if (!(err instanceof RegistryError || err instanceof NetworkError)) throw err;
        if (i === endpoints.length - 1) throw failures.length > 0 ? withEarlierFailures(err, failures) : err;
        failures.push(`${endpoint.base.origin}: ${err.message}`);
      }
    }
    throw new Error('unreachable: endpointsFor always ends with the registry itself');
  }

  /**
   * The endpoint a push to `domain` goes to: the first host of its hosts.toml with the "push"
   * capability, else the registry itself (a mirror is never pushed to unless it says it takes pushes).
   */
  pushEndpoint(domain: string): RegistryEndpoint {
    return endpointsFor(this.mirrors, domain, this.baseUrl(domain), 'push')[0];
  }

  /**
   * One request of a push to `endpoint` with the authorization `scopes` need there (the pushed
   * repository's pull,push; a mount's source repository's pull too): the answer, whatever its
   * status but an unanswerable 401, which is thrown. `url` a path under the repository or an
   * upload location the registry gave (absolute or relative to the endpoint).
   */
  async pushRequest(
    endpoint: RegistryEndpoint,
    domain: string,
    url: URL,
    o: HttpOptions,
    scopes: string[],
    what: string,
    retry?: RetryPolicy,
  ): Promise<http.IncomingMessage> {
    const exchanged = await this.exchange(endpoint, domain, url, o, scopes, what, retry);
    if (exchanged.res.statusCode === 401) await this.expect2xx(exchanged, what);
    return exchanged.res;
  }

  /** A 2xx answer, else a RegistryError that says what the registry said. */
  private async expect2xx(x: { res: http.IncomingMessage; credentialUsed: boolean; domain: string }, what: string): Promise<http.IncomingMessage> {
    const status = x.res.statusCode ?? 0;
    if (status >= 200 && status < 300) return x.res;
    const text = await errorText(x.res);
    if (status === 401 && !x.credentialUsed) throw new RegistryError(`${this.noCredential(x.domain, what)} (${text})`, status);
    if (status === 401) throw new RegistryError(`${what}: unauthorized: the registry refused the credentials ${this.credentialSource(x.domain)} (${text})`, status);
    if (status === 404) throw new RegistryError(`${what}: not found (${text})`, status);
    throw new RegistryError(`${what}: ${text}`, status);
  }

  /** Where the credentials for `domain` came from, as an error names it. */
  private credentialSource(domain: string): string {
    return requestAuthFor(this.requestAuth, domain) ? 'the request gave' : `of the auth file ${this.o.authFile ?? '(none)'}`;
  }

  /**
   * A request to one endpoint with the authorization `scopes` need there: a 401 is answered once
   * (its challenge gives the scheme; the credential for `domain`), then the answer is returned
   * whatever its status, with whether a credential was offered.
   */
  private async exchange(
    endpoint: RegistryEndpoint,
    domain: string,
    url: URL,
    o: HttpOptions,
    scopes: string[],
    what: string,
    retry?: RetryPolicy,
  ): Promise<{ res: http.IncomingMessage; credentialUsed: boolean; domain: string }> {
    const credentialDomain = endpoint.mirror ? endpoint.base.host : domain;
    const key = `${endpoint.base.origin} ${scopes.join(' ')}`;
    const policy = retry ?? (endpoint.mirror ? MIRROR_RETRY : this.retry);
    let credentialUsed = false;
    for (let round = 0; ; round++) {
      const auth = this.authorizations.get(key);
      const headers = { ...o.headers, ...(auth ? { Authorization: auth } : {}) };
      const { res } = await request(url, { ...o, headers, skipVerify: endpoint.skipVerify }, policy);
      if (res.statusCode !== 401 || round > 0) return { res, credentialUsed, domain: credentialDomain };
      const challenge = parseChallenge(String(res.headers['www-authenticate'] ?? ''));
      res.resume();
      credentialUsed = requestAuthFor(this.requestAuth, credentialDomain) !== null || this.credential(credentialDomain) !== null;
      this.authorizations.set(key, await this.authorize(credentialDomain, challenge, scopes, what, endpoint));
    }
  }

  /**
   * Whether `cred` opens `domain`: /v2/ asked without credentials, then, when it answers a
   * challenge, with the authorization that challenge calls for (Basic, or a token the realm gives
   * for the credential). Throws the registry's refusal; nothing is kept.
   */
  async checkLogin(domain: string, cred: Credential): Promise<void> {
    const checker = this.withAuth({ serverAddress: '', username: cred.username, password: cred.password, identityToken: '', registryToken: '' });
    const endpoint: RegistryEndpoint = { base: this.baseUrl(domain), capabilities: ['pull', 'resolve', 'push'], mirror: false, skipVerify: false };
    const what = `login to ${domain}`;
    await checker.expect2xx(await checker.exchange(endpoint, domain, endpoint.base, {}, [], what), what).then((res) => res.resume());
  }

  private noCredential(domain: string, what: string): string {
    const given = this.requestAuth ? `the pull's credentials are for ${this.requestAuth.serverAddress} and ` : '';
    return `${what}: unauthorized: the registry asks for credentials and ${given}the auth file (${this.o.authFile ?? 'none'}) has none for ${domain}`;
  }

  private credential(domain: string): Credential | null {
    return lookupCredential(this.o.authFile, domain);
  }

  /** The Authorization header value that answers a 401 challenge. */
  private async authorize(domain: string, challenge: Challenge | null, scopes: string[], what: string, endpoint: RegistryEndpoint): Promise<string> {
    const given = requestAuthFor(this.requestAuth, domain);
    const cred: Credential | null = given
      ? given.username !== '' || given.password !== ''
        ? { username: given.username, password: given.password }
        : null
      : this.credential(domain);
    const basic = cred ? `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString('base64')}` : null;
    const noCred = this.noCredential(domain, what);
    if (challenge?.scheme === 'basic') {
      if (!basic) throw new RegistryError(given ? `${what}: the registry asks for a user and password; the pull gave a token` : noCred, 401);
      return basic;
    }
    if (challenge?.scheme !== 'bearer' || !challenge.params.realm)
      throw new RegistryError(`${what}: unauthorized, and the registry's challenge is not Basic or Bearer with a realm`, 401);
    if (given?.registryToken) return `Bearer ${given.registryToken}`;
    const realm = new URL(challenge.params.realm);
    const service = challenge.params.service ?? '';
    // What this request needs and what the challenge names (a mount's challenge may name both repositories).
    const wantScopes = mergeScopes([...scopes, ...(challenge.params.scope ?? '').split(' ')]);
    let res: http.IncomingMessage;
    if (given?.identityToken) {
      // An identity token is an OAuth2 refresh token: traded for an access token by POST.
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: given.identityToken, service, scope: wantScopes.join(' '), client_id: 'tsrund' });
      const headers = { 'Content-Type': 'application/x-www-form-urlencoded' };
      ({ res } = await request(realm, { method: 'POST', headers, body: Buffer.from(form.toString()), skipVerify: endpoint.skipVerify }, this.retry));
    } else {
      if (service) realm.searchParams.set('service', service);
      for (const scope of wantScopes) realm.searchParams.append('scope', scope);
      ({ res } = await request(realm, { headers: basic ? { Authorization: basic } : {}, skipVerify: endpoint.skipVerify }, this.retry));
    }
    const offered = cred !== null || Boolean(given?.identityToken);
    if (res.statusCode === 401 || res.statusCode === 403) {
      const text = await errorText(res);
      throw new RegistryError(offered ? `${what}: the token server ${realm.origin} refused the credentials (${text})` : `${noCred} (token server: ${text})`, 401);
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

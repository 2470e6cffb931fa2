/**
 * Pending streaming sessions by single-use token, as kubelet's streaming server keeps them: a
 * random token per request, consumed by the first request that names it, gone after a TTL
 * (kubelet: one minute) if never used, and a cap on how many may wait at once.
 */
import { randomBytes } from 'crypto';

export interface TokenCacheOptions {
  ttlMs: number;
  maxInFlight: number;
  now?: () => number;
}

export class TokenCache<T> {
  private readonly entries = new Map<string, { value: T; expires: number }>();
  private readonly now: () => number;

  constructor(private readonly opts: TokenCacheOptions) {
    this.now = opts.now ?? Date.now;
  }

  insert(value: T): string {
    this.evictExpired();
    if (this.entries.size >= this.opts.maxInFlight) {
      throw new Error(`streaming server: ${this.opts.maxInFlight} sessions already wait for their client; retry once some are used or expire`);
    }
    let token: string;
    do token = randomBytes(8).toString('base64url');
    while (this.entries.has(token));
    this.entries.set(token, { value, expires: this.now() + this.opts.ttlMs });
    return token;
  }

  /** The value for `token` if it is live; the token is spent either way. */
  consume(token: string): T | undefined {
    const e = this.entries.get(token);
    if (!e) return undefined;
    this.entries.delete(token);
    return e.expires > this.now() ? e.value : undefined;
  }

  get size(): number {
    this.evictExpired();
    return this.entries.size;
  }

  private evictExpired(): void {
    const t = this.now();
    for (const [k, e] of this.entries) if (e.expires <= t) this.entries.delete(k);
  }
}

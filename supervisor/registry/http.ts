/**
 * HTTP(S) requests for the registry client, on Node's http/https: redirects followed (the
 * Authorization header is dropped when a redirect leaves the host: blob storage has its own
 * signed URLs), retries with exponential backoff on network errors, 429 and 5xx.
 */
import * as http from 'http';
import * as https from 'https';
import type { Readable } from 'stream';
import { errnoText, TsrunError } from '../shared/errors';

export interface HttpOptions {
  method?: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH';
  headers?: Record<string, string>;
  /** A stream body is made afresh for each attempt (a retry sends it again from its start). */
  body?: Buffer | (() => Readable);
  /** https without verifying the server's certificate (a mirror's skip_verify). */
  skipVerify?: boolean;
}

export interface RetryPolicy {
  /** Attempts in all (1: no retry). */
  attempts: number;
  /** First wait; doubled at each further retry. */
  backoffMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, backoffMs: 250 };
const MAX_REDIRECTS = 5;
const IDLE_TIMEOUT_MS = 30_000;
const MAX_ERROR_BODY = 64 << 10;

/** A failure to talk to the server at all (worth a retry), as opposed to an answer. */
export class NetworkError extends TsrunError {
  constructor(
    message: string,
    readonly errno: string,
  ) {
    super(message, { code: 'unavailable' });
    this.name = 'NetworkError';
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function once(url: URL, o: HttpOptions): Promise<http.IncomingMessage> {
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const tls = o.skipVerify ? { rejectUnauthorized: false } : {};
    const req = mod.request(url, { method: o.method ?? 'GET', headers: o.headers, timeout: IDLE_TIMEOUT_MS, ...tls }, resolve);
    req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) =>
      reject(new NetworkError(`${o.method ?? 'GET'} ${url.origin}${url.pathname}: ${(err.code && errnoText(err.code)) || err.message}`, err.code ?? 'ERR')),
    );
    if (typeof o.body !== 'function') return void req.end(o.body);
    const body = o.body();
    body.on('error', (err) => req.destroy(err));
    body.pipe(req);
  });
}

/** Redirects followed; a response of any status is returned (its body unread). */
async function followRedirects(start: URL, o: HttpOptions): Promise<{ res: http.IncomingMessage; url: URL }> {
  let url = start;
  let headers = { ...o.headers };
  for (let hops = 0; ; hops++) {
    const res = await once(url, { ...o, headers });
    const location = res.headers.location;
    if (![301, 302, 303, 307, 308].includes(res.statusCode ?? 0) || !location) return { res, url };
    res.resume();
    if (hops >= MAX_REDIRECTS) throw new NetworkError(`${url.origin}${url.pathname}: more than ${MAX_REDIRECTS} redirects`, 'EREDIRECT');
    const next = new URL(location, url);
    if (next.host !== url.host) {
      const { authorization: _drop, Authorization: _Drop, ...rest } = headers;
      headers = rest;
    }
    url = next;
  }
}

const retryable = (status: number) => status === 429 || status >= 500;

/** A request with redirects and retries; the final response, whatever its status. */
export async function request(url: URL, o: HttpOptions = {}, retry: RetryPolicy = DEFAULT_RETRY): Promise<{ res: http.IncomingMessage; url: URL }> {
  for (let attempt = 1; ; attempt++) {
    try {
      const r = await followRedirects(url, o);
      if (!retryable(r.res.statusCode ?? 0) || attempt >= retry.attempts) return r;
      r.res.resume();
    } catch (err) {
      if (!(err instanceof NetworkError) || attempt >= retry.attempts) throw err;
    }
    await sleep(retry.backoffMs * 2 ** (attempt - 1));
  }
}

/** The whole body, refused beyond `limit` bytes. */
export async function readBody(res: http.IncomingMessage, limit: number, what: string): Promise<Buffer> {
  const declared = Number(res.headers['content-length'] ?? NaN);
  if (declared > limit) {
    res.destroy();
    throw new Error(`${what}: ${declared} bytes, more than the ${limit} allowed`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      res.destroy();
      throw new Error(`${what}: more than the ${limit} bytes allowed`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** What a registry said in an error response: its distribution-spec errors, or the status line. */
export async function errorText(res: http.IncomingMessage): Promise<string> {
  const status = `HTTP ${res.statusCode}${res.statusMessage ? ` ${res.statusMessage}` : ''}`;
  let body: Buffer;
  try {
    body = await readBody(res, MAX_ERROR_BODY, 'error body');
  } catch {
    // The answer is the error being reported; a body cut short leaves its status line.
    return status;
  }
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { errors?: { code?: string; message?: string }[] };
    if (Array.isArray(parsed.errors) && parsed.errors.length > 0)
      return `${status}: ${parsed.errors.map((e) => [e.code, e.message].filter(Boolean).join(': ')).join('; ')}`;
  } catch {
    /* not JSON: the status line says it */
  }
  return status;
}

/** A connection that broke in the middle of a body. */
export function isStreamAbort(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ETIMEDOUT' || (err as Error).message === 'aborted';
}

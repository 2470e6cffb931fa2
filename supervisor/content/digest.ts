/** OCI digests: only sha256 is stored (the algorithm every registry and tool uses for images). */
import * as crypto from 'crypto';
import { TsrunError } from '../../common/errors';

export class DigestError extends TsrunError {
  constructor(message: string) {
    super(message, { code: 'failed-precondition' });
    this.name = 'DigestError';
  }
}

const SHA256 = /^sha256:([a-f0-9]{64})$/;

/** Throws unless `digest` is "sha256:<64 lowercase hex>". */
export function parseDigest(digest: unknown): { algorithm: 'sha256'; hex: string } {
  // A JSON document (a manifest, an index.json) may hold anything where a digest belongs.
  const m = typeof digest === 'string' ? SHA256.exec(digest) : null;
  if (!m) {
    const shown = typeof digest === 'string' ? JSON.stringify(digest.slice(0, 100)) : `of type ${digest === null ? 'null' : typeof digest}`;
    throw new DigestError(`digest ${shown} is not sha256:<64 hex digits>`);
  }
  return { algorithm: 'sha256', hex: m[1] };
}

export function digestHex(digest: string): string {
  return parseDigest(digest).hex;
}

export function digestOf(content: Buffer): string {
  return `sha256:${crypto.createHash('sha256').update(content).digest('hex')}`;
}

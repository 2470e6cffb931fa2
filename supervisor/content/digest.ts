/** OCI digests: only sha256 is stored (the algorithm every registry and tool uses for images). */
import * as crypto from 'crypto';

export class DigestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DigestError';
  }
}

const SHA256 = /^sha256:([a-f0-9]{64})$/;

/** Throws unless `digest` is "sha256:<64 lowercase hex>". */
export function parseDigest(digest: string): { algorithm: 'sha256'; hex: string } {
  const m = SHA256.exec(digest);
  if (!m) throw new DigestError(`digest ${JSON.stringify(digest.slice(0, 100))} is not sha256:<64 hex digits>`);
  return { algorithm: 'sha256', hex: m[1] };
}

export function digestHex(digest: string): string {
  return parseDigest(digest).hex;
}

export function digestOf(content: Buffer): string {
  return `sha256:${crypto.createHash('sha256').update(content).digest('hex')}`;
}

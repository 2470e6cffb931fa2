/**
 * Layers for the snapshot tests, built by the tests themselves: tar streams from entry lists
 * (the project's own TarWriter), compressed or not, as LayerSources with their diff ids.
 */
import { execFileSync } from 'child_process';
import * as crypto from 'crypto';
import { PassThrough, Readable } from 'stream';
import * as zlib from 'zlib';
import { TarWriter, type TarWriteHeader } from '../../supervisor/archive/tar';
import type { LayerSource } from '../../supervisor/snapshots/overlay';

export interface TestEntry {
  h: TarWriteHeader;
  body?: string | Buffer;
}

/** The tar bytes of `entries`, in order. */
export async function tarOf(entries: TestEntry[]): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const w = new TarWriter(out);
  for (const { h, body } of entries) {
    const b = body === undefined ? undefined : Buffer.from(body);
    await w.add({ ...h, ...(b ? { size: b.length } : {}) }, b);
  }
  await w.finish();
  out.end();
  return Buffer.concat(chunks);
}

export const sha256 = (b: Buffer) => `sha256:${crypto.createHash('sha256').update(b).digest('hex')}`;

/** A layer whose blob is `tar` compressed as asked, with the right diff id. */
export function layerOf(tar: Buffer, compression: 'none' | 'gzip' | 'zstd' = 'none'): LayerSource {
  const blob =
    compression === 'gzip' ? zlib.gzipSync(tar) : compression === 'zstd' ? execFileSync('zstd', ['-q', '-c'], { input: tar }) : tar;
  return { digest: sha256(blob), diffId: sha256(tar), open: () => Readable.from([blob]) };
}

export async function layer(entries: TestEntry[], compression: 'none' | 'gzip' | 'zstd' = 'none'): Promise<LayerSource> {
  return layerOf(await tarOf(entries), compression);
}

export const dir = (path: string, extra: Partial<TarWriteHeader> = {}): TestEntry => ({ h: { path, type: 'directory', mode: 0o755, ...extra } });
export const file = (path: string, body: string, extra: Partial<TarWriteHeader> = {}): TestEntry => ({
  h: { path, type: 'file', mode: 0o644, ...extra },
  body,
});
export const symlink = (path: string, linkname: string): TestEntry => ({ h: { path, type: 'symlink', linkname, mode: 0o777 } });
export const hardlink = (path: string, linkname: string): TestEntry => ({ h: { path, type: 'hardlink', linkname, mode: 0o644 } });

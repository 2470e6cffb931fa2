/**
 * Tar bytes forged header by header, for tests that need what no well-behaved writer emits: a
 * pax size that disagrees with the ustar one, base-256 numbers, GNU long names, V7 and GNU magic,
 * junk in fields, two extended headers for one entry, truncated archives.
 */

export const BLOCK = 512;

export type Magic = 'ustar' | 'gnu' | 'v7';

export interface ForgedHeader {
  name: string | Buffer;
  typeflag: string;
  size?: number;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
  linkname?: string;
  uname?: string;
  devmajor?: number;
  devminor?: number;
  magic?: Magic;
  prefix?: string;
  /** Raw bytes for a number field instead of its octal (e.g. base-256, or junk after a NUL). */
  raw?: Partial<Record<keyof typeof FIELDS, Buffer>>;
}

const FIELDS = { mode: [100, 8], uid: [108, 8], gid: [116, 8], size: [124, 12], mtime: [136, 12] } as const;

/** GNU base-256: 0x80 then the big-endian value. */
export function base256(value: bigint, len: number): Buffer {
  const b = Buffer.alloc(len);
  let v = value;
  for (let i = len - 1; i > 0; i--) {
    b[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  b[0] = 0x80;
  return b;
}

export function header(h: ForgedHeader): Buffer {
  const b = Buffer.alloc(BLOCK);
  const put = (v: string | Buffer, off: number, len: number) => Buffer.from(v).copy(b, off, 0, Math.min(len, Buffer.byteLength(v)));
  const oct = (v: number, off: number, len: number) => put(v.toString(8).padStart(len - 1, '0') + '\0', off, len);
  put(h.name, 0, 100);
  const nums = { mode: h.mode ?? 0o644, uid: h.uid ?? 0, gid: h.gid ?? 0, size: h.size ?? 0, mtime: h.mtime ?? 0 };
  for (const [k, [off, len]] of Object.entries(FIELDS) as [keyof typeof FIELDS, readonly [number, number]][]) {
    const raw = h.raw?.[k];
    if (raw) raw.copy(b, off, 0, len);
    else oct(nums[k], off, len);
  }
  put(h.typeflag, 156, 1);
  put(h.linkname ?? '', 157, 100);
  const magic = h.magic ?? 'ustar';
  if (magic === 'ustar') put('ustar\x0000', 257, 8);
  if (magic === 'gnu') put('ustar  \0', 257, 8);
  put(h.uname ?? '', 265, 32);
  if (magic !== 'v7') {
    oct(h.devmajor ?? 0, 329, 8);
    oct(h.devminor ?? 0, 337, 8);
  }
  put(h.prefix ?? '', 345, 155);
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += b[i];
  put(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
  return b;
}

export const pad = (n: number) => Buffer.alloc((BLOCK - (n % BLOCK)) % BLOCK);

/** pax records, in order; values may be bytes. */
export function paxData(records: [string, string | Buffer][]): Buffer {
  return Buffer.concat(
    records.map(([k, v]) => {
      const body = Buffer.concat([Buffer.from(` ${k}=`), Buffer.from(v), Buffer.from('\n')]);
      let len = body.length + 1;
      while (String(len).length + body.length !== len) len = String(len).length + body.length;
      return Buffer.concat([Buffer.from(String(len)), body]);
    }),
  );
}

/** An extended header ('x', 'g', 'L' or 'K') with its data, padded. */
export function extended(typeflag: 'x' | 'g' | 'L' | 'K', data: Buffer, magic: Magic = typeflag === 'L' || typeflag === 'K' ? 'gnu' : 'ustar'): Buffer {
  const name = typeflag === 'L' || typeflag === 'K' ? '././@LongLink' : 'PaxHeader';
  return Buffer.concat([header({ name, typeflag, size: data.length, magic }), data, pad(data.length)]);
}

export const END = Buffer.alloc(2 * BLOCK);

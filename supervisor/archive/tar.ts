/**
 * Tar archives (POSIX ustar, pax extended headers, GNU long names), read as a stream and written
 * with back-pressure. Used for image layers, OCI image-layout archives (import/export).
 *
 * Reading:
 *
 *   for await (const entry of readTar(stream)) {
 *     entry.header.path       // as archived: may hold "./", "../" or a leading "/" (callers that
 *                             // write to disk must check it); a directory's trailing "/" removed
 *     entry.header.type       // 'file' | 'directory' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo'
 *     entry.header.mode       // permission bits incl. setuid/setgid/sticky (07777), no file type bits
 *     entry.header.uid / gid / uname / gname
 *     entry.header.size       // bytes of body (0 for anything but 'file')
 *     entry.header.mtime      // seconds since the epoch (fractional when a pax mtime says so)
 *     entry.header.linkname   // target of a symlink or hardlink ("" otherwise)
 *     entry.header.devmajor / devminor
 *     entry.header.xattrs     // pax SCHILY.xattr.* (and LIBARCHIVE.xattr.*): name → raw bytes
 *     entry.header.pax        // every pax record that applied to the entry (text values)
 *     entry.body              // a Readable of exactly `size` bytes
 *   }
 *
 * Rules: consume or ignore an entry's body before asking for the next entry (asking for the next
 * one skips what is left of it and destroys the body stream). The reader never buffers a body;
 * headers, pax records and GNU long names are buffered (each at most 1 MiB). Malformed input
 * throws a TarError naming the entry and byte offset: bad header checksum, a number field that is
 * not octal/base-256, an archive that ends inside an entry, an unsupported entry type (GNU
 * sparse files, volume headers, ...). A plain end of input, one or two zero blocks: the end.
 *
 * Writing:
 *
 *   const w = new TarWriter(writable);
 *   await w.add({ path: 'dir', type: 'directory', mode: 0o755 });
 *   await w.add({ path: 'dir/f', type: 'file', size: n }, readableOrBuffer);
 *   await w.finish();     // two zero blocks; does not end `writable`
 *
 * The writer emits ustar headers and a pax header before any entry whose path or link name does
 * not fit ustar's fields (or is not ASCII), or whose numbers overflow them.
 */
import { Readable, type Writable } from 'stream';

export type TarEntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';

export interface TarHeader {
  path: string;
  type: TarEntryType;
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  size: number;
  mtime: number;
  linkname: string;
  devmajor: number;
  devminor: number;
  xattrs: Record<string, Buffer>;
  pax: Record<string, string>;
}

export interface TarEntry {
  header: TarHeader;
  body: Readable;
}

export class TarError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TarError';
  }
}

const BLOCK = 512;
const MAX_META = 1 << 20;
const ZERO_BLOCK = Buffer.alloc(BLOCK);

const TYPES: Record<string, TarEntryType> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file',
  '1': 'hardlink',
  '2': 'symlink',
  '3': 'char',
  '4': 'block',
  '5': 'directory',
  '6': 'fifo',
};

/** Pulls exact byte counts out of a stream of chunks. */
class ByteSource {
  private buf = Buffer.alloc(0);
  private ended = false;
  /** Bytes handed out so far (for error messages). */
  position = 0;

  constructor(private readonly it: AsyncIterator<Buffer | string>) {}

  private async fill(n: number): Promise<void> {
    while (this.buf.length < n && !this.ended) {
      const r = await this.it.next();
      if (r.done) this.ended = true;
      else this.buf = this.buf.length === 0 ? Buffer.from(r.value) : Buffer.concat([this.buf, Buffer.from(r.value)]);
    }
  }

  /** Exactly n bytes; fewer only at the end of input. */
  async read(n: number): Promise<Buffer> {
    await this.fill(n);
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(out.length);
    this.position += out.length;
    return out;
  }

  /** Between 1 and max bytes (0 only at the end of input). */
  async readSome(max: number): Promise<Buffer> {
    if (this.buf.length === 0) await this.fill(1);
    return this.read(Math.min(max, this.buf.length));
  }

  async skip(n: number): Promise<number> {
    let left = n;
    while (left > 0) {
      const got = await this.readSome(Math.min(left, 1 << 16));
      if (got.length === 0) break;
      left -= got.length;
    }
    return n - left;
  }

  async close(): Promise<void> {
    await this.it.return?.();
  }
}

/** The entries of a tar stream, in order. */
export async function* readTar(input: AsyncIterable<Buffer | string>): AsyncGenerator<TarEntry> {
  const src = new ByteSource(input[Symbol.asyncIterator]());
  let globalPax: Record<string, Buffer> = {};
  let localPax: Record<string, Buffer> = {};
  let longName: string | null = null;
  let longLink: string | null = null;
  let current: BodyStream | null = null;
  try {
    for (;;) {
      if (current) {
        await current.abandon();
        current = null;
      }
      const at = src.position;
      const block = await src.read(BLOCK);
      if (block.length === 0) return;
      if (block.length < BLOCK) throw new TarError(`tar: input ends inside a header at byte ${at}`);
      if (block.equals(ZERO_BLOCK)) return;
      const raw = parseRawHeader(block, at);
      const padded = Math.ceil(raw.size / BLOCK) * BLOCK;
      if (raw.typeflag === 'x' || raw.typeflag === 'g' || raw.typeflag === 'L' || raw.typeflag === 'K') {
        if (raw.size > MAX_META) throw new TarError(`tar: ${raw.typeflag} header at byte ${at} is ${raw.size} bytes (limit ${MAX_META})`);
        const data = await src.read(padded);
        if (data.length < padded) throw new TarError(`tar: input ends inside the ${raw.typeflag} header at byte ${at}`);
        const content = data.subarray(0, raw.size);
        if (raw.typeflag === 'x') localPax = { ...localPax, ...parsePax(content, at) };
        else if (raw.typeflag === 'g') globalPax = { ...globalPax, ...parsePax(content, at) };
        else if (raw.typeflag === 'L') longName = cString(content);
        else longLink = cString(content);
        continue;
      }
      const type = TYPES[raw.typeflag];
      if (!type) throw new TarError(`tar: entry ${JSON.stringify(raw.name)} at byte ${at} has unsupported type ${JSON.stringify(raw.typeflag)}`);
      const header = applyExtensions(raw, type, { ...globalPax, ...localPax }, longName, longLink, at);
      localPax = {};
      longName = null;
      longLink = null;
      // Links, devices, directories and fifos carry no body whatever their size field says.
      const bodySize = type === 'file' ? header.size : 0;
      if (type !== 'file') header.size = 0;
      current = new BodyStream(src, bodySize, Math.ceil(raw.size / BLOCK) * BLOCK - bodySize, header.path, at);
      yield { header, body: current };
    }
  } finally {
    current?.destroy();
    await src.close();
  }
}

/** The body of one entry: `size` bytes from the source, then `pad` bytes skipped. */
class BodyStream extends Readable {
  private left: number;
  private reading: Promise<void> | null = null;

  constructor(
    private readonly src: ByteSource,
    size: number,
    private readonly pad: number,
    private readonly entryPath: string,
    private readonly at: number,
  ) {
    super({ highWaterMark: 1 << 16 });
    this.left = size;
    if (size === 0) this.push(null);
  }

  override _read(): void {
    if (this.reading || this.left === 0) return;
    this.reading = this.src.readSome(Math.min(this.left, 1 << 16)).then(
      (chunk) => {
        this.reading = null;
        if (chunk.length === 0) {
          this.destroy(this.truncated());
          return;
        }
        this.left -= chunk.length;
        this.push(chunk);
        if (this.left === 0) this.push(null);
      },
      (err: Error) => {
        this.reading = null;
        this.destroy(err);
      },
    );
  }

  private truncated(): TarError {
    return new TarError(`tar: input ends inside the body of ${JSON.stringify(this.entryPath)} (header at byte ${this.at})`);
  }

  /** Skip what the consumer did not read, and the padding; end the stream. */
  async abandon(): Promise<void> {
    while (this.reading) await this.reading;
    const want = this.left + this.pad;
    const skipped = await this.src.skip(want);
    this.left = 0;
    if (skipped < want) throw this.truncated();
    if (!this.destroyed && !this.readableEnded) this.destroy();
  }
}

interface RawHeader {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  typeflag: string;
  linkname: string;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
}

function parseRawHeader(b: Buffer, at: number): RawHeader {
  const stored = parseNumber(b.subarray(148, 156), 'checksum', at);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const v = i >= 148 && i < 156 ? 0x20 : b[i];
    unsigned += v;
    signed += v > 127 ? v - 256 : v;
  }
  if (stored !== unsigned && stored !== signed) throw new TarError(`tar: bad header checksum at byte ${at}`);
  const magic = b.subarray(257, 263).toString('latin1');
  const name = cString(b.subarray(0, 100));
  // ustar keeps a path prefix at 345; GNU tar ("ustar  ") uses those bytes for other things.
  const prefix = magic === 'ustar\0' ? cString(b.subarray(345, 500)) : '';
  const field = (s: number, e: number, what: string) => parseNumber(b.subarray(s, e), what, at);
  return {
    name: prefix ? `${prefix}/${name}` : name,
    mode: field(100, 108, 'mode') & 0o7777,
    uid: field(108, 116, 'uid'),
    gid: field(116, 124, 'gid'),
    size: field(124, 136, 'size'),
    mtime: field(136, 148, 'mtime'),
    typeflag: String.fromCharCode(b[156]),
    linkname: cString(b.subarray(157, 257)),
    uname: cString(b.subarray(265, 297)),
    gname: cString(b.subarray(297, 329)),
    devmajor: field(329, 337, 'devmajor'),
    devminor: field(337, 345, 'devminor'),
  };
}

function cString(b: Buffer): string {
  const nul = b.indexOf(0);
  return b.subarray(0, nul < 0 ? b.length : nul).toString('utf8');
}

/** Octal (NUL or space terminated, may be empty) or GNU base-256 (high bit of the first byte). */
function parseNumber(b: Buffer, what: string, at: number): number {
  if (b[0] & 0x80) {
    if (b[0] & 0x40) throw new TarError(`tar: negative ${what} in the header at byte ${at}`);
    let v = b[0] & 0x3f;
    for (let i = 1; i < b.length; i++) v = v * 256 + b[i];
    if (!Number.isSafeInteger(v)) throw new TarError(`tar: ${what} too large in the header at byte ${at}`);
    return v;
  }
  const text = b.toString('latin1').replace(/[\0 ]+$/, '').replace(/^ +/, '');
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarError(`tar: ${what} field ${JSON.stringify(text)} is not octal in the header at byte ${at}`);
  return parseInt(text, 8);
}

/** pax records "<len> <key>=<value>\n"; values kept as bytes (xattr values are binary). */
function parsePax(b: Buffer, at: number): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  let off = 0;
  while (off < b.length) {
    if (b[off] === 0) break;
    const space = b.indexOf(0x20, off);
    const len = space < 0 ? NaN : Number(b.subarray(off, space).toString('latin1'));
    if (!Number.isInteger(len) || len <= 0 || off + len > b.length || b[off + len - 1] !== 0x0a)
      throw new TarError(`tar: malformed pax record in the header at byte ${at}`);
    const record = b.subarray(space + 1, off + len - 1);
    const eq = record.indexOf(0x3d);
    if (eq < 0) throw new TarError(`tar: pax record without "=" in the header at byte ${at}`);
    out[record.subarray(0, eq).toString('utf8')] = Buffer.from(record.subarray(eq + 1));
    off += len;
  }
  return out;
}

function applyExtensions(
  raw: RawHeader,
  type: TarEntryType,
  pax: Record<string, Buffer>,
  longName: string | null,
  longLink: string | null,
  at: number,
): TarHeader {
  const text: Record<string, string> = {};
  const xattrs: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(pax)) {
    if (k.startsWith('SCHILY.xattr.')) xattrs[k.slice('SCHILY.xattr.'.length)] = v;
    else if (k.startsWith('LIBARCHIVE.xattr.')) xattrs[decodeURIComponent(k.slice('LIBARCHIVE.xattr.'.length))] = Buffer.from(v.toString('latin1'), 'base64');
    else text[k] = v.toString('utf8');
  }
  const num = (key: string, fallback: number, fractional = false): number => {
    if (!(key in text)) return fallback;
    const v = Number(text[key]);
    if (!Number.isFinite(v) || v < 0 || (!fractional && !Number.isInteger(v)))
      throw new TarError(`tar: pax ${key}=${JSON.stringify(text[key])} is not a valid number in the header at byte ${at}`);
    return v;
  };
  const rawPath = text.path ?? longName ?? raw.name;
  const path = type === 'directory' && rawPath.length > 1 ? rawPath.replace(/\/+$/, '') : rawPath;
  return {
    path,
    type,
    mode: raw.mode,
    uid: num('uid', raw.uid),
    gid: num('gid', raw.gid),
    uname: text.uname ?? raw.uname,
    gname: text.gname ?? raw.gname,
    size: num('size', raw.size),
    mtime: num('mtime', raw.mtime, true),
    linkname: text.linkpath ?? longLink ?? raw.linkname,
    devmajor: raw.devmajor,
    devminor: raw.devminor,
    xattrs,
    pax: text,
  };
}

// Writing ------------------------------------------------------------------------------------

export type TarWriteHeader = Partial<TarHeader> & { path: string; type: TarEntryType };

const TYPEFLAG: Record<TarEntryType, string> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  char: '3',
  block: '4',
  directory: '5',
  fifo: '6',
};

export class TarWriter {
  constructor(private readonly out: Writable) {}

  /** Add one entry; `body` (for files) must hold exactly `size` bytes. */
  async add(h: TarWriteHeader, body?: Readable | Buffer): Promise<void> {
    const size = h.type === 'file' ? (h.size ?? (Buffer.isBuffer(body) ? body.length : 0)) : 0;
    const name = h.type === 'directory' && !h.path.endsWith('/') ? `${h.path}/` : h.path;
    const linkname = h.linkname ?? '';
    const mtime = Math.floor(h.mtime ?? 0);
    const pax: Record<string, string> = {};
    if (!fitsUstar(name, 100)) pax.path = name;
    if (!fitsUstar(linkname, 100)) pax.linkpath = linkname;
    if (size > 0o77777777777) pax.size = String(size);
    for (const [k, v] of [['uid', h.uid ?? 0], ['gid', h.gid ?? 0]] as const) if (v > 0o7777777) pax[k] = String(v);
    const extra = h.xattrs ?? {};
    if (Object.keys(pax).length > 0 || Object.keys(extra).length > 0) {
      const records = encodePax(pax, extra);
      await this.write(encodeHeader({ name: 'PaxHeader', mode: 0o644, size: records.length, typeflag: 'x', mtime }));
      await this.write(records);
      await this.write(Buffer.alloc(padding(records.length)));
    }
    await this.write(
      encodeHeader({
        name: pax.path ? name.slice(0, 99) : name,
        mode: h.mode ?? (h.type === 'directory' ? 0o755 : 0o644),
        uid: pax.uid ? 0 : (h.uid ?? 0),
        gid: pax.gid ? 0 : (h.gid ?? 0),
        size: pax.size ? 0 : size,
        mtime,
        typeflag: TYPEFLAG[h.type],
        linkname: pax.linkpath ? linkname.slice(0, 99) : linkname,
        uname: h.uname ?? '',
        gname: h.gname ?? '',
        devmajor: h.devmajor ?? 0,
        devminor: h.devminor ?? 0,
      }),
    );
    if (size === 0) return;
    let written = 0;
    const chunks: AsyncIterable<Buffer> | Buffer[] = Buffer.isBuffer(body) ? [body] : (body ?? []);
    for await (const chunk of chunks) {
      written += chunk.length;
      if (written > size) throw new TarError(`tar: body of ${JSON.stringify(h.path)} is longer than its size ${size}`);
      await this.write(chunk);
    }
    if (written !== size) throw new TarError(`tar: body of ${JSON.stringify(h.path)} is ${written} bytes, its size says ${size}`);
    await this.write(Buffer.alloc(padding(size)));
  }

  /** The end-of-archive marker (two zero blocks). */
  async finish(): Promise<void> {
    await this.write(Buffer.alloc(2 * BLOCK));
  }

  private write(b: Buffer): Promise<void> {
    if (b.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const ok = this.out.write(b, (err) => err && reject(err));
      if (ok) resolve();
      else this.out.once('drain', resolve);
    });
  }
}

const padding = (n: number) => (BLOCK - (n % BLOCK)) % BLOCK;
const fitsUstar = (s: string, max: number) => s.length < max && /^[\x20-\x7e]*$/.test(s);

function encodePax(pax: Record<string, string>, xattrs: Record<string, Buffer>): Buffer {
  const record = (key: string, value: Buffer): Buffer => {
    const body = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from('\n')]);
    let len = body.length + 1;
    while (String(len).length + body.length !== len) len = String(len).length + body.length;
    return Buffer.concat([Buffer.from(String(len)), body]);
  };
  return Buffer.concat([
    ...Object.entries(pax).map(([k, v]) => record(k, Buffer.from(v))),
    ...Object.entries(xattrs).map(([k, v]) => record(`SCHILY.xattr.${k}`, v)),
  ]);
}

interface EncodeFields {
  name: string;
  mode: number;
  size: number;
  typeflag: string;
  mtime: number;
  uid?: number;
  gid?: number;
  linkname?: string;
  uname?: string;
  gname?: string;
  devmajor?: number;
  devminor?: number;
}

function encodeHeader(f: EncodeFields): Buffer {
  const b = Buffer.alloc(BLOCK);
  const str = (s: string, off: number, len: number) => b.write(s, off, Math.min(len, Buffer.byteLength(s)), 'utf8');
  const oct = (v: number, off: number, len: number) => b.write(v.toString(8).padStart(len - 1, '0') + '\0', off, len, 'latin1');
  str(f.name, 0, 100);
  oct(f.mode, 100, 8);
  oct(f.uid ?? 0, 108, 8);
  oct(f.gid ?? 0, 116, 8);
  oct(f.size, 124, 12);
  oct(f.mtime, 136, 12);
  b.write(f.typeflag, 156, 1, 'latin1');
  str(f.linkname ?? '', 157, 100);
  b.write('ustar\x0000', 257, 8, 'latin1');
  str(f.uname ?? '', 265, 32);
  str(f.gname ?? '', 297, 32);
  oct(f.devmajor ?? 0, 329, 8);
  oct(f.devminor ?? 0, 337, 8);
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += b[i];
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  return b;
}

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
 * sparse files, volume headers, ...). So does input that tar readers read differently (GNU tar
 * and Python's tarfile disagree, so an image scanner may see other files than the unpack): two
 * extended headers of a kind for one entry, a long name and a pax path, a body after a
 * non-file, names that are not UTF-8, a global path or size. The pax size, path, linkpath, uid,
 * gid, uname, gname and mtime override the ustar fields (the size also says where the next
 * header is). A plain end of input, one or two zero blocks: the end.
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
import { isUtf8 } from 'buffer';
import { Readable, type Writable } from 'stream';
import { TsrunError } from '../../common/errors';

/** The longest entry name a message quotes whole; a longer one keeps its two ends, so the line stays readable. */
const SHOWN_NAME_MAX = 160;

/** An entry name as messages quote it: JSON, shortened in the middle when it is long. */
export function shownName(name: string): string {
  if (name.length <= SHOWN_NAME_MAX) return JSON.stringify(name);
  const end = SHOWN_NAME_MAX / 4;
  return `${JSON.stringify(name.slice(0, SHOWN_NAME_MAX - end))}…(${Buffer.byteLength(name)} bytes)…${JSON.stringify(name.slice(-end))}`;
}

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

export class TarError extends TsrunError {
  constructor(message: string) {
    super(message, { code: 'invalid-argument' });
    this.name = 'TarError';
  }
}

const BLOCK = 512;
const MAX_META = 1 << 20;
const padding = (n: number) => (BLOCK - (n % BLOCK)) % BLOCK;
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
  private buf: Buffer = Buffer.alloc(0);
  private ended = false;
  /** Bytes handed out so far (for error messages). */
  position = 0;

  constructor(private readonly it: AsyncIterator<Buffer | string>) {}

  private async fill(n: number): Promise<void> {
    while (this.buf.length < n && !this.ended) {
      const r = await this.it.next();
      if (r.done) this.ended = true;
      else {
        // Buffer.from(buffer) would copy every byte; only strings need converting.
        const chunk = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
        this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
      }
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
      const got = await this.readSome(left);
      if (got.length === 0) break;
      left -= got.length;
    }
    return n - left;
  }

  async close(): Promise<void> {
    await this.it.return?.();
  }
}

/**
 * Extended headers that apply to the next entry. Each kind at most once: when an entry has two
 * pax headers, two long names, or a long name and a pax path, tar readers disagree on which one
 * wins (GNU tar: the last or the pax one; Python's tarfile: the first), so such input is refused
 * rather than read one way while a scanner reads it the other.
 */
interface Pending {
  pax: Record<string, Buffer> | null;
  longName: string | null;
  longLink: string | null;
}

const META_KIND: Record<string, keyof Pending> = { x: 'pax', L: 'longName', K: 'longLink' };

/** The entries of a tar stream, in order. */
export async function* readTar(input: AsyncIterable<Buffer | string>): AsyncGenerator<TarEntry> {
  const src = new ByteSource(input[Symbol.asyncIterator]());
  let globalPax: Record<string, Buffer> = {};
  let pending: Pending = { pax: null, longName: null, longLink: null };
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
      if (block.equals(ZERO_BLOCK)) {
        if (pending.pax || pending.longName !== null || pending.longLink !== null) throw new TarError(`tar: the archive ends after an extended header, before its entry (at byte ${at})`);
        return;
      }
      const raw = parseRawHeader(block, at);
      const padded = Math.ceil(raw.size / BLOCK) * BLOCK;
      if (raw.typeflag === 'x' || raw.typeflag === 'g' || raw.typeflag === 'L' || raw.typeflag === 'K') {
        if (raw.size > MAX_META) throw new TarError(`tar: ${raw.typeflag} header at byte ${at} is ${raw.size} bytes (limit ${MAX_META})`);
        const data = await src.read(padded);
        if (data.length < padded) throw new TarError(`tar: input ends inside the ${raw.typeflag} header at byte ${at}`);
        const content = data.subarray(0, raw.size);
        if (raw.typeflag === 'g') {
          globalPax = { ...globalPax, ...checkGlobalPax(parsePax(content, at), at) };
          continue;
        }
        const kind = META_KIND[raw.typeflag];
        if (pending[kind] !== null) throw new TarError(`tar: two ${raw.typeflag} headers for one entry at byte ${at}: tar readers disagree on which applies`);
        if (kind === 'pax') pending.pax = parsePax(content, at);
        else pending[kind] = utf8(cString(content), `the ${raw.typeflag} header`, at);
        continue;
      }
      const type = entryType(raw, at);
      const header = applyExtensions(raw, type, globalPax, pending, at);
      pending = { pax: null, longName: null, longLink: null };
      // Python's tarfile skips a body after files only, GNU tar after everything but directories:
      // anything else with a size would be read two ways.
      if (type !== 'file' && header.size !== 0) throw new TarError(`tar: ${header.type} ${shownName(header.path)} at byte ${at} has a size (${header.size}): tar readers disagree on whether a body follows`);
      // The pax size, when there is one, says where the next header is (not the ustar field).
      current = new BodyStream(src, header.size, padding(header.size), header.path, at);
      yield { header, body: current };
    }
  } finally {
    current?.destroy();
    await src.close();
  }
}

/** The entry's type; V7 tar marks a directory as an old-style file whose name ends in "/". */
function entryType(raw: RawHeader, at: number): TarEntryType {
  if (raw.typeflag === '\0' && raw.name.endsWith('/')) return 'directory';
  const type = TYPES[raw.typeflag];
  if (type) return type;
  if (raw.typeflag === 'S') throw new TarError(`tar: entry ${shownName(raw.name)} at byte ${at} is a GNU sparse file, which is not supported: archive it without --sparse`);
  throw new TarError(`tar: entry ${shownName(raw.name)} at byte ${at} has unsupported type ${JSON.stringify(raw.typeflag)}`);
}

/** The body of one entry: `size` bytes from the source, then `pad` bytes skipped. */
class BodyStream extends Readable {
  private left: number;
  private reading: Promise<void> | null = null;
  /** Set once the reader moved on: a consumer still reading must not take the next entry's bytes. */
  private abandoned = false;

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
    if (this.abandoned || this.reading || this.left === 0) return;
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
    return new TarError(`tar: input ends inside the body of ${shownName(this.entryPath)} (header at byte ${this.at})`);
  }

  /** Skip what the consumer did not read, and the padding; end the stream. */
  async abandon(): Promise<void> {
    this.abandoned = true;
    while (this.reading) await this.reading;
    const want = this.left + this.pad;
    this.left = 0;
    const skipped = await this.src.skip(want);
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
  const text = (s: number, e: number, what: string) => utf8(cString(b.subarray(s, e)), `the ${what} field`, at);
  const name = text(0, 100, 'name');
  const typeflag = String.fromCharCode(b[156]);
  // ustar keeps a path prefix at 345; GNU tar ("ustar  ") and V7 headers use those bytes for other
  // things, yet Python's tarfile prepends whatever is there: refused, as it is read two ways.
  const prefix = text(345, 500, 'prefix');
  if (prefix && magic !== 'ustar\0' && !'LKS'.includes(typeflag))
    throw new TarError(`tar: the header at byte ${at} is not ustar but has bytes in the ustar prefix field: tar readers disagree on its name`);
  const field = (s: number, e: number, what: string) => parseNumber(b.subarray(s, e), what, at);
  return {
    name: prefix && magic === 'ustar\0' ? `${prefix}/${name}` : name,
    mode: field(100, 108, 'mode') & 0o7777,
    uid: field(108, 116, 'uid'),
    gid: field(116, 124, 'gid'),
    size: field(124, 136, 'size'),
    mtime: parseNumber(b.subarray(136, 148), 'mtime', at, true),
    typeflag,
    linkname: text(157, 257, 'linkname'),
    uname: text(265, 297, 'uname'),
    gname: text(297, 329, 'gname'),
    devmajor: field(329, 337, 'devmajor'),
    devminor: field(337, 345, 'devminor'),
  };
}

/** The bytes up to the first NUL. */
function cString(b: Buffer): Buffer {
  const nul = b.indexOf(0);
  return b.subarray(0, nul < 0 ? b.length : nul);
}

/** Names as text; bytes that are not UTF-8 would be read differently by every tool: refused. */
function utf8(b: Buffer, what: string, at: number): string {
  if (!isUtf8(b)) throw new TarError(`tar: ${what} of the header at byte ${at} is not UTF-8`);
  return b.toString('utf8');
}

/**
 * Octal (leading spaces, ended by NUL or space, may be empty; what follows a NUL is ignored, as
 * GNU tar and Python's tarfile both do) or GNU base-256 (first byte 0x80, or 0xff for a negative
 * number, which only mtime may be).
 */
function parseNumber(b: Buffer, what: string, at: number, signed = false): number {
  if (b[0] === 0x80 || b[0] === 0xff) {
    const negative = b[0] === 0xff;
    if (negative && !signed) throw new TarError(`tar: negative ${what} in the header at byte ${at}`);
    let v = 0;
    for (let i = 1; i < b.length; i++) v = v * 256 + (negative ? 255 - b[i] : b[i]);
    if (!Number.isSafeInteger(v)) throw new TarError(`tar: ${what} too large in the header at byte ${at}`);
    return negative ? -(v + 1) : v;
  }
  if (b[0] & 0x80) throw new TarError(`tar: ${what} field in the header at byte ${at} is neither octal nor base-256`);
  const text = cString(b).toString('latin1').trim();
  if (!/^[0-7]*$/.test(text)) throw new TarError(`tar: ${what} field ${JSON.stringify(text)} is not octal in the header at byte ${at}`);
  return text === '' ? 0 : parseInt(text, 8);
}

/** pax records "<len> <key>=<value>\n"; values kept as bytes (xattr values are binary). */
function parsePax(b: Buffer, at: number): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  let off = 0;
  while (off < b.length) {
    if (b[off] === 0) break;
    const space = b.indexOf(0x20, off);
    const lenText = space < 0 ? '' : b.subarray(off, space).toString('latin1');
    const len = /^[0-9]{1,8}$/.test(lenText) ? Number(lenText) : NaN;
    if (!(len > 0) || off + len > b.length || b[off + len - 1] !== 0x0a) throw new TarError(`tar: malformed pax record in the header at byte ${at}`);
    const record = b.subarray(space + 1, off + len - 1);
    const eq = record.indexOf(0x3d);
    if (eq <= 0) throw new TarError(`tar: pax record without a key or "=" in the header at byte ${at}`);
    const key = utf8(record.subarray(0, eq), 'a pax key', at);
    out[key] = Buffer.from(record.subarray(eq + 1));
    off += len;
  }
  return out;
}

/** Keys a global header may set: metadata only. A global path, size or sparse map would apply to every entry. */
const GLOBAL_KEYS = new Set(['comment', 'charset', 'mtime', 'atime', 'ctime', 'uid', 'gid', 'uname', 'gname']);

function checkGlobalPax(pax: Record<string, Buffer>, at: number): Record<string, Buffer> {
  for (const key of Object.keys(pax)) {
    if (!GLOBAL_KEYS.has(key)) throw new TarError(`tar: global pax header at byte ${at} sets ${key}, which only an entry's own header may`);
  }
  return pax;
}

/**
 * Keys that change how an entry is read and that this reader does not implement: refused rather
 * than unpacked differently from what GNU tar or a scanner sees. Other unknown keys carry no
 * meaning for the content (POSIX: ignore them).
 */
function unsupportedKey(key: string, value: string): string | null {
  if (key.startsWith('GNU.sparse.')) return 'it is a GNU sparse file, which is not supported: archive it without --sparse';
  if (key === 'SCHILY.realsize' || key === 'SCHILY.filetype') return `the pax record ${key} (a star sparse or special file) is not supported`;
  if (key === 'hdrcharset' && value !== 'ISO-IR 10646 2000 UTF-8') return `hdrcharset=${value}: names that are not UTF-8 are not supported`;
  return null;
}

function applyExtensions(raw: RawHeader, type: TarEntryType, globalPax: Record<string, Buffer>, pending: Pending, at: number): TarHeader {
  const pax = { ...globalPax, ...(pending.pax ?? {}) };
  const text: Record<string, string> = {};
  const xattrs: Record<string, Buffer> = {};
  const shown = shownName(pending.pax?.path?.toString('utf8') ?? pending.longName ?? raw.name);
  const refuse = (why: string) => new TarError(`tar: entry ${shown} at byte ${at}: ${why}`);
  for (const [k, v] of Object.entries(pax)) {
    if (k.startsWith('SCHILY.xattr.')) xattrs[k.slice('SCHILY.xattr.'.length)] = v;
    else if (k.startsWith('LIBARCHIVE.xattr.')) xattrs[decodeURIComponent(k.slice('LIBARCHIVE.xattr.'.length))] = Buffer.from(v.toString('latin1'), 'base64');
    else {
      if (!isUtf8(v)) throw refuse(`the pax record ${k} is not UTF-8`);
      text[k] = v.toString('utf8');
      const why = unsupportedKey(k, text[k]);
      if (why) throw refuse(why);
    }
  }
  if (pending.longName !== null && 'path' in text) throw refuse('it has both a GNU long name and a pax path: tar readers disagree on which applies');
  if (pending.longLink !== null && 'linkpath' in text) throw refuse('it has both a GNU long link name and a pax linkpath: tar readers disagree on which applies');
  for (const key of ['path', 'linkpath', 'uname', 'gname']) {
    if (text[key]?.includes('\0')) throw refuse(`the pax ${key} holds a NUL byte`);
  }
  if (text.path === '') throw refuse('the pax path is empty');
  // Strict numbers: Python's int() also takes "+1", " 1" or "1_0", GNU tar does not.
  const num = (key: string, fallback: number, pattern = /^[0-9]+$/): number => {
    if (!(key in text)) return fallback;
    const v = Number(text[key]);
    if (!pattern.test(text[key]) || !Number.isSafeInteger(Math.trunc(v))) throw refuse(`pax ${key}=${JSON.stringify(text[key])} is not a valid number`);
    return v;
  };
  const rawPath = text.path ?? pending.longName ?? raw.name;
  if (type !== 'directory' && rawPath.endsWith('/')) throw refuse(`a ${type} whose name ends in "/" is read as a directory by some tar readers`);
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
    mtime: num('mtime', raw.mtime, /^-?[0-9]+(\.[0-9]+)?$/),
    linkname: text.linkpath ?? pending.longLink ?? raw.linkname,
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
  async add(h: TarWriteHeader, body?: AsyncIterable<Buffer> | Buffer): Promise<void> {
    const size = h.type === 'file' ? (h.size ?? (Buffer.isBuffer(body) ? body.length : 0)) : 0;
    const name = h.type === 'directory' && !h.path.endsWith('/') ? `${h.path}/` : h.path;
    const linkname = h.linkname ?? '';
    const mtime = Math.floor(h.mtime ?? 0);
    const pax: Record<string, string> = {};
    if (!fitsUstar(name, 100)) pax.path = name;
    if (!fitsUstar(linkname, 100)) pax.linkpath = linkname;
    if (size > 0o77777777777) pax.size = String(size);
    for (const [k, v] of [['uid', h.uid ?? 0], ['gid', h.gid ?? 0]] as const) if (v > 0o7777777) pax[k] = String(v);
    // Before 1970 or past 2242: not an octal field's; pax carries it (the ustar field stays 0).
    if (mtime < 0 || mtime > 0o77777777777) pax.mtime = String(mtime);
    const ustarMtime = pax.mtime ? 0 : mtime;
    const extra = h.xattrs ?? {};
    if (Object.keys(pax).length > 0 || Object.keys(extra).length > 0) {
      const records = encodePax(pax, extra);
      await this.write(encodeHeader({ name: 'PaxHeader', mode: 0o644, size: records.length, typeflag: 'x', mtime: ustarMtime }));
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
        mtime: ustarMtime,
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
      if (written > size) throw new TarError(`tar: body of ${shownName(h.path)} is longer than its size ${size}`);
      await this.write(chunk);
    }
    if (written !== size) throw new TarError(`tar: body of ${shownName(h.path)} is ${written} bytes, its size says ${size}`);
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

/**
 * SPDY/3 header blocks (draft 3.1, section 2.6.10): the name/value layout, and the one zlib
 * context per direction that every block of a session shares, primed with the SPDY/3 dictionary
 * and flushed with Z_SYNC_FLUSH after each block. Node's zlib streams are asynchronous, so each
 * direction runs its blocks one after another in arrival order.
 */
import * as zlib from 'zlib';
import { SPDY3_DICTIONARY } from './spdy-dictionary';
import { SpdyProtocolError } from './spdy-frames';

/** Header name (lower case) to its values; SPDY joins several values of one name with NUL. */
export type HeaderMap = Record<string, string[]>;

/** Decompressed header blocks larger than this end the session: a small block inflating to many
 * megabytes is a compression bomb, not headers. */
export const MAX_HEADER_BLOCK = 256 * 1024;

export function encodeHeaderBlock(headers: HeaderMap): Buffer {
  const names = Object.keys(headers);
  const parts: Buffer[] = [u32(names.length)];
  for (const name of names) {
    const n = Buffer.from(name.toLowerCase(), 'utf8');
    const v = Buffer.from(headers[name].join('\0'), 'utf8');
    parts.push(u32(n.length), n, u32(v.length), v);
  }
  return Buffer.concat(parts);
}

export function decodeHeaderBlock(block: Buffer): HeaderMap {
  const fail = (what: string) => {
    throw new SpdyProtocolError(`SPDY header block: ${what}`);
  };
  if (block.length < 4) fail(`${block.length} bytes, too short for the pair count`);
  const count = block.readUInt32BE(0);
  // Each pair takes at least 8 bytes of lengths, so a count beyond that is a lie.
  if (count > (block.length - 4) / 8) fail(`announces ${count} pairs in ${block.length - 4} bytes`);
  const out: HeaderMap = {};
  let off = 4;
  const field = (what: string): string => {
    if (off + 4 > block.length) fail(`${what} length runs past the block`);
    const len = block.readUInt32BE(off);
    off += 4;
    if (off + len > block.length) fail(`${what} of ${len} bytes runs past the block`);
    const s = block.toString('utf8', off, off + len);
    off += len;
    return s;
  };
  for (let i = 0; i < count; i++) {
    const name = field('name');
    if (name.length === 0) fail('empty header name');
    if (name !== name.toLowerCase()) fail(`header name "${name}" is not lower case`);
    if (Object.prototype.hasOwnProperty.call(out, name)) fail(`header "${name}" appears twice`);
    out[name] = field(`value of "${name}"`).split('\0');
  }
  if (off !== block.length) fail(`${block.length - off} bytes after the last pair`);
  return out;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

/** Runs one block at a time through a zlib stream and returns what that block produced. */
class SerialZlib {
  private queue: Promise<unknown> = Promise.resolve();
  private failed: Error | undefined;

  constructor(private readonly z: zlib.Inflate | zlib.Deflate, private readonly maxOut: number) {
    z.on('error', (err) => {
      this.failed = err;
    });
  }

  run(input: Buffer): Promise<Buffer> {
    const next = this.queue.then(() => this.once(input));
    this.queue = next.catch(() => undefined);
    return next;
  }

  close(): void {
    this.z.close();
  }

  private once(input: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      if (this.failed) return reject(new SpdyProtocolError(`SPDY header compression: ${this.failed.message}`));
      const out: Buffer[] = [];
      let size = 0;
      const onData = (d: Buffer) => {
        out.push(d);
        size += d.length;
        if (size > this.maxOut && !this.failed) {
          this.failed = new Error(`inflates past ${this.maxOut} bytes`);
          reject(new SpdyProtocolError(`SPDY header block inflates past ${this.maxOut} bytes`));
        }
      };
      const onError = (err: Error) => {
        this.z.off('data', onData);
        reject(new SpdyProtocolError(`SPDY header block does not inflate: ${err.message}`));
      };
      this.z.on('data', onData);
      this.z.once('error', onError);
      this.z.write(input);
      this.z.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        this.z.off('data', onData);
        this.z.off('error', onError);
        if (this.failed) return; // already rejected
        resolve(Buffer.concat(out));
      });
    });
  }
}

/** The receiving side of a session's header compression. */
export class HeaderDecompressor {
  private readonly z = new SerialZlib(zlib.createInflate({ dictionary: SPDY3_DICTIONARY }), MAX_HEADER_BLOCK);

  async decode(compressed: Buffer): Promise<HeaderMap> {
    return decodeHeaderBlock(await this.z.run(compressed));
  }

  close(): void {
    this.z.close();
  }
}

/** The sending side of a session's header compression. */
export class HeaderCompressor {
  private readonly z = new SerialZlib(
    zlib.createDeflate({ dictionary: SPDY3_DICTIONARY, level: zlib.constants.Z_BEST_COMPRESSION }),
    Number.MAX_SAFE_INTEGER,
  );

  encode(headers: HeaderMap): Promise<Buffer> {
    return this.z.run(encodeHeaderBlock(headers));
  }

  close(): void {
    this.z.close();
  }
}

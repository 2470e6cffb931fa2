/**
 * decompress() reads the compression off the first bytes and hands back the whole stream: every
 * kind, however the source splits its first bytes, short and empty inputs, big and binary data,
 * a corrupt stream and a failing source.
 */
import * as crypto from 'crypto';
import { Readable } from 'stream';
import { compress, decompress, type Compression } from '../../supervisor/archive/compression';

async function collect(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/**
 * `data` as a stream of chunks whose sizes a seeded generator picks: 1 to `max` bytes for the first
 * 64 (where the magic is), 1 to 1 MiB after that.
 */
function chunked(data: Buffer, seed: number, max: number): Readable {
  let x = seed;
  const parts: Buffer[] = [];
  for (let at = 0; at < data.length; ) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    const n = 1 + (x % (at < 64 ? max : 1 << 20));
    parts.push(data.subarray(at, at + n));
    at += n;
  }
  return Readable.from(parts, { objectMode: false });
}

const KINDS: Compression[] = ['gzip', 'zstd', 'none'];

describe('decompress', () => {
  // Random bytes (incompressible) and text (compressible), bigger than any chunk the reader uses.
  const random = crypto.randomBytes(3 << 20);
  const text = Buffer.from(crypto.randomBytes(1 << 20).toString('hex'));

  test.each(KINDS)('%s: big binary and text data come back byte for byte, whatever the chunking of the source', async (kind) => {
    for (const data of [random, text]) {
      const blob = await collect(compress(Readable.from([data]), kind, 'test'));
      for (const [seed, max] of [[1, 1], [2, 3], [3, 7], [4, 64], [5, 1 << 20]]) {
        const got = await collect(await decompress(chunked(blob, seed, max), 'test'));
        expect(got.equals(data)).toBe(true);
      }
    }
  });

  test('plain inputs shorter than the magic, and an empty one, pass through unchanged', async () => {
    for (const data of [Buffer.alloc(0), Buffer.from([0x1f]), Buffer.from([0x28, 0xb5, 0x2f]), Buffer.from('abc')]) {
      expect((await collect(await decompress(chunked(data, 7, 1), 'test'))).equals(data)).toBe(true);
    }
  });

  test('a gzip stream cut short or corrupted fails; it never reads as shorter data', async () => {
    const blob = await collect(compress(Readable.from([text]), 'gzip', 'test'));
    await expect(collect(await decompress(Readable.from([blob.subarray(0, blob.length >> 1)]), 'test'))).rejects.toThrow(/unexpected end of file/);
    const bad = Buffer.from(blob);
    bad.fill(0xff, 20, 60);
    await expect(collect(await decompress(Readable.from([bad]), 'test'))).rejects.toThrow();
  });

  test("a source's error reaches the reader, before and after the magic is read", async () => {
    const failing = (head: Buffer) =>
      new Readable({
        read() {
          if (head.length > 0) this.push(head.subarray(0, head.length));
          head = Buffer.alloc(0);
          process.nextTick(() => this.destroy(new Error('disk read failed')));
        },
      });
    await expect(decompress(failing(Buffer.alloc(0)), 'test')).rejects.toThrow('disk read failed');
    const blob = await collect(compress(Readable.from([text]), 'gzip', 'test'));
    await expect(collect(await decompress(failing(blob.subarray(0, 1000)), 'test'))).rejects.toThrow('disk read failed');
  });
});

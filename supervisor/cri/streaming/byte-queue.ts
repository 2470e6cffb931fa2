/**
 * Bytes from a socket, queued as they came, for frame readers: a frame is copied out once when
 * it is whole, so a large frame arriving in many small chunks costs one copy, not one per chunk.
 */
export class ByteQueue {
  private chunks: Buffer[] = [];
  length = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** The first `n` bytes (n <= length) without consuming them. */
  peek(n: number): Buffer {
    this.gather(n);
    return this.chunks[0].subarray(0, n);
  }

  /** Removes and returns the first `n` bytes (n <= length). */
  take(n: number): Buffer {
    this.gather(n);
    const first = this.chunks[0];
    const out = first.subarray(0, n);
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.length -= n;
    return out;
  }

  private gather(n: number): void {
    if (this.chunks[0].length >= n) return;
    let have = 0;
    let i = 0;
    while (have < n) have += this.chunks[i++].length;
    this.chunks.splice(0, i, Buffer.concat(this.chunks.slice(0, i), have));
  }
}

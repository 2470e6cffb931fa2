/** A file system entry as tar carries it: its entry type, its device numbers, its bytes read in chunks. */
import * as fs from 'fs';
import type { TarEntryType } from './tar';

const READ_CHUNK = 256 * 1024;

/** The tar type of what `st` describes; null for a socket (tar has no type for one). */
export function tarEntryType(st: fs.Stats): TarEntryType | null {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'directory';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isFIFO()) return 'fifo';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  return null;
}

/** The major and minor numbers of a dev_t as glibc encodes it (minors above 255 included). */
export function deviceNumbers(rdev: number): { devmajor: number; devminor: number } {
  const high = Math.floor(rdev / 2 ** 32);
  const low = rdev % 2 ** 32;
  return {
    devmajor: ((low >>> 8) & 0xfff) | ((high & 0xfffff000) >>> 0),
    devminor: ((low & 0xff) | ((low >>> 12) & 0xfff00) | ((high & 0xfff) << 20)) >>> 0,
  };
}

/**
 * A file's bytes from an open fd, exactly `size` of them (a file that changed size meanwhile fails
 * the tar writer's check); the fd is closed at the end, or when the reader stops early.
 */
export async function* fileChunks(fd: number, size: number): AsyncGenerator<Buffer> {
  try {
    for (let off = 0; off < size; ) {
      const buf = Buffer.allocUnsafe(Math.min(READ_CHUNK, size - off));
      const n = fs.readSync(fd, buf, 0, buf.length, off);
      if (n === 0) return;
      off += n;
      yield buf.subarray(0, n);
    }
  } finally {
    fs.closeSync(fd);
  }
}

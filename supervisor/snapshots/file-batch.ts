/**
 * Small regular files of a layer, written in batches by the addon on a worker thread (one batch
 * in flight while the next one fills), so that the kernel's work of creating them overlaps the
 * reading of the entries that follow. A layer of 4000 small files spent most of its unpack in
 * open, write, chown, chmod and utimes on the main thread.
 *
 * The order of the layer still holds: apply.ts drains the batch before any entry that is not a
 * batched file, and batches only files whose parent it already made and that are not one of its
 * directories. A file that exists when its batch runs (an earlier entry of the same path) is left
 * to `replace`, called in the layer's order once its batch has ended.
 */
import { writeFiles, type FileToWrite } from '../../runtime/native';
import type { TarHeader } from '../archive/tar';

/** A file to write and the entry it comes from (named in errors, applied again to replace). */
export interface BatchedFile extends FileToWrite {
  header: TarHeader;
}

/** A batched file failed: `entryPath` names its entry, `cause` is why (an errno error, mostly). */
export class BatchedFileError extends Error {
  constructor(
    readonly entryPath: string,
    readonly cause: unknown,
  ) {
    super((cause as Error).message);
    this.name = 'BatchedFileError';
  }
}

const MAX_FILES = 128;
const MAX_BYTES = 8 << 20;

export class FileBatch {
  private filling: BatchedFile[] = [];
  private bytes = 0;
  private inFlight: Promise<void> | null = null;

  /** `replace(file)`: write `file` where something exists already (what the entry replaces). */
  constructor(private readonly replace: (file: BatchedFile) => Promise<void>) {}

  /** Add a file; sends the batch once it is full (waiting for the one before it). */
  async add(file: BatchedFile): Promise<void> {
    this.filling.push(file);
    this.bytes += file.data.length;
    if (this.filling.length >= MAX_FILES || this.bytes >= MAX_BYTES) await this.send();
  }

  /** Every file added so far is written (or replaced); throws the first failure. */
  async drain(): Promise<void> {
    if (this.filling.length > 0) await this.send();
    const last = this.inFlight;
    this.inFlight = null;
    await last;
  }

  /** Wait for the batch in flight to end, whatever its outcome (before the directory is removed). */
  async settle(): Promise<void> {
    this.filling = [];
    await this.inFlight?.catch(() => undefined);
    this.inFlight = null;
  }

  private async send(): Promise<void> {
    const previous = this.inFlight;
    this.inFlight = null;
    await previous;
    const files = this.filling;
    this.filling = [];
    this.bytes = 0;
    const writing = this.write(files);
    // Handled here so that a failure is not "unhandled" before drain() or the next send() awaits it.
    writing.catch(() => undefined);
    this.inFlight = writing;
  }

  private async write(files: BatchedFile[]): Promise<void> {
    let existing: number[];
    try {
      existing = await writeFiles(files);
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { index?: number };
      throw new BatchedFileError(files[e.index ?? 0].header.path, e);
    }
    for (const i of existing) {
      try {
        await this.replace(files[i]);
      } catch (err) {
        throw new BatchedFileError(files[i].header.path, err);
      }
    }
  }
}

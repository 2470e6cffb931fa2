/**
 * Which log entries a Logs request asks for (docker logs --since T --tail N): those written at or
 * after `since`, and of the ones in the log when the request came, only the last `tail`.
 */
import type { LogEntry, Timestamp } from '../api/types';
import { readLog } from './log-reader';

export interface LogWindow {
  /** null: from the start. */
  since: Timestamp | null;
  /** null: every entry. */
  tail: number | null;
}

const atOrAfter = (t: Timestamp, since: Timestamp) => t.seconds > since.seconds || (t.seconds === since.seconds && t.nanos >= since.nanos);

/** Whether `e` is at or after `since` (an entry without a time is kept: nothing says it is older). */
export const inWindow = (e: LogEntry, since: Timestamp | null): boolean => since === null || e.time === null || atOrAfter(e.time, since);

/**
 * How many entries of `file` as it is now to leave out so that `w.tail` remain. Counted by a read
 * of its own: entries written meanwhile are not left out (a few more than asked for, never fewer).
 */
export async function entriesToSkip(file: string, w: LogWindow, cancelled: () => boolean): Promise<number> {
  if (w.tail === null) return 0;
  let n = 0;
  for await (const e of readLog(file, {
    follow: false,
    isLive: () => false,
    cancelled,
  }))
    if (inWindow(e, w.since)) n++;
  return Math.max(0, n - w.tail);
}

/** `entries` narrowed to the window (`skip` from entriesToSkip). */
export async function* windowed(entries: AsyncIterable<LogEntry>, since: Timestamp | null, skip: number): AsyncGenerator<LogEntry> {
  let left = skip;
  for await (const e of entries) {
    if (!inWindow(e, since)) continue;
    if (left > 0) {
      left--;
      continue;
    }
    yield e;
  }
}

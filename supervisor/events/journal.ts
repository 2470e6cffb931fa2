/**
 * tsrund's event journal (<root>/events): every event, in sequence order, appended to segment
 * files `<first sequence>.jsonl` of one record a line (the CRC-32 of the JSON of the event in
 * hex, a space, that JSON: a damaged record is found, not replayed), so that a subscriber can resume after
 * the last sequence it saw, across restarts. Retention is by count: a segment holds
 * `retain / 8` events, and the oldest segment is removed once the others hold `retain` events,
 * so between `retain` and `retain + retain / 8` events are kept (each record is a few hundred
 * bytes at most: ids are bounded), in memory too, for replay.
 *
 * fsync policy: every append is fdatasync'ed before append() returns, and the event bus delivers
 * an event only after that. So no subscriber ever holds a sequence that a crash (kill -9, or a
 * power loss) could take back and give to another event. The cost is one fdatasync per event, the
 * same order as the task record writes each event follows (those fsync the file and directory).
 *
 * Opening never fails on the contents. A last record without its newline (torn by a kill in
 * mid-write; never delivered, as its fdatasync had not returned) is cut off. Whole lines that do
 * not parse or do not carry the next sequence (damage) end what is kept: their numbers are
 * skipped, not given again, and every older event is dropped with them; so is what precedes a
 * missing segment. The retained sequences are thus always one run without a hole, ending at the
 * newest. (Only a journal cut short or removed by hand, or the newline of its last record damaged,
 * can give a number out again.)
 */
import * as fs from 'fs';
import * as path from 'path';
import { crc32 } from 'zlib';
import type { Event } from '../api/types';
import { syncDirectory } from '../shared/atomic-file';

const SEGMENT_NAME = /^(\d{20})\.jsonl$/;
const SEQUENCE_DIGITS = 20;
/** Fewer bytes than any record takes (its checksum, the JSON of an event with empty strings). */
const MIN_RECORD_BYTES = 64;

interface Segment {
  file: string;
  /** The sequence its first record has (or will have). */
  first: number;
  count: number;
}

export interface JournalOptions {
  dir: string;
  /** How many of the newest events to keep at least. */
  retain: number;
  /** Told what opening repaired or dropped. */
  onRepair: (message: string) => void;
}

export class EventJournal {
  private readonly segments: Segment[] = [];
  /** Every retained event, oldest first. */
  private readonly events: Event[] = [];
  private readonly segmentSize: number;
  /** The newest segment, open for appending, and its length. */
  private fd: number | null = null;
  private size = 0;
  /** The sequence the next record must have at least. */
  private next = 1;

  private constructor(private readonly o: JournalOptions) {
    this.segmentSize = Math.max(1, Math.ceil(o.retain / 8));
  }

  static open(o: JournalOptions): EventJournal {
    const journal = new EventJournal(o);
    journal.load();
    return journal;
  }

  /** The sequence of the newest event journaled (0: none yet). */
  get newest(): number {
    return this.next - 1;
  }

  /** The sequence of the oldest event retained (newest + 1 when none is). */
  get oldest(): number {
    return this.events[0]?.sequence ?? this.next;
  }

  get retain(): number {
    return this.o.retain;
  }

  /** Write `event` (its sequence the one after the newest) durably; throws, leaving the journal as it was, when it cannot. */
  append(event: Event): void {
    if (event.sequence !== this.next) throw new Error(`event journal: sequence ${event.sequence} does not follow ${this.newest}`);
    const newest = this.segments[this.segments.length - 1];
    if (this.fd === null || newest.count >= this.segmentSize) this.startSegment(event.sequence);
    const fd = this.fd!;
    const line = Buffer.from(formatRecord(event));
    try {
      for (let done = 0; done < line.length;) done += fs.writeSync(fd, line, done, line.length - done, this.size + done);
      fs.fdatasyncSync(fd);
    } catch (err) {
      this.undoAppend(fd);
      throw err;
    }
    this.size += line.length;
    this.segments[this.segments.length - 1].count++;
    this.events.push(event);
    this.next = event.sequence + 1;
    this.dropOldSegments();
  }

  /** The retained events whose sequence is above `sequence`, oldest first. */
  after(sequence: number): Event[] {
    let lo = 0;
    let hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.events[mid].sequence <= sequence) lo = mid + 1;
      else hi = mid;
    }
    return this.events.slice(lo);
  }

  /** The newest retained event that `test` accepts, or null. */
  findNewest(test: (e: Event) => boolean): Event | null {
    for (let i = this.events.length - 1; i >= 0; i--) if (test(this.events[i])) return this.events[i];
    return null;
  }

  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }

  private load(): void {
    fs.mkdirSync(this.o.dir, { recursive: true, mode: 0o700 });
    fs.chmodSync(this.o.dir, 0o700);
    const names = fs
      .readdirSync(this.o.dir)
      .filter((n) => SEGMENT_NAME.test(n))
      .sort();
    let kept: { segment: Segment; events: Event[]; size: number }[] = [];
    const firstOf = (name: string) => Number(SEGMENT_NAME.exec(name)![1]);
    for (const [i, name] of names.entries()) {
      const file = path.join(this.o.dir, name);
      const first = firstOf(name);
      if (first < this.next) {
        this.o.onRepair(`event journal: ${name} overlaps the segment before it; removed it`);
        fs.rmSync(file, { force: true });
        continue;
      }
      // A hole before this segment (one before ended early): what is older cannot be replayed whole.
      if (kept.length > 0 && first !== this.next) {
        this.o.onRepair(
          `event journal: sequences ${this.next}..${first - 1} are missing; removed the ${kept.length} segments before ${name}`,
        );
        for (const k of kept) fs.rmSync(k.segment.file, { force: true });
        kept = [];
      }
      const { events, size, lost } = this.readSegment(file, first);
      const end = first + events.length;
      const following = i + 1 < names.length ? firstOf(names[i + 1]) : 0;
      // Where the damaged records ended: the next segment says, or (the newest) an upper bound.
      this.next = lost === 0 ? end : following >= end ? following : end + lost;
      if (lost > 0) {
        // Whole records damaged, which subscribers may have seen: never give their numbers again,
        // and keep nothing older, so a resume from before them is told (not silently short).
        this.o.onRepair(`event journal: records ${end}.. of ${name} are damaged; sequences up to ${this.next - 1} are no longer retained`);
        for (const k of kept) fs.rmSync(k.segment.file, { force: true });
        fs.rmSync(file, { force: true });
        kept = [];
        continue;
      }
      kept.push({ segment: { file, first, count: events.length }, events, size });
    }
    for (const k of kept) {
      this.segments.push(k.segment);
      this.events.push(...k.events);
    }
    const newest = kept[kept.length - 1];
    if (newest) {
      this.fd = fs.openSync(newest.segment.file, 'r+');
      fs.fchmodSync(this.fd, 0o600);
      this.size = newest.size;
    } else if (this.next > 1) {
      this.startSegment(this.next); // its name keeps the skipped numbers skipped
    }
    this.dropOldSegments();
  }

  /**
   * The valid records of `file`, whose sequences run on from `first`; a torn last record is cut
   * off. `lost`: 0, or, when the tail holds damaged whole records (a newline in it), at least
   * how many (lines may have merged: as many as the bytes could hold counts too).
   */
  private readSegment(file: string, first: number): { events: Event[]; size: number; lost: number } {
    let data: Buffer;
    try {
      data = fs.readFileSync(file);
    } catch (err) {
      this.o.onRepair(`event journal: cannot read ${file} (${(err as Error).message}); emptied it`);
      fs.writeFileSync(file, '', { mode: 0o600 });
      return { events: [], size: 0, lost: 0 };
    }
    const events: Event[] = [];
    let size = 0;
    for (;;) {
      const end = data.indexOf(0x0a, size);
      if (end < 0) break;
      const event = parseRecord(data.subarray(size, end).toString('utf8'));
      if (!event || event.sequence !== first + events.length) break;
      events.push(event);
      size = end + 1;
    }
    let lines = 0;
    for (let at = data.indexOf(0x0a, size); at >= 0; at = data.indexOf(0x0a, at + 1)) lines++;
    const lost = lines === 0 ? 0 : Math.max(lines, Math.ceil((data.length - size) / MIN_RECORD_BYTES));
    if (size < data.length && lost === 0) {
      this.o.onRepair(`event journal: dropped ${data.length - size} bytes of a torn record at the end of ${file}`);
      fs.truncateSync(file, size);
    }
    return { events, size, lost };
  }

  private startSegment(first: number): void {
    const newest = this.segments[this.segments.length - 1];
    if (newest?.first === first) this.segments.pop(); // an empty one, given up after a failed write
    const file = path.join(this.o.dir, segmentName(first));
    const fd = fs.openSync(file, 'w', 0o600);
    fs.fchmodSync(fd, 0o600);
    try {
      syncDirectory(this.o.dir);
    } catch (err) {
      fs.closeSync(fd);
      fs.rmSync(file, { force: true });
      throw err;
    }
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = fd;
    this.size = 0;
    this.segments.push({ file, first, count: 0 });
  }

  /** After a failed write: cut the segment back to its last whole record, or stop using it. */
  private undoAppend(fd: number): void {
    try {
      fs.ftruncateSync(fd, this.size);
    } catch {
      // The next append starts a new segment; reopening cuts this one's tail.
      fs.closeSync(fd);
      this.fd = null;
    }
  }

  private dropOldSegments(): void {
    while (this.segments.length > 1 && this.events.length - this.segments[0].count >= this.o.retain) {
      const [oldest] = this.segments.splice(0, 1);
      this.events.splice(0, oldest.count);
      fs.rmSync(oldest.file, { force: true });
    }
  }
}

function segmentName(first: number): string {
  return `${String(first).padStart(SEQUENCE_DIGITS, '0')}.jsonl`;
}

function formatRecord(event: Event): string {
  const json = JSON.stringify(event);
  return `${crc32(json).toString(16).padStart(8, '0')} ${json}\n`;
}

/** An Event from one journal line (without its newline), or null when the line is not a whole, intact record. */
function parseRecord(line: string): Event | null {
  const json = line.slice(9);
  if (!/^[0-9a-f]{8} $/.test(line.slice(0, 9)) || parseInt(line.slice(0, 8), 16) !== crc32(json)) return null;
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    return null;
  }
  const e = v as Partial<Event> | null;
  const whole =
    e !== null &&
    typeof e === 'object' &&
    Number.isSafeInteger(e.sequence) &&
    (e.sequence as number) > 0 &&
    typeof e.type === 'string' &&
    typeof e.id === 'string' &&
    Number.isInteger(e.pid) &&
    Number.isInteger(e.exitStatus) &&
    e.timestamp !== null &&
    typeof e.timestamp === 'object' &&
    Number.isInteger(e.timestamp?.seconds) &&
    Number.isInteger(e.timestamp?.nanos);
  return whole ? (e as Event) : null;
}

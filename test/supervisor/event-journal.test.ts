/**
 * The event journal on real files, and the bus on top of it: sequences continue across reopenings, retention keeps the
 * newest events and removes whole old segments, the files are owner-only, and no corruption of
 * the files (a torn last record after kill -9, garbage, a lost segment) makes opening fail or
 * leaves a hole in what it keeps — a seeded fuzzer of corruptions checks the class.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Event } from '../../supervisor/api/types';
import { EventJournal } from '../../supervisor/events/journal';
import { EventBus } from '../../supervisor/events/bus';
import { LineLogger } from '../../supervisor/daemon/logger';
import { seededRandom } from '../helpers/seeded-random';

let dir: string;
let repairs: string[];
// On tmpfs where there is one: these tests are about what is in the files, and an fdatasync per
// record on a disk shared with other work makes the fuzzer's thousands of appends crawl.
const BASE = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(BASE, 'tsrund-journal-'));
  repairs = [];
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const open = (retain = 100) => EventJournal.open({ dir: path.join(dir, 'events'), retain, onRepair: (m) => repairs.push(m) });

function event(sequence: number): Event {
  return {
    sequence,
    timestamp: { seconds: 1_700_000_000 + sequence, nanos: sequence % 1000 },
    type: 'exit',
    id: `c-${sequence}`,
    pid: 100 + sequence,
    exitStatus: sequence % 256,
  };
}

/** Append events newest+1 .. newest+n. */
function appendMany(j: EventJournal, n: number): void {
  for (let i = 0; i < n; i++) j.append(event(j.newest + 1));
}

const segments = () => fs.readdirSync(path.join(dir, 'events')).sort();
const sequences = (events: Event[]) => events.map((e) => e.sequence);
const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

test('sequences start at 1 and continue after reopening; the files are owner-only', () => {
  const j = open();
  expect([j.newest, j.oldest]).toEqual([0, 1]);
  appendMany(j, 5);
  j.close();
  const again = open();
  expect([again.newest, again.oldest]).toEqual([5, 1]);
  expect(again.after(2)).toEqual([3, 4, 5].map(event));
  appendMany(again, 2);
  expect(sequences(again.after(0))).toEqual(range(1, 7));
  again.close();
  expect(fs.statSync(path.join(dir, 'events')).mode & 0o777).toBe(0o700);
  for (const s of segments()) expect(fs.statSync(path.join(dir, 'events', s)).mode & 0o777).toBe(0o600);
  expect(repairs).toEqual([]);
});

test('an existing journal directory with open modes is made owner-only', () => {
  fs.mkdirSync(path.join(dir, 'events'), { mode: 0o755 });
  fs.chmodSync(path.join(dir, 'events'), 0o755);
  open().close();
  expect(fs.statSync(path.join(dir, 'events')).mode & 0o777).toBe(0o700);
});

test('retention keeps at least the newest `retain` events, in whole segments, and removes older files', () => {
  const j = open(16); // segments of 2
  appendMany(j, 100);
  const kept = sequences(j.after(0));
  expect(kept[kept.length - 1]).toBe(100);
  expect(kept.length).toBeGreaterThanOrEqual(16);
  expect(kept.length).toBeLessThanOrEqual(16 + 2);
  expect(kept).toEqual(range(j.oldest, 100));
  j.close();
  expect(segments().length).toBeLessThanOrEqual(9);
  const again = open(16);
  expect([again.oldest, again.newest]).toEqual([kept[0], 100]);
  again.close();
});

test('a torn last record (kill -9 in mid-write) is dropped; the sequence goes on from the last whole one', () => {
  const j = open();
  appendMany(j, 3);
  j.close();
  const [file] = segments();
  const whole = fs.readFileSync(path.join(dir, 'events', file));
  fs.appendFileSync(path.join(dir, 'events', file), JSON.stringify(event(4)).slice(0, 25));
  const again = open();
  expect(again.newest).toBe(3);
  expect(repairs).toEqual([expect.stringMatching(/^event journal: dropped 25 bytes of a torn record at the end of /)]);
  expect(fs.readFileSync(path.join(dir, 'events', file))).toEqual(whole);
  appendMany(again, 1);
  again.close();
  expect(sequences(open().after(0))).toEqual([1, 2, 3, 4]);
});

/** What it did, and whether it took back bytes that were written and synced (only a person can). */
type Corruption = (files: string[], random: () => number) => { did: string; rewinds: boolean };

const pick = <T>(xs: T[], random: () => number): T => xs[Math.floor(random() * xs.length)];

/** Each does what a crash, a disk or a person can do to the files; returns what it did. */
const CORRUPTIONS: Corruption[] = [
  (files, random) => {
    const f = files[files.length - 1];
    const size = fs.statSync(f).size;
    const cut = Math.floor(random() * (size + 1));
    fs.truncateSync(f, cut);
    return { did: `truncate the newest segment to ${cut} of ${size}`, rewinds: true };
  },
  (files, random) => {
    const f = pick(files, random);
    const data = fs.readFileSync(f);
    if (data.length === 0) return { did: 'nothing (empty segment)', rewinds: false };
    const at = Math.floor(random() * data.length);
    const finalNewline = f === files[files.length - 1] && at === data.length - 1;
    data[at] = Math.floor(random() * 256);
    fs.writeFileSync(f, data);
    return { did: `byte ${at} of ${path.basename(f)} overwritten`, rewinds: finalNewline && data[at] !== 0x0a };
  },
  (files, random) => {
    const garbage = Buffer.from(Array.from({ length: 1 + Math.floor(random() * 40) }, () => Math.floor(random() * 256)));
    fs.appendFileSync(files[files.length - 1], garbage);
    return { did: `${garbage.length} random bytes appended`, rewinds: false };
  },
  (files, random) => {
    const f = pick(files, random);
    fs.rmSync(f);
    return { did: `${path.basename(f)} removed`, rewinds: f === files[files.length - 1] };
  },
  (files) => {
    fs.appendFileSync(files[files.length - 1], Buffer.alloc(4096));
    return { did: 'a block of zeros appended (a power loss after the size grew)', rewinds: false };
  },
];

test('fuzzer: whatever is done to the files, opening works, keeps a hole-free run of what was written up to the newest, and gives no number again unless synced bytes were taken back', () => {
  const cases = 300;
  for (let seed = 1; seed <= cases; seed++) {
    const random = seededRandom(seed);
    const caseDir = path.join(dir, `case-${seed}`);
    const retain = 1 + Math.floor(random() * 20);
    const o = { dir: caseDir, retain, onRepair: () => undefined };
    const written = new Map<number, Event>();
    let j = EventJournal.open(o);
    const did: string[] = [];
    for (let round = 0; round < 3; round++) {
      const n = Math.floor(random() * 30);
      for (let i = 0; i < n; i++) {
        const e = event(j.newest + 1);
        j.append(e);
        written.set(e.sequence, e);
      }
      j.close();
      const files = fs
        .readdirSync(caseDir)
        .sort()
        .map((f) => path.join(caseDir, f));
      const before = j.newest;
      const corruption = files.length > 0 ? pick(CORRUPTIONS, random)(files, random) : { did: 'nothing', rewinds: false };
      did.push(corruption.did);
      let reopened: EventJournal | null = null;
      expect(() => (reopened = EventJournal.open(o))).not.toThrow();
      j = reopened!;
      const kept = j.after(0);
      const why = `seed ${seed}: ${did.join('; ')}`;
      // Contiguous, oldest..newest, each exactly as written.
      expect({ why, kept: sequences(kept) }).toEqual({ why, kept: range(j.oldest, j.newest) });
      for (const e of kept) expect({ why, e }).toEqual({ why, e: written.get(e.sequence) });
      if (corruption.rewinds) expect({ why, newest: j.newest <= before }).toEqual({ why, newest: true });
      else expect({ why, newest: j.newest >= before }).toEqual({ why, newest: true });
      // Numbers taken back by hand are given again: forget what they held.
      for (const s of [...written.keys()]) if (s > j.newest) written.delete(s);
    }
    j.close();
    fs.rmSync(caseDir, { recursive: true, force: true });
  }
});

test('the bus delivers an event only once the journal holds it: a failed write holds it (and what follows) back, in order, until a retry succeeds', async () => {
  const journalDir = path.join(dir, 'events');
  const journal = EventJournal.open({ dir: journalDir, retain: 8, onRepair: () => undefined }); // a new segment per event
  const logged: string[] = [];
  const bus = new EventBus(journal, new LineLogger('debug', (l) => logged.push(l)));
  const delivered: string[] = [];
  bus.subscribe({ types: [], ids: [] }, 0, (e) => delivered.push(`${e.sequence} ${e.id}`));
  bus.publish('start', 'a');
  expect(delivered).toEqual(['1 a']);

  fs.rmSync(journalDir, { recursive: true }); // the next segment cannot be made
  bus.publish('start', 'b');
  bus.publish('start', 'c');
  expect(delivered).toEqual(['1 a']);
  expect(logged).toEqual([expect.stringMatching(/ error events: cannot journal event 2 \(ENOENT: .*\); holding events back, retrying\n$/)]);

  fs.mkdirSync(journalDir, { mode: 0o700 });
  const deadline = Date.now() + 10_000;
  while (delivered.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  expect(delivered).toEqual(['1 a', '2 b', '3 c']);
  expect(logged.length).toBe(2);
  expect(logged[1]).toMatch(/ info events: journaled again; delivering the 2 held back\n$/);
  bus.stop();
  expect(sequences(open(8).after(0))).toEqual([2, 3]);
});

/**
 * The event bus behind Events.Subscribe: publish once, every matching subscriber gets it. Each
 * event is numbered and written to the journal (./journal.ts) before anyone sees it, so
 * that a subscriber can ask for the retained events after the last one it saw, then the live ones.
 */
import type { Event, EventType } from '../api/types';
import { timestampNow } from '../api/timestamp';
import type { Logger } from '../shared/logger';
import { TsrunError } from '../shared/errors';
import type { EventJournal } from './journal';
import { traced } from '../shared/trace';

export interface EventFilter {
  types: readonly string[];
  ids: readonly string[];
}

type Listener = (event: Event) => void;

/** How long to wait before writing again events the journal could not take. */
const JOURNAL_RETRY_MS = 1000;

export class EventBus {
  private readonly listeners = new Set<{ filter: EventFilter; listener: Listener }>();
  /** Numbered, not yet journaled (so not yet delivered): the journal failed to write them. */
  private readonly pending: Event[] = [];
  private nextSequence: number;
  private retry: NodeJS.Timeout | null = null;
  /** The last write failed (said once until one succeeds). */
  private failing = false;

  constructor(
    private readonly journal: EventJournal,
    private readonly log: Logger,
  ) {
    this.nextSequence = journal.newest + 1;
  }

  publish(type: EventType, id: string, detail: { pid?: number; exitStatus?: number } = {}): void {
    const event: Event = {
      sequence: this.nextSequence++,
      timestamp: timestampNow(),
      type,
      id,
      pid: detail.pid ?? 0,
      exitStatus: detail.exitStatus ?? 0,
    };
    this.pending.push(event);
    if (this.retry === null) this.deliverPending();
  }

  /**
   * Call `listener` with the retained events after `afterSequence` (none for 0), then with each
   * new one; returns the unsubscribe function. Both happen in one turn of the event loop, so no
   * event falls between the replay and the live ones, and none comes twice.
   */
  subscribe(filter: EventFilter, afterSequence: number, listener: Listener): () => void {
    if (afterSequence > 0) {
      this.checkRetained(afterSequence);
      for (const e of this.journal.after(afterSequence)) if (matches(filter, e)) listener(e);
    }
    const entry = { filter, listener };
    this.listeners.add(entry);
    return () => this.listeners.delete(entry);
  }

  /** The sequence of the newest event delivered (0: none yet). */
  get newest(): number {
    return this.journal.newest;
  }

  /** The newest journaled event that `test` accepts (a published one that a restart keeps), or null. */
  findJournaled(test: (e: Event) => boolean): Event | null {
    return this.journal.findNewest(test);
  }

  stop(): void {
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    this.journal.close();
  }

  private checkRetained(afterSequence: number): void {
    const { oldest, newest, retain } = this.journal;
    if (afterSequence > newest) {
      throw new TsrunError(
        `after_sequence ${afterSequence}: beyond the newest event, ${newest} (is it from another tsrund, or was its journal removed?): subscribe with 0 and read the state again`,
        { code: 'out-of-range', subject: 'after_sequence' },
      );
    }
    if (afterSequence < oldest - 1) {
      throw new TsrunError(
        `after_sequence ${afterSequence}: events ${afterSequence + 1}..${oldest - 1} are no longer retained (the journal keeps the newest ${retain} or so); the oldest available is ${oldest}: subscribe after ${oldest - 1} and read the state again`,
        { code: 'out-of-range', subject: 'after_sequence' },
      );
    }
  }

  private deliverPending(): void {
    this.retry = null;
    while (this.pending.length > 0) {
      const event = this.pending[0];
      try {
        traced('event journal append (fdatasync)', event.id, () => this.journal.append(event));
      } catch (err) {
        // Once per outage, not once a second.
        if (!this.failing)
          this.log.error(`events: cannot journal event ${event.sequence} (${(err as Error).message}); holding events back, retrying`);
        this.failing = true;
        this.retry = setTimeout(() => this.deliverPending(), JOURNAL_RETRY_MS);
        this.retry.unref();
        return;
      }
      if (this.failing) this.log.info(`events: journaled again; delivering the ${this.pending.length} held back`);
      this.failing = false;
      this.pending.shift();
      for (const { filter, listener } of this.listeners) if (matches(filter, event)) listener(event);
    }
  }
}

function matches(filter: EventFilter, event: Event): boolean {
  return (filter.types.length === 0 || filter.types.includes(event.type)) && (filter.ids.length === 0 || filter.ids.includes(event.id));
}

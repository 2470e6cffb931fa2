/** The in-process event bus behind Events.Subscribe: publish once, every matching subscriber gets it. */
import type { Event, EventType } from './api/types';
import { timestampNow } from './api/timestamp';

export interface EventFilter {
  types: readonly string[];
  ids: readonly string[];
}

type Listener = (event: Event) => void;

export class EventBus {
  private readonly listeners = new Set<{ filter: EventFilter; listener: Listener }>();

  publish(type: EventType, id: string, detail: { pid?: number; exitStatus?: number } = {}): void {
    const event: Event = { timestamp: timestampNow(), type, id, pid: detail.pid ?? 0, exitStatus: detail.exitStatus ?? 0 };
    for (const { filter, listener } of this.listeners) {
      if (matches(filter, event)) listener(event);
    }
  }

  /** Returns the unsubscribe function. */
  subscribe(filter: EventFilter, listener: Listener): () => void {
    const entry = { filter, listener };
    this.listeners.add(entry);
    return () => this.listeners.delete(entry);
  }
}

function matches(filter: EventFilter, event: Event): boolean {
  return (filter.types.length === 0 || filter.types.includes(event.type)) && (filter.ids.length === 0 || filter.ids.includes(event.id));
}

/** Events service: each subscriber gets the events passing its filters until it goes away. */
import { Metadata, type ServerWritableStream } from '@grpc/grpc-js';
import { EVENT_TYPES, NEWEST_SEQUENCE_HEADER, type Event, type SubscribeRequest } from '../api/types';
import { invalidArgument } from '../shared/errors';
import type { Supervisor } from './supervisor';
import { serverStream, type StreamHandler } from './handlers';
import { checkId } from '../containers/id';

/** Open Subscribe streams, ended when tsrund stops (so the server can shut down at once). */
export class Subscriptions {
  private readonly open = new Set<() => void>();

  add(end: () => void): () => void {
    this.open.add(end);
    return () => this.open.delete(end);
  }

  endAll(): void {
    for (const end of [...this.open]) end();
  }
}

export function eventsService(s: Supervisor, subscriptions: Subscriptions): Record<string, StreamHandler> {
  return {
    subscribe: serverStream(
      s.log,
      'Events.Subscribe',
      (req: SubscribeRequest, send: (e: Event) => void, cancelled, call: ServerWritableStream<SubscribeRequest, Event>) => {
        req.types.forEach((t, i) => {
          if (!(EVENT_TYPES as readonly string[]).includes(t))
            throw invalidArgument(`types[${i}]`, `unknown event type ${JSON.stringify(t.slice(0, 40))} (one of ${EVENT_TYPES.join(', ')})`);
        });
        req.ids.forEach((id, i) => checkId(id, `ids[${i}]`));
        if (!Number.isSafeInteger(req.afterSequence))
          throw invalidArgument('after_sequence', `${req.afterSequence} is not a sequence tsrund gives`);
        return new Promise<void>((resolve) => {
          // Before any event: where "from now on" starts, for a client that resumes without having seen one.
          const metadata = new Metadata();
          metadata.set(NEWEST_SEQUENCE_HEADER, String(s.events.newest));
          call.sendMetadata(metadata);
          const unsubscribe = s.events.subscribe(req, req.afterSequence, send);
          const done = () => {
            unsubscribe();
            forget();
            resolve();
          };
          const forget = subscriptions.add(done);
          call.on('cancelled', done);
          if (cancelled()) done();
        });
      },
    ),
  };
}

/**
 * The shape of CRI handler modules (runtime-info.ts, images.ts, pods/*): each gives a
 * Partial<RuntimeHandlers> or Partial<ImageHandlers>, a function per RPC it implements, typed by
 * the generated service interfaces. A unary handler returns the response (fields it leaves out go
 * as their proto3 defaults); a server-streaming one writes through `send` until it returns
 * (`gone` resolves when the client cancels or goes away: a stream without an end waits for it).
 */
import type { ImageServiceService, RuntimeServiceService } from '../api/generated/cri-types';
import { invalidArgument } from '../shared/errors';

/** A response as a handler may give it: any field left out is sent as its default. */
export type Reply<T> = T extends Buffer ? T : T extends (infer E)[] ? Reply<E>[] : T extends object ? { [K in keyof T]?: Reply<T[K]> | null } : T;

interface MethodShape {
  request: unknown;
  response: unknown;
  responseStream: boolean;
}

export type CriMethod<M extends MethodShape> = M['responseStream'] extends true
  ? (req: M['request'], send: (msg: Reply<M['response']>) => Promise<void>, cancelled: () => boolean, gone: Promise<void>) => Promise<void>
  : (req: M['request']) => Promise<Reply<M['response']>> | Reply<M['response']>;

export type CriHandlers<S> = { [K in keyof S]: S[K] extends MethodShape ? CriMethod<S[K]> : never };
export type RuntimeHandlers = CriHandlers<RuntimeServiceService>;
export type ImageHandlers = CriHandlers<ImageServiceService>;

/** `value` when the request set it; INVALID_ARGUMENT naming `field` when it did not (a message left unset, an empty string). */
export function required<T>(field: string, value: T | null | undefined | ''): T {
  if (value === null || value === undefined || value === '') throw invalidArgument(field, 'is required');
  return value as T;
}

/** The Stream* RPCs' answer: the List answer's items in messages of at most this many, as containerd sends them. */
const STREAM_BATCH = 100;

/** `items` sent as `wrap`ped batches until they are all sent or the client is gone; none for no items. */
export async function sendInBatches<T, M>(items: T[], send: (msg: M) => Promise<void>, cancelled: () => boolean, wrap: (batch: T[]) => M): Promise<void> {
  for (let i = 0; i < items.length && !cancelled(); i += STREAM_BATCH) await send(wrap(items.slice(i, i + STREAM_BATCH)));
}

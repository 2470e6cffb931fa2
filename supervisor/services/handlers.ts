/** grpc-js handler shapes for promise-returning implementations, errors mapped by ./status.ts. */
import type { sendUnaryData, ServerDuplexStream, ServerReadableStream, ServerUnaryCall, ServerWritableStream } from '@grpc/grpc-js';
import { MalformedRequest } from '../api/load';
import type { Logger } from '../shared/logger';
import { invalidArgument } from '../shared/errors';
import { traced } from '../shared/trace';
import { toServiceError } from './status';

export type UnaryHandler = (call: ServerUnaryCall<any, any>, callback: sendUnaryData<any>) => void;
export type StreamHandler = (call: ServerWritableStream<any, any>) => void;
export type ClientStreamHandler = (call: ServerReadableStream<any, any>, callback: sendUnaryData<any>) => void;
export type BidiHandler = (call: ServerDuplexStream<any, any>) => void;

/** The request, or INVALID_ARGUMENT when its bytes did not decode (api/load.ts). */
function decoded<Req>(request: unknown): Req {
  if (request instanceof MalformedRequest) {
    throw invalidArgument('request', `not a valid ${request.typeName} message (${request.reason}): is the client built from this API's protos?`);
  }
  return request as Req;
}

/** The id a request names, for the trace. */
function requestSubject(request: unknown): string {
  const id = (request as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? id : '';
}

export function unary<Req, Res>(log: Logger, method: string, fn: (req: Req) => Promise<Res> | Res): UnaryHandler {
  return (call, callback) => {
    Promise.resolve()
      .then(() => traced(`rpc ${method}`, requestSubject(call.request), () => fn(decoded<Req>(call.request))))
      .then(
        (res) => callback(null, res),
        (err) => callback(toServiceError(err, log, method)),
      )
      // A response that cannot be serialized fails inside callback: answer that, never reject.
      .catch((err) => callback(toServiceError(err, log, method)));
  };
}

/**
 * A server stream fed by `fn`, which writes through `send` and returns when done; `cancelled()`
 * turns true when the client goes away (then nothing more is written). `send` resolves once the
 * stream can take more (a producer that awaits it goes at the client's pace). A failure, before or
 * after the first message, ends the stream with its status.
 */
export function serverStream<Req, Res>(
  log: Logger,
  method: string,
  fn: (req: Req, send: (msg: Res) => Promise<void>, cancelled: () => boolean, call: ServerWritableStream<Req, Res>) => Promise<void>,
): StreamHandler {
  return (call) => {
    const w = responseWriter<Res>(call);
    w.finish(log, method, () => traced(`rpc ${method}`, requestSubject(call.request), () => fn(decoded<Req>(call.request), w.send, w.gone, call)));
  };
}

/**
 * The writing side of a response stream: `send` resolves once the stream can take more, `gone`
 * turns true when the client went away; `finish` ends the stream when `run` resolves, or with
 * its failure's status.
 */
function responseWriter<Res>(call: ServerWritableStream<any, Res> | ServerDuplexStream<any, Res>) {
  let gone = false;
  const drained: (() => void)[] = [];
  const wake = () => drained.splice(0).forEach((f) => f());
  call.on('cancelled', () => ((gone = true), wake()));
  call.on('error', () => ((gone = true), wake()));
  call.on('drain', wake);
  const send = (msg: Res): Promise<void> => {
    if (gone || call.write(msg)) return Promise.resolve();
    return new Promise((resolve) => drained.push(resolve));
  };
  const finish = (log: Logger, method: string, run: () => Promise<void>) =>
    Promise.resolve()
      .then(run)
      .then(
        () => {
          if (!gone) call.end();
        },
        (err) => {
          if (!gone) call.emit('error', toServiceError(err, log, method));
        },
      )
      .catch((err) => log.error(`${method}: ending the stream failed: ${(err as Error).message}`));
  return { send, gone: () => gone, finish };
}

/**
 * A client stream: `fn` reads the messages (an async iterable that ends when the client ends the
 * stream or goes away) and returns the one reply. A message is read only when `fn` asks for the
 * next, so a slow `fn` holds the client back through HTTP/2 flow control.
 */
export function clientStream<Req, Res>(
  log: Logger,
  method: string,
  fn: (requests: AsyncIterable<Req>) => Promise<Res>,
): ClientStreamHandler {
  return (call, callback) => {
    Promise.resolve()
      .then(() => fn(readRequests<Req>(call)))
      .then(
        (res) => callback(null, res),
        (err) => {
          if (!call.cancelled) callback(toServiceError(err, log, method));
        },
      );
  };
}

async function* readRequests<Req>(call: ServerReadableStream<Req, unknown>): AsyncGenerator<Req> {
  try {
    for await (const req of call) yield req as Req;
  } catch (err) {
    // A client that went away: grpc-js destroyed the stream, which ends the iteration early.
    if (call.cancelled) return;
    throw err;
  }
}

/**
 * A bidirectional stream whose requests `fn` reads (as clientStream's: one at a time, at `fn`'s
 * pace) while it writes responses through `send` (as serverStream's: resolves once the stream can
 * take more). A failure ends the stream with its status.
 */
export function bidiStream<Req, Res>(
  log: Logger,
  method: string,
  fn: (requests: AsyncIterable<Req>, send: (msg: Res) => Promise<void>, cancelled: () => boolean) => Promise<void>,
): BidiHandler {
  return (call) => {
    const w = responseWriter<Res>(call);
    w.finish(log, method, () => traced(`rpc ${method}`, '', () => fn(decodedRequests<Req>(call), w.send, w.gone)));
  };
}

async function* decodedRequests<Req>(call: ServerDuplexStream<Req, unknown>): AsyncGenerator<Req> {
  for await (const req of readRequests<Req>(call as unknown as ServerReadableStream<Req, unknown>)) yield decoded<Req>(req);
}

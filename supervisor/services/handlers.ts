/** grpc-js handler shapes for promise-returning implementations, errors mapped by ./status.ts. */
import type { sendUnaryData, ServerUnaryCall, ServerWritableStream } from '@grpc/grpc-js';
import { MalformedRequest } from '../api/load';
import type { Logger } from '../daemon/logger';
import { invalidArgument } from '../errors';
import { toServiceError } from './status';

export type UnaryHandler = (call: ServerUnaryCall<any, any>, callback: sendUnaryData<any>) => void;
export type StreamHandler = (call: ServerWritableStream<any, any>) => void;

/** The request, or INVALID_ARGUMENT when its bytes did not decode (api/load.ts). */
function decoded<Req>(request: unknown): Req {
  if (request instanceof MalformedRequest) {
    throw invalidArgument('request', `not a valid ${request.typeName} message (${request.reason}): is the client built from this API's protos?`);
  }
  return request as Req;
}

export function unary<Req, Res>(log: Logger, method: string, fn: (req: Req) => Promise<Res> | Res): UnaryHandler {
  return (call, callback) => {
    Promise.resolve()
      .then(() => fn(decoded<Req>(call.request)))
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
 * turns true when the client goes away (then nothing more is written). A failure, before or after
 * the first message, ends the stream with its status.
 */
export function serverStream<Req, Res>(
  log: Logger,
  method: string,
  fn: (req: Req, send: (msg: Res) => void, cancelled: () => boolean, call: ServerWritableStream<Req, Res>) => Promise<void>,
): StreamHandler {
  return (call) => {
    let gone = false;
    call.on('cancelled', () => (gone = true));
    call.on('error', () => (gone = true));
    const send = (msg: Res) => {
      if (!gone) call.write(msg);
    };
    Promise.resolve()
      .then(() => fn(decoded<Req>(call.request), send, () => gone, call))
      .then(
        () => {
          if (!gone) call.end();
        },
        (err) => {
          if (!gone) call.emit('error', toServiceError(err, log, method));
        },
      )
      .catch((err) => log.error(`${method}: ending the stream failed: ${(err as Error).message}`));
  };
}

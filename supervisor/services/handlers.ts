/** grpc-js handler shapes for promise-returning implementations, errors mapped by ./status.ts. */
import type { sendUnaryData, ServerUnaryCall, ServerWritableStream } from '@grpc/grpc-js';
import type { Logger } from '../daemon/logger';
import { toServiceError } from './status';

export type UnaryHandler = (call: ServerUnaryCall<any, any>, callback: sendUnaryData<any>) => void;
export type StreamHandler = (call: ServerWritableStream<any, any>) => void;

export function unary<Req, Res>(log: Logger, method: string, fn: (req: Req) => Promise<Res> | Res): UnaryHandler {
  return (call, callback) => {
    Promise.resolve()
      .then(() => fn(call.request as Req))
      .then(
        (res) => callback(null, res),
        (err) => callback(toServiceError(err, log, method)),
      );
  };
}

/**
 * A server stream fed by `fn`, which writes through `send` and returns when done; `cancelled()`
 * turns true when the client goes away (then nothing more is written).
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
      .then(() => fn(call.request as Req, send, () => gone, call))
      .then(
        () => {
          if (!gone) call.end();
        },
        (err) => {
          if (!gone) call.emit('error', toServiceError(err, log, method));
        },
      );
  };
}

/**
 * A failed call as one line a user can act on: tsrund's own message when tsrund answered (its
 * statuses carry the SERVER_STATUS_TRAILER), else what stands between the client and tsrund (no
 * socket, a root-only socket, a daemon that went away), instead of grpc-js's text.
 */
import { status, type ServiceError } from '@grpc/grpc-js';
import { SERVER_STATUS_TRAILER } from '../api/load';

const isServiceError = (err: unknown): err is ServiceError =>
  err instanceof Error && typeof (err as ServiceError).code === 'number' && typeof (err as ServiceError).details === 'string';

/** Why grpc-js could not connect: the errno of its last connect(2) ("connect EACCES /run/..."). */
const connectErrno = (details: string): string | null => /\bconnect (E[A-Z]+)\b/.exec(details)?.[1] ?? null;

function connectionMessage(code: status, details: string, address: string): string {
  switch (code) {
    case status.UNAVAILABLE:
      switch (connectErrno(details)) {
        case 'ENOENT':
          return `no tsrund serves ${address} (no such socket): start tsrund, or point --address at its socket`;
        case 'EACCES':
        case 'EPERM':
          return `${address}: permission denied; tsrund's socket is root-only: run this as root (sudo)`;
        case 'ECONNREFUSED':
          return `nothing listens on ${address} (tsrund is not running; the socket is stale): start tsrund`;
        case 'ENOTSOCK':
          return `${address} is not a socket: point --address at tsrund's socket`;
        case null:
          return `lost the connection to tsrund at ${address} (did it stop?): check that it runs, then retry`;
        default:
          return `cannot connect to tsrund at ${address} (${connectErrno(details)})`;
      }
    case status.DEADLINE_EXCEEDED:
      return `tsrund at ${address} did not answer in time`;
    case status.CANCELLED:
      return 'the call was cancelled before tsrund answered';
    case status.RESOURCE_EXHAUSTED:
      return "a message exceeds the 4 MiB limit of tsrund's API (a request or a response too large): ask for less, e.g. page a list";
    case status.UNIMPLEMENTED:
      return `tsrund at ${address} does not implement this call: is it an older version than this client?`;
    default:
      return `tsrund at ${address} failed the call (${status[code] ?? code})`;
  }
}

export function callErrorMessage(err: unknown, address: string): string {
  if (!isServiceError(err)) return err instanceof Error ? err.message : String(err);
  const fromTsrund = (err.metadata?.get(SERVER_STATUS_TRAILER).length ?? 0) > 0;
  return fromTsrund ? err.details : connectionMessage(err.code, err.details, address);
}

/**
 * tsrund's errors as gRPC statuses: the code says what kind of failure, the details say what, in
 * one line. A failure nobody anticipated (a bug) is logged with its stack and answered INTERNAL
 * without Node's text ("Cannot read properties of ..." means nothing to a user).
 */
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { ConfigError } from '../../spec/load';
import { SERVER_STATUS_TRAILER } from '../api/load';
import type { Logger } from '../shared/logger';
import { fsErrorText, SupervisorError, type ErrorKind } from '../shared/errors';

const CODES: Record<ErrorKind, status> = {
  NOT_FOUND: status.NOT_FOUND,
  ALREADY_EXISTS: status.ALREADY_EXISTS,
  INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  FAILED_PRECONDITION: status.FAILED_PRECONDITION,
  OUT_OF_RANGE: status.OUT_OF_RANGE,
  RESOURCE_EXHAUSTED: status.RESOURCE_EXHAUSTED,
  UNIMPLEMENTED: status.UNIMPLEMENTED,
  UNAVAILABLE: status.UNAVAILABLE,
  INTERNAL: status.INTERNAL,
};

/** Longest message sent; a longer one is cut (the log keeps the whole). */
const MAX_DETAILS = 2000;

const FULL_DISK = new Set(['ENOSPC', 'EDQUOT']);

function statusOf(err: unknown, log: Logger, method: string): { code: status; details: string } {
  if (err instanceof SupervisorError) return { code: CODES[err.kind], details: err.message };
  if (err instanceof ConfigError) return { code: status.INVALID_ARGUMENT, details: `bundle: ${err.message}` };
  const fs = fsErrorText(err);
  log.error(`${method}: ${err instanceof Error && err.stack ? err.stack : String(err)}`);
  if (fs !== null) {
    const full = FULL_DISK.has((err as NodeJS.ErrnoException).code!);
    return { code: full ? status.RESOURCE_EXHAUSTED : status.INTERNAL, details: `${method}: ${fs}` };
  }
  return { code: status.INTERNAL, details: `${method} failed on an internal error of tsrund (its log has the details); please report it` };
}

export function toServiceError(err: unknown, log: Logger, method: string): Partial<ServiceError> {
  const { code, details } = statusOf(err, log, method);
  const line = details.replace(/\s*\n\s*/g, '; ');
  const metadata = new Metadata();
  metadata.set(SERVER_STATUS_TRAILER, '1');
  return { code, details: line.length > MAX_DETAILS ? `${line.slice(0, MAX_DETAILS)}...` : line, metadata };
}

/**
 * tsrund's errors as gRPC statuses, the one place they become statuses: a TsrunError's code
 * gives the status code, its message the details, in one line. A failure nobody anticipated (a bug) is logged with its stack and answered INTERNAL
 * without Node's text ("Cannot read properties of ..." means nothing to a user).
 */
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { ConfigError } from '../../spec/load';
import { SERVER_STATUS_TRAILER } from '../api/load';
import type { Logger } from '../shared/logger';
import { fsErrorText, TsrunError } from '../shared/errors';
import type { ErrorCode } from '../../common/errors';

export const GRPC_STATUS: Readonly<Record<ErrorCode, status>> = {
  'invalid-argument': status.INVALID_ARGUMENT,
  'not-found': status.NOT_FOUND,
  'already-exists': status.ALREADY_EXISTS,
  'failed-precondition': status.FAILED_PRECONDITION,
  'out-of-range': status.OUT_OF_RANGE,
  'resource-exhausted': status.RESOURCE_EXHAUSTED,
  unimplemented: status.UNIMPLEMENTED,
  unavailable: status.UNAVAILABLE,
  'deadline-exceeded': status.DEADLINE_EXCEEDED,
  internal: status.INTERNAL,
};

/** Longest message sent; a longer one is cut (the log keeps the whole). */
const MAX_DETAILS = 2000;

const FULL_DISK = new Set(['ENOSPC', 'EDQUOT']);

function statusOf(err: unknown, log: Logger, method: string): { code: status; details: string } {
  // A bundle's config.json is named by its JSON paths: "bundle" says which input holds them.
  if (err instanceof ConfigError) return { code: GRPC_STATUS[err.code], details: `bundle: ${err.message}` };
  if (err instanceof TsrunError) return { code: GRPC_STATUS[err.code], details: err.message };
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

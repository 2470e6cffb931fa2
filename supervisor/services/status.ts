/** tsrund's errors as gRPC statuses: the code says what kind of failure, the details say what. */
import { status, type ServiceError } from '@grpc/grpc-js';
import { ConfigError } from '../../spec/load';
import type { Logger } from '../daemon/logger';
import { SupervisorError, type ErrorKind } from '../errors';

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

export function toServiceError(err: unknown, log: Logger, method: string): Partial<ServiceError> {
  if (err instanceof SupervisorError) return { code: CODES[err.kind], details: err.message };
  if (err instanceof ConfigError) return { code: status.INVALID_ARGUMENT, details: `bundle: ${err.message}` };
  const message = err instanceof Error ? err.message : String(err);
  log.error(`${method}: ${err instanceof Error && err.stack ? err.stack : message}`);
  return { code: status.INTERNAL, details: message };
}

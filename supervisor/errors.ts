/**
 * Errors of tsrund's operations, each with the gRPC status code it is answered with
 * (services/status.ts maps them). The message is what the client prints.
 */
export type ErrorKind =
  'NOT_FOUND' | 'ALREADY_EXISTS' | 'INVALID_ARGUMENT' | 'FAILED_PRECONDITION' | 'OUT_OF_RANGE' | 'RESOURCE_EXHAUSTED' | 'UNIMPLEMENTED' | 'UNAVAILABLE' | 'INTERNAL';

export class SupervisorError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'SupervisorError';
  }
}

export const notFound = (what: string): SupervisorError => new SupervisorError('NOT_FOUND', `${what} not found`);
/** `field` names the request field, e.g. "overrides.env[2]". */
export const invalidArgument = (field: string, message: string): SupervisorError =>
  new SupervisorError('INVALID_ARGUMENT', `${field}: ${message}`);
export const failedPrecondition = (message: string): SupervisorError => new SupervisorError('FAILED_PRECONDITION', message);

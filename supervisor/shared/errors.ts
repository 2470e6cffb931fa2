/**
 * tsrund's errors: the one shape (common/errors.ts), which services/status.ts answers with the
 * gRPC status of its code, and the text of errno codes.
 */
export { errnoText, failedPrecondition, fsErrorText, invalidArgument, notFound, TsrunError } from '../../common/errors';

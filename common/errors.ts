/**
 * The one shape of a failure in tsrun, tsrund and tsctl: a code (what kind of failure, from a
 * small closed set), the subject (what it is about: a JSON path, a request field, an id), the
 * cause (the underlying error, when one failed) and a one-line message meant for the user as it
 * is: the CLIs print it, tsrund answers it. The code is mapped once per front end: to an exit
 * status (runtime/cli/command.ts, for tsrun, tsctl and tsrund's start) and to a gRPC status
 * (supervisor/services/status.ts).
 */
export const ERROR_CODES = [
  /** The input is wrong whatever the state: a flag, a config.json value, a request field. */
  'invalid-argument',
  'not-found',
  'already-exists',
  /** The input is fine but the state does not allow it (a container not running, a full queue). */
  'failed-precondition',
  'out-of-range',
  /** A limit was reached: a full disk, a quota. */
  'resource-exhausted',
  'unimplemented',
  /** Something the operation needs cannot be reached now (a registry); worth a retry. */
  'unavailable',
  /** The operation's own time limit ran out (an ExecSync timeout); what it started was undone. */
  'deadline-exceeded',
  /** A failure nobody anticipated, or of tsrun's own state. */
  'internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorDetails {
  /** Unless given: failed-precondition, which most refusals of the runtime are. */
  code?: ErrorCode;
  subject?: string;
  cause?: unknown;
}

export class TsrunError extends Error {
  readonly code: ErrorCode;
  readonly subject?: string;

  constructor(message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'TsrunError';
    this.code = details.code ?? 'failed-precondition';
    this.subject = details.subject;
  }
}

/** "<subject>: <what is wrong>", the subject naming the input ("process.args", "overrides.env[2]"). */
export const invalidArgument = (subject: string, reason: string, cause?: unknown): TsrunError =>
  new TsrunError(`${subject}: ${reason}`, { code: 'invalid-argument', subject, cause });

/** "<what> not found", what naming it by its id ("container c1"). */
export const notFound = (what: string): TsrunError => new TsrunError(`${what} not found`, { code: 'not-found', subject: what });

export const failedPrecondition = (message: string, subject?: string): TsrunError => new TsrunError(message, { code: 'failed-precondition', subject });

/**
 * Whether `err` is a failed system call with one of these errno names: what a catch that expects
 * a failure ("ENOENT": removed meanwhile) tests before it handles it, rethrowing any other.
 */
export const hasErrno = (err: unknown, ...names: string[]): boolean => names.includes((err as NodeJS.ErrnoException | null)?.code ?? '');

/** Descriptions of the errno codes file and network operations meet, as `ls` or `curl` say them. */
const ERRNO_TEXT: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by the peer',
  ENETUNREACH: 'network unreachable',
  EHOSTUNREACH: 'host unreachable',
  ETIMEDOUT: 'timed out',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed (temporarily)',
  EPIPE: 'the peer closed the connection',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a component of the path is not a directory',
  EISDIR: 'is a directory',
  EEXIST: 'already exists',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'file name too long',
  ENOSPC: 'no space left on device (the disk is full)',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EMFILE: 'too many open files',
  EIO: 'input/output error',
  EBUSY: 'device or resource busy',
  EINVAL: 'invalid argument',
  EXDEV: 'cross-device link',
  ENOTEMPTY: 'directory not empty',
};

/** "connection refused" for ECONNREFUSED; undefined for a code not described here. */
export const errnoText = (code: string): string | undefined => ERRNO_TEXT[code];

/**
 * A Node file-system error as one line, "<path>: <what>" ("/x/y: no such file or directory"),
 * instead of Node's "ENOENT: no such file or directory, open '/x/y'"; null for other errors.
 */
export function fsErrorText(err: unknown): string | null {
  const e = err as NodeJS.ErrnoException;
  if (!(err instanceof Error) || typeof e.code !== 'string' || !/^E[A-Z0-9]+$/.test(e.code)) return null;
  const what = errnoText(e.code) ?? e.code;
  return e.path ? `${e.path}: ${what}` : `${e.syscall ?? 'system call'}: ${what}`;
}

/**
 * tsrund's errors: the one shape (runtime/errors.ts), which services/status.ts answers with the
 * gRPC status of its code, and the text of the errno codes tsrund's file and network operations meet.
 */
export { failedPrecondition, invalidArgument, notFound, TsrunError } from '../runtime/errors';

/** Descriptions of the errno codes tsrund's file and network operations meet, as `ls` or `curl` say them. */
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

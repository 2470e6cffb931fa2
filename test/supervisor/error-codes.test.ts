/**
 * The one error shape mapped once each way: every code to tsrun's and tsctl's exit status, and to
 * tsrund's gRPC status (with its message as the details); what is not of the shape is internal.
 */
import { status } from '@grpc/grpc-js';
import { EXIT_STATUS, exitStatusOf } from '../../runtime/cli/command';
import { ERROR_CODES, TsrunError, type ErrorCode } from '../../common/errors';
import { ConfigError } from '../../spec/load';
import { ContentError, DiskFullError } from '../../supervisor/content/store';
import { LineLogger } from '../../supervisor/daemon/logger';
import { RegistryError } from '../../supervisor/registry/client';
import { NetworkError } from '../../supervisor/registry/http';
import { ReferenceError } from '../../supervisor/registry/reference';
import { GRPC_STATUS, toServiceError } from '../../supervisor/services/status';

const quiet = new LineLogger('error', () => undefined);
const answer = (err: unknown) => {
  const { code, details } = toServiceError(err, quiet, 'Images.Pull');
  return { code, details };
};

/** The gRPC status a code answers with is the one of the same name ("not-found": NOT_FOUND). */
const statusNamed = (code: ErrorCode): status => status[code.toUpperCase().replace(/-/g, '_') as keyof typeof status];

test.each(ERROR_CODES.map((c) => [c]))('%s exits 1 (as runc on any error) and answers its gRPC status with its message', (code) => {
  const err = new TsrunError(`image x: what went wrong`, { code, subject: 'x' });
  expect(EXIT_STATUS[code]).toBe(1);
  expect(exitStatusOf(err)).toBe(1);
  expect(GRPC_STATUS[code]).toBe(statusNamed(code));
  expect(answer(err)).toEqual({ code: statusNamed(code), details: 'image x: what went wrong' });
});

test('an error not of the shape exits 1 and is answered INTERNAL without its text; a full disk is RESOURCE_EXHAUSTED', () => {
  expect(exitStatusOf(new TypeError('x is undefined'))).toBe(1);
  expect(exitStatusOf('a string')).toBe(1);
  expect(answer(new TypeError('Cannot read properties of undefined'))).toEqual({
    code: status.INTERNAL,
    details: 'Images.Pull failed on an internal error of tsrund (its log has the details); please report it',
  });
  const full = Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC', path: '/var/lib/tsrund/x' });
  expect(answer(full)).toEqual({ code: status.RESOURCE_EXHAUSTED, details: 'Images.Pull: /var/lib/tsrund/x: no space left on device (the disk is full)' });
});

test('each error class carries the code its status was answered with, and the subject and cause it names', () => {
  expect(answer(new RegistryError('manifest unknown', 404)).code).toBe(status.NOT_FOUND);
  expect(answer(new RegistryError('HTTP 503', 503)).code).toBe(status.UNAVAILABLE);
  expect(answer(new RegistryError('no answer')).code).toBe(status.UNAVAILABLE);
  expect(answer(new RegistryError('HTTP 401', 401)).code).toBe(status.FAILED_PRECONDITION);
  expect(answer(new NetworkError('GET https://r: connection refused', 'ECONNREFUSED')).code).toBe(status.UNAVAILABLE);
  expect(answer(new DiskFullError('sha256:ab', '/c', 'ENOSPC'))).toMatchObject({ code: status.RESOURCE_EXHAUSTED });
  expect(answer(new ContentError('r: digest mismatch')).code).toBe(status.FAILED_PRECONDITION);
  expect(answer(new ReferenceError('invalid reference')).code).toBe(status.INVALID_ARGUMENT);
  const config = new ConfigError([{ path: 'process.args', message: 'must not be empty' }], '/b/config.json');
  expect(config).toMatchObject({ code: 'invalid-argument', subject: '/b/config.json' });
  expect(answer(config)).toEqual({ code: status.INVALID_ARGUMENT, details: 'bundle: /b/config.json: process.args: must not be empty' });
  const cause = new Error('EIO');
  expect(new TsrunError('m', { code: 'internal', cause })).toMatchObject({ code: 'internal', cause });
  expect(new TsrunError('m').code).toBe('failed-precondition');
});

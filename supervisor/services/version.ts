/** Version and Health services. */
import { TSRUN_VERSION } from '../../runtime/version';
import { API_PACKAGE } from '../api/load';
import type { Supervisor } from './supervisor';
import { unary, type UnaryHandler } from './handlers';

export function versionService(s: Supervisor): Record<string, UnaryHandler> {
  return {
    version: unary(s.log, 'Version.Version', () => ({ version: TSRUN_VERSION, api: API_PACKAGE, node: process.version, pid: process.pid })),
  };
}

export function healthService(s: Supervisor): Record<string, UnaryHandler> {
  return {
    check: unary(s.log, 'Health.Check', () => ({ status: s.ready ? 'SERVING' : 'NOT_SERVING' })),
  };
}

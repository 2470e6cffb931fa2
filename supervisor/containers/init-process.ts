/**
 * docker's --init for tsrund: the project's init (native/src/init, built beside the addon as
 * tsrun-init) bind-mounted read-only into the container where docker mounts docker-init, and
 * put before the command, which it runs as its child.
 */
import type { Spec } from '../../spec/types';
import { nativeExecutable } from '../shared/native-executable';

export const INIT_DESTINATION = '/sbin/tsrun-init';

export const initBinaryPath = (): string => nativeExecutable('tsrun-init');

/** `spec` with its command run under the init at `binary` (a host path). */
export function applyInit(spec: Spec, binary: string): void {
  (spec.mounts ??= []).push({ destination: INIT_DESTINATION, type: 'bind', source: binary, options: ['bind', 'ro', 'nosuid', 'nodev'] });
  const proc = spec.process!;
  proc.args = [INIT_DESTINATION, '--', ...(proc.args ?? [])];
}

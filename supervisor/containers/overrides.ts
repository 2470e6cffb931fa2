/**
 * A container's config: the bundle's config.json with the Create request's overrides applied
 * (args, env, cwd and user as Tasks.Exec applies them: ./process-request.ts; the security ones:
 * ./security.ts; resources, ulimits, devices and /dev/shm: modules of their own). Pure but for
 * reading tsrund's own capabilities and the host's cgroup facts once, and looking at the host
 * devices asked for; a bad override is INVALID_ARGUMENT naming its request field.
 */
import type { Process, Spec } from '../../spec/types';
import { invalidArgument } from '../shared/errors';
import type { ProcessOverrides } from '../api/types';
import { applyProcessRequest } from './process-request';
import { grantableCapabilities } from './host-capabilities';
import { applySecurityOverrides } from './security';
import { applyInit, initBinaryPath } from './init-process';
import { applyResources } from './resources';
import { applyUlimits } from './ulimits';
import { applyDevices } from './devices';
import { applyShmSize } from './shm';

/** Overrides that change nothing: every field empty (what the wire gives for fields left out). */
export const EMPTY_OVERRIDES: Readonly<ProcessOverrides> = {
  args: [],
  env: [],
  cwd: '',
  user: '',
  terminal: false,
  mounts: [],
  resources: null,
  entrypoint: [],
  network: null,
  volumes: [],
  volumesFrom: [],
  privileged: false,
  capAdd: [],
  capDrop: [],
  seccompProfile: '',
  noNewPrivileges: false,
  restartPolicy: null,
  init: false,
  stopSignal: '',
  readOnly: false,
  ulimits: [],
  devices: [],
  shmSize: 0,
  autoRemove: false,
};

export function applyOverrides(base: Spec, o: ProcessOverrides | null): Spec {
  const spec: Spec = structuredClone(base);
  if (!o) return spec;
  const proc = applyProcessRequest(spec.process ?? ({ cwd: '/', args: [], user: { uid: 0, gid: 0 } } as Process), o, 'overrides.');
  if (o.terminal) proc.terminal = true;
  spec.process = proc;
  o.mounts.forEach((m, i) => {
    if (!m.destination.startsWith('/')) throw invalidArgument(`overrides.mounts[${i}].destination`, 'must be an absolute path');
    if (m.type === '' && m.source === '') throw invalidArgument(`overrides.mounts[${i}]`, 'needs a type or a source');
    (spec.mounts ??= []).push({
      destination: m.destination,
      ...(m.type ? { type: m.type } : {}),
      ...(m.source ? { source: m.source } : {}),
      ...(m.options.length ? { options: [...m.options] } : {}),
    });
  });
  if (o.resources) applyResources(spec, o.resources);
  applyUlimits(spec, o.ulimits);
  applyDevices(spec, o.devices);
  applyShmSize(spec, o.shmSize);
  applySecurityOverrides(spec, o, grantableCapabilities);
  if (o.init) applyInit(spec, initBinaryPath());
  if (o.readOnly) spec.root = { path: 'rootfs', ...spec.root, readonly: true };
  return spec;
}

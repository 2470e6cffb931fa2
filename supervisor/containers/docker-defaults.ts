/**
 * What an image container gets that `tsrun spec`'s runc-like defaults do not give, as docker
 * gives it (moby's oci defaults): docker's 14 capabilities in the bounding, effective and
 * permitted sets (none inheritable or ambient: a non-root user's process gets none in effect, as
 * under docker), no no_new_privs (setuid programs work), docker's masked and read-only paths,
 * TERM=xterm with a terminal (an exec's too), and once the request's overrides are in, tsrund's default seccomp
 * profile for the capabilities the container ends up with. A bundle's config.json is never
 * given these. Pure: specs in, specs out.
 */
import { defaultSpec } from '../../spec/default-config';
import type { Spec } from '../../spec/types';
import type { ProcessOverrides } from '../api/types';
import { defaultSeccompProfile } from './seccomp-default';
import { wantsDefaultSeccomp } from './security';

export const DOCKER_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

const RUNC = defaultSpec().linux;
/** Docker's masked paths: runc's, and /proc/interrupts and /sys/devices/virtual/powercap. */
export const DOCKER_MASKED_PATHS: readonly string[] = [...RUNC.maskedPaths, '/proc/interrupts', '/sys/devices/virtual/powercap'];
/** Docker's read-only paths are runc's. */
export const DOCKER_READONLY_PATHS: readonly string[] = RUNC.readonlyPaths;

const namesTerm = (env: readonly string[]) => env.some((e) => e.startsWith('TERM='));

/**
 * The environment an exec into an image container asks for: as docker's exec, TERM=xterm added
 * with a terminal unless the container's process or the request sets TERM.
 */
export function dockerExecEnv(processEnv: readonly string[], req: { env: readonly string[]; terminal: boolean }): string[] {
  return req.terminal && !namesTerm(processEnv) && !namesTerm(req.env) ? [...req.env, 'TERM=xterm'] : [...req.env];
}

/** Docker's defaults on an image's config, before the request's overrides (which may change them). */
export function withDockerDefaults(image: Spec, o: Pick<ProcessOverrides, 'terminal'> | null): Spec {
  const spec = structuredClone(image);
  const proc = spec.process!;
  proc.capabilities = { bounding: [...DOCKER_CAPABILITIES], effective: [...DOCKER_CAPABILITIES], permitted: [...DOCKER_CAPABILITIES] };
  delete proc.noNewPrivileges;
  const env = proc.env ?? [];
  if (o?.terminal && !namesTerm(env)) proc.env = [...env, 'TERM=xterm'];
  const linux = (spec.linux ??= {});
  linux.maskedPaths = [...DOCKER_MASKED_PATHS];
  linux.readonlyPaths = [...DOCKER_READONLY_PATHS];
  return spec;
}

/**
 * The default seccomp profile, for the capabilities the overrides left the container, unless
 * they asked for another or none (or --privileged).
 */
export function withDefaultSeccomp(spec: Spec, o: Parameters<typeof wantsDefaultSeccomp>[0]): Spec {
  if (!wantsDefaultSeccomp(o)) return spec;
  const out = structuredClone(spec);
  (out.linux ??= {}).seccomp = defaultSeccompProfile(out.process?.capabilities?.bounding ?? []);
  return out;
}

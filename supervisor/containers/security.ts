/**
 * The security part of a Create request's overrides, applied to a container's config the way
 * docker's run flags change it: --privileged, --cap-add / --cap-drop, --security-opt seccomp=…
 * and no-new-privileges. They apply to image and bundle containers alike; only what an image
 * container gets when none is given (./docker-defaults.ts) differs. Pure; a bad value is
 * INVALID_ARGUMENT naming its request field.
 */
import type { LinuxCapabilities, LinuxSeccomp, Spec } from '../../spec/types';
import { checkConfigSchema } from '../../spec/validate';
import { CAPABILITIES } from '../../runtime/plan/linux';
import { agentState, seccompStep } from '../../runtime/plan/seccomp';
import { PlanError } from '../../runtime/plan/plan-error';
import type { ProcessOverrides } from '../api/types';
import { invalidArgument } from '../shared/errors';

type SecurityOverrides = Partial<Pick<ProcessOverrides, 'privileged' | 'capAdd' | 'capDrop' | 'seccompProfile' | 'noNewPrivileges'>>;

export const UNCONFINED = 'unconfined';
const ALL = 'ALL';


/** "chown", "CHOWN", "CAP_CHOWN" → "CAP_CHOWN"; "all" → "ALL"; anything else unknown. */
function capabilityName(text: string, field: string): string {
  const upper = text.toUpperCase();
  if (upper === ALL) return ALL;
  const name = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
  if (!Object.hasOwn(CAPABILITIES, name)) throw invalidArgument(field, `unknown capability ${name}`);
  return name;
}

/**
 * docker's arithmetic (moby's TweakCapabilities): add ALL gives every capability but the
 * dropped ones; drop ALL keeps only the added ones; otherwise the base minus the dropped plus
 * the added (an added one wins over its drop).
 */
export function tweakCapabilities(base: readonly string[], add: readonly string[], drop: readonly string[], all: () => readonly string[]): string[] {
  const adds = add.map((c, i) => capabilityName(c, `overrides.cap_add[${i}]`));
  const drops = drop.map((c, i) => capabilityName(c, `overrides.cap_drop[${i}]`));
  const added = adds.filter((c) => c !== ALL);
  let caps: string[];
  if (adds.includes(ALL)) caps = all().filter((c) => !drops.includes(c));
  else if (drops.includes(ALL)) caps = added;
  else caps = [...base.filter((c) => !drops.includes(c)), ...added];
  return [...new Set(caps)];
}

/**
 * `caps` in the bounding, effective and permitted sets, as docker sets them; inheritable and
 * ambient keep only what is still in `caps` (an image container has none there).
 */
function setCapabilities(spec: Spec, caps: string[]): void {
  const proc = spec.process!;
  const old: LinuxCapabilities = proc.capabilities ?? {};
  const keep = (set: string[] | undefined) => set?.filter((c) => caps.includes(c));
  const inheritable = keep(old.inheritable);
  const ambient = keep(old.ambient);
  proc.capabilities = {
    bounding: [...caps],
    effective: [...caps],
    permitted: [...caps],
    ...(inheritable ? { inheritable } : {}),
    ...(ambient ? { ambient } : {}),
  };
}

/** Docker's --privileged but for the capabilities and seccomp: nothing masked or read-only, /sys and cgroups writable, every device allowed. */
function liftConfinement(spec: Spec): void {
  const linux = (spec.linux ??= {});
  linux.maskedPaths = [];
  linux.readonlyPaths = [];
  for (const m of spec.mounts ?? []) {
    if ((m.type === 'sysfs' || m.type === 'cgroup' || m.type === 'cgroup2') && m.options) m.options = m.options.filter((o) => o !== 'ro');
  }
  linux.resources = { ...linux.resources, devices: [{ allow: true, access: 'rwm' }] };
}

/** A seccomp profile given as JSON text: a LinuxSeccomp, or INVALID_ARGUMENT naming the JSON path of what is wrong. */
export function parseSeccompProfile(text: string, field = 'overrides.seccomp_profile'): LinuxSeccomp {
  let profile: unknown;
  try {
    profile = JSON.parse(text);
  } catch (err) {
    throw invalidArgument(field, `not valid JSON: ${(err as Error).message}`);
  }
  if (profile === null || typeof profile !== 'object' || Array.isArray(profile)) throw invalidArgument(field, 'must be a JSON object (a LinuxSeccomp)');
  refuseDockerFormat(profile as Record<string, unknown>, field);
  const at = 'linux.seccomp';
  // The schema checks the profile where it sits in a config; its paths are then made the profile's own.
  const issues = checkConfigSchema({ ociVersion: '1.0.0', linux: { seccomp: profile } }).filter((i) => i.path.startsWith(at));
  if (issues.length > 0) {
    throw invalidArgument(field, issues.map((i) => `${profilePath(i.path, at)}: ${i.message}`).join('; '));
  }
  try {
    seccompStep(profile as LinuxSeccomp, agentState({ id: 'check', bundle: '/', status: 'creating' }));
  } catch (err) {
    if (err instanceof PlanError) throw invalidArgument(field, `${profilePath(err.path, at)}: ${err.reason}`);
    throw err;
  }
  return profile as LinuxSeccomp;
}

/**
 * docker's own profile format (moby's default.json) puts rules under conditions (archMap,
 * includes, excludes) a LinuxSeccomp does not have: ignored, such a rule would apply
 * unconditionally (mount allowed without CAP_SYS_ADMIN), so such a profile is refused instead.
 */
function refuseDockerFormat(profile: Record<string, unknown>, field: string): void {
  const why = "is docker's profile format, not a LinuxSeccomp (its conditional rules would apply unconditionally)";
  if ('archMap' in profile) throw invalidArgument(field, `archMap ${why}`);
  const syscalls = Array.isArray(profile.syscalls) ? (profile.syscalls as unknown[]) : [];
  syscalls.forEach((rule, i) => {
    const key = ['includes', 'excludes'].find((k) => rule !== null && typeof rule === 'object' && k in rule);
    if (key) throw invalidArgument(field, `syscalls[${i}].${key} ${why}`);
  });
}

function profilePath(path: string, at: string): string {
  return path === at ? '(root)' : path.slice(at.length).replace(/^\./, '');
}

/** Whether the request leaves the seccomp profile to the container's default. */
export function wantsDefaultSeccomp(o: SecurityOverrides | null): boolean {
  return !o?.privileged && (o?.seccompProfile ?? '') === '';
}

/**
 * The security overrides applied to `spec` (changed in place). `all`: every capability a
 * container can be given (./host-capabilities.ts), asked only for --privileged or ALL.
 */
export function applySecurityOverrides(spec: Spec, o: SecurityOverrides, all: () => readonly string[]): void {
  const add = o.capAdd ?? [];
  const drop = o.capDrop ?? [];
  const proc = spec.process!;
  if (o.privileged || add.length > 0 || drop.length > 0) {
    const base = o.privileged ? all() : (proc.capabilities?.bounding ?? []);
    setCapabilities(spec, tweakCapabilities(base, add, drop, all));
  }
  if (o.privileged) liftConfinement(spec);
  const profile = o.seccompProfile ?? '';
  if (profile === UNCONFINED || (o.privileged && profile === '')) delete spec.linux?.seccomp;
  else if (profile !== '') (spec.linux ??= {}).seccomp = parseSeccompProfile(profile);
  if (o.noNewPrivileges) proc.noNewPrivileges = true;
}

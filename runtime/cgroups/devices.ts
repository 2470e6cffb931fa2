/**
 * linux.resources.devices -> which devices the container's cgroup lets it use, as runc decides:
 * - every container starts from "deny all": runc builds the rules as an allow-list, whether or not
 *   the config begins with the deny-all rule `tsrun spec` writes;
 * - the config's rules apply next, in order;
 * - runc's default allowed devices come last, so a config cannot take them away;
 * - linux.devices adds no rule: runc makes those nodes, but the container may open one only when
 *   linux.resources.devices allows it (runc's integration test "device cgroup deny" checks this).
 *
 * Like the v1 devices controller (and runc's emulation of it), an "a" rule resets the list and any
 * other rule adds or removes an exception to the current default. Planning is pure: the caller
 * says whether this host has the v1 devices controller and gets the writes, or notes saying what
 * it cannot enforce, or an error naming the config field.
 */
import type { LinuxDeviceCgroup } from '../../spec/types';
import { CgroupError } from './errors';
import { deviceFilterProgram, encodeBpf } from './device-filter';
import type { CgroupWrite } from './resources';

export type DeviceType = 'a' | 'b' | 'c';

export interface DeviceRule {
  allow: boolean;
  /** "a": every device, whatever the other fields say (the kernel reads nothing after it). */
  type: DeviceType;
  /** null: any major ("*"). */
  major: number | null;
  /** null: any minor ("*"). */
  minor: number | null;
  /** A non-empty subset of "rwm", in that order. */
  access: string;
  /** Where the rule comes from, for messages: a JSON path, or which built-in rule it is. */
  source: string;
}

/** The state the rules leave the cgroup in: a default plus exceptions to it. */
export interface DeviceAccess {
  defaultAllow: boolean;
  /** Rules whose allow is the opposite of defaultAllow, in the order they first appeared. */
  exceptions: DeviceRule[];
  /** The "a" rule the state starts from (the implicit deny-all or the config's last "a" rule). */
  reset: DeviceRule;
}

export interface DevicePlan {
  writes: CgroupWrite[];
  /** cgroup v2: the eBPF device program (struct bpf_insn[]) to attach to the container's cgroup. */
  filter?: Buffer;
  /** What this host cannot enforce, one line each, for the caller to log. */
  notEnforced: string[];
}

const FIELD = 'linux.resources.devices';
const MAX_DEVICE_NUMBER = 0xffffffff; // the kernel parses majors and minors as u32

const DEFAULT_SOURCE = "runc's default allowed devices";

const allowed = (type: DeviceType, major: number | null, minor: number | null, access: string): DeviceRule => ({
  allow: true,
  type,
  major,
  minor,
  access,
  source: DEFAULT_SOURCE,
});

/** runc's AllowedDevices (libcontainer/specconv), in its order: granted to every container. */
export const DEFAULT_ALLOWED_DEVICES: readonly DeviceRule[] = [
  allowed('c', null, null, 'm'), // mknod of any device; opening it is another matter
  allowed('b', null, null, 'm'),
  allowed('c', 1, 3, 'rwm'), // /dev/null
  allowed('c', 1, 8, 'rwm'), // /dev/random
  allowed('c', 1, 7, 'rwm'), // /dev/full
  allowed('c', 5, 0, 'rwm'), // /dev/tty
  allowed('c', 1, 5, 'rwm'), // /dev/zero
  allowed('c', 1, 9, 'rwm'), // /dev/urandom
  allowed('c', 136, null, 'rwm'), // /dev/pts/*, the console among them
  allowed('c', 5, 2, 'rwm'), // /dev/ptmx
  // /dev/net/tun: runc dropped it in 1.2.0 and put it back, as too many setups relied on it.
  allowed('c', 10, 200, 'rwm'),
];

/** Where every container starts (runc's rules are an allow-list). */
const START: DeviceRule = {
  allow: false,
  type: 'a',
  major: null,
  minor: null,
  access: 'rwm',
  source: `${FIELD} (deny all first, as runc does)`,
};

/** The rule as the v1 devices files and devices.list spell it: "c 1:3 rwm", "b 8:* r", "a *:* rwm". */
export function deviceRuleText(r: DeviceRule): string {
  if (r.type === 'a') return 'a *:* rwm';
  return `${r.type} ${r.major ?? '*'}:${r.minor ?? '*'} ${r.access}`;
}

function deviceNumber(value: unknown, path: string): number | null {
  if (value === undefined || value === -1) return null; // runc reads -1 as its wildcard
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_DEVICE_NUMBER) {
    throw new CgroupError(`${path}: must be an integer from 0 to ${MAX_DEVICE_NUMBER}, or -1 for any, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Check one entry of linux.resources.devices and spell it as a rule. */
export function parseDeviceCgroupRule(entry: unknown, index: number): DeviceRule {
  const path = `${FIELD}[${index}]`;
  if (typeof entry !== 'object' || entry === null) throw new CgroupError(`${path}: must be an object, got ${JSON.stringify(entry)}`);
  const e = entry as Record<string, unknown>;
  if (typeof e.allow !== 'boolean') throw new CgroupError(`${path}.allow: must be true or false, got ${JSON.stringify(e.allow)}`);
  const type = e.type ?? 'a';
  if (type !== 'a' && type !== 'b' && type !== 'c') {
    throw new CgroupError(`${path}.type: must be "a" (all), "b" (block) or "c" (char), got ${JSON.stringify(type)}`);
  }
  // Optional in the spec: like a missing type (all devices), a missing access is all of it (as crun reads it).
  const access = e.access ?? 'rwm';
  if (typeof access !== 'string' || access === '' || /[^rwm]/.test(access)) {
    throw new CgroupError(`${path}.access: must be a combination of r, w, m, got ${JSON.stringify(access)}`);
  }
  return {
    allow: e.allow,
    type,
    major: deviceNumber(e.major, `${path}.major`),
    minor: deviceNumber(e.minor, `${path}.minor`),
    access: [...'rwm'].filter((c) => access.includes(c)).join(''),
    source: path,
  };
}

/** The ordered rules a container's device access comes from: deny all, the config's, runc's defaults. */
export function effectiveDeviceRules(devices: readonly LinuxDeviceCgroup[] | undefined): DeviceRule[] {
  if (devices !== undefined && !Array.isArray(devices)) throw new CgroupError(`${FIELD}: must be a list, got ${JSON.stringify(devices)}`);
  return [START, ...(devices ?? []).map((d, i) => parseDeviceCgroupRule(d, i)), ...DEFAULT_ALLOWED_DEVICES];
}

const sameDevices = (a: DeviceRule, b: DeviceRule) => a.type === b.type && a.major === b.major && a.minor === b.minor;
const without = (access: string, taken: string) => [...access].filter((c) => !taken.includes(c)).join('');
const union = (a: string, b: string) => [...'rwm'].filter((c) => a.includes(c) || b.includes(c)).join('');

/**
 * Take `r`'s access away from the exception for exactly its devices. The kernel only ever edits an
 * exact match, so taking part of a wider exception ("c 1:3 w" out of "c *:* rwm") would be
 * silently ignored: refuse it, as runc does.
 */
function removeException(exceptions: DeviceRule[], r: DeviceRule): void {
  const wider = exceptions.find(
    (x) =>
      x.type === r.type &&
      !sameDevices(x, r) &&
      (x.major === null || x.major === r.major) &&
      (x.minor === null || x.minor === r.minor) &&
      [...r.access].some((c) => x.access.includes(c)),
  );
  if (wider) {
    throw new CgroupError(
      `${r.source}: "${deviceRuleText(r)}" cannot take access away from the wider rule "${deviceRuleText(wider)}" (${wider.source}): the devices cgroup edits only exact matches`,
    );
  }
  const i = exceptions.findIndex((x) => sameDevices(x, r));
  if (i < 0) return;
  const left = without(exceptions[i].access, r.access);
  if (left === '') exceptions.splice(i, 1);
  else exceptions[i] = { ...exceptions[i], access: left };
}

/** The state `rules` leave a devices cgroup in, applied in order from any starting state. */
export function resolveDeviceAccess(rules: readonly DeviceRule[]): DeviceAccess {
  let state: DeviceAccess = {
    defaultAllow: false,
    exceptions: [],
    reset: START,
  };
  for (const r of rules) {
    if (r.type === 'a') {
      state = { defaultAllow: r.allow, exceptions: [], reset: r };
    } else if (r.allow === state.defaultAllow) {
      removeException(state.exceptions, r);
    } else {
      const i = state.exceptions.findIndex((x) => sameDevices(x, r));
      if (i < 0) state.exceptions.push(r);
      else
        state.exceptions[i] = {
          ...state.exceptions[i],
          access: union(state.exceptions[i].access, r.access),
        };
    }
  }
  return state;
}

const fileFor = (allow: boolean) => (allow ? 'devices.allow' : 'devices.deny');

const NOT_ENFORCEABLE = 'this host has neither a cgroup v1 devices controller nor a cgroup v2 hierarchy for the eBPF device filter';

/**
 * The writes that give the container's cgroup the device access of `devices` (linux.resources.devices)
 * when `devicesVersion` is 1 (the v1 devices controller): the "a" rule that sets the default, then
 * one write per exception, which is what devices.list then shows. With 2 (cgroup v2, or a hybrid
 * host without the v1 controller): the eBPF program that enforces the same access.
 *
 * Without either nothing is written. The container can then use every device the host
 * lets it, so: a rule that denies particular devices is refused (the config asks to withhold them
 * and tsrun cannot); otherwise create goes on and the plan says what is not enforced. Refusing
 * every config with rules would refuse every runc-style bundle, as they all start with deny-all.
 */
export function planDeviceWrites(devices: readonly LinuxDeviceCgroup[] | undefined, devicesVersion: 1 | 2 | null): DevicePlan {
  const rules = effectiveDeviceRules(devices);
  const access = resolveDeviceAccess(rules);
  if (devicesVersion === 1) {
    const exceptionFile = fileFor(!access.defaultAllow);
    const reset = {
      field: access.reset.source,
      file: fileFor(access.defaultAllow),
      value: 'a',
    };
    const exceptions = access.exceptions.map((x) => ({
      field: x.source,
      file: exceptionFile,
      value: deviceRuleText(x),
    }));
    return {
      writes: [reset, ...exceptions].map((w) => ({
        ...w,
        controller: 'devices',
        version: 1 as const,
      })),
      notEnforced: [],
    };
  }
  if (devicesVersion === 2) return { writes: [], notEnforced: [], filter: encodeBpf(deviceFilterProgram(access)) };
  if (access.defaultAllow && access.exceptions.length === 0) return { writes: [], notEnforced: [] };
  const denial = rules.find((r) => !r.allow && r.type !== 'a');
  if (denial) throw new CgroupError(`${denial.source}: denies "${deviceRuleText(denial)}", but ${NOT_ENFORCEABLE}`);
  return {
    writes: [],
    notEnforced: [
      `device rules (runc's defaults and ${FIELD}) are not enforced: ${NOT_ENFORCEABLE}; the container can use every device the host allows`,
    ],
  };
}

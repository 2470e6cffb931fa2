/**
 * docker's resource run flags for `tsctl run`: -m/--memory, --memory-swap, --cpus, -c/--cpu-shares,
 * --cpuset-cpus, --pids-limit, --ulimit, --device and --shm-size, as that part of
 * ProcessOverrides. The values' grammar is docker's (go-units sizes, rational cpus, NAME=SOFT[:HARD],
 * HOST[:CONTAINER[:PERMS]]), refused here with docker's words; what needs the host (memory floors,
 * swap, cpus that exist, the device nodes) tsrund checks.
 */
import * as os from 'os';
import * as path from 'path';
import type { FlagSpec, FlagValues } from '../../runtime/cli/args';
import { TsrunError } from '../../common/errors';
import type { DeviceMapping, ProcessOverrides, Resources, Ulimit } from '../api/types';
import { ULIMIT_NAMES, validDeviceMode } from '../shared/docker-grammar';

export type ResourceOverrides = Pick<ProcessOverrides, 'resources' | 'ulimits' | 'devices' | 'shmSize'>;

export const RESOURCE_RUN_FLAGS: FlagSpec[] = [
  { name: 'memory', short: 'm', kind: 'string', usage: 'memory limit, e.g. 512m (b, k, m, g suffixes)' },
  { name: 'memory-swap', kind: 'string', usage: 'memory plus swap limit (-1: unlimited swap; default: twice --memory)' },
  { name: 'cpus', kind: 'string', usage: 'how many cpus of time, e.g. 1.5' },
  { name: 'cpu-shares', short: 'c', kind: 'int', usage: 'cpu shares (relative weight, default 1024)' },
  { name: 'cpuset-cpus', kind: 'string', usage: 'the cpus it may run on (0-3, 0,1)' },
  { name: 'pids-limit', kind: 'int', usage: 'the most processes it may hold (-1: unlimited)' },
  { name: 'ulimit', kind: 'list', usage: 'NAME=SOFT[:HARD], e.g. nofile=1024:2048 (repeatable)' },
  { name: 'device', kind: 'list', usage: 'a host device: HOST[:CONTAINER[:PERMS]], PERMS of r, w, m (repeatable)' },
  { name: 'shm-size', kind: 'string', usage: 'size of /dev/shm (default 64m)' },
];

const NAMES: Record<string, string> = Object.fromEntries(RESOURCE_RUN_FLAGS.map((s) => [s.name, s.short ? `-${s.short}, --${s.name}` : `--${s.name}`]));

/** Control characters escaped and a long value cut, so that the error stays one readable line. */
const shown = (text: string) => JSON.stringify(text.length > 100 ? `${text.slice(0, 100)}…` : text).slice(1, -1);

/** docker's (pflag's) words for a value a flag cannot take. */
const invalid = (flag: string, value: string, why: string) =>
  new TsrunError(`invalid argument "${shown(value)}" for "${NAMES[flag]}" flag: ${why}`, { code: 'invalid-argument', subject: `--${flag}` });

const SIZE = /^(\d+(?:\.\d+)?) ?([kmgtp])?i?b?$/i;
const UNITS: Record<string, number> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50 };

/** A size as docker's RAMInBytes reads it: binary units, case-insensitive, "b" optional, fractions truncated. */
export function parseSize(flag: string, text: string): number {
  const m = SIZE.exec(text);
  if (!m) throw invalid(flag, text, `invalid size: '${shown(text)}'`);
  const bytes = Math.trunc(Number(m[1]) * UNITS[(m[2] ?? '').toLowerCase()]);
  if (!Number.isSafeInteger(bytes)) throw invalid(flag, text, `invalid size: '${shown(text)}' is more than ${Number.MAX_SAFE_INTEGER} bytes`);
  return bytes;
}

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d{1,4}))?$/;
const FRACTION = /^([+-]?\d+)\/(\d+)$/;

/** A number of cpus as docker's NanoCPUs reads it (a rational: 1.5, 3/2, 15e-1), in billionths. */
export function parseNanoCpus(text: string): bigint {
  const notRational = () => invalid('cpus', text, `failed to parse ${shown(text)} as a rational number`);
  let num: bigint;
  let den: bigint;
  const f = FRACTION.exec(text);
  const d = f ? null : DECIMAL.exec(text);
  if (f) {
    [num, den] = [BigInt(f[1]), BigInt(f[2])];
    if (den === 0n) throw notRational();
  } else if (d && (d[2] !== '' || (d[3] ?? '') !== '')) {
    const frac = d[3] ?? '';
    const exp = Number(d[4] ?? '0') - frac.length;
    if (Math.abs(exp) > 400) throw invalid('cpus', text, 'value is out of range');
    num = BigInt(`${d[1] === '-' ? '-' : ''}${d[2]}${frac}`);
    [num, den] = exp >= 0 ? [num * 10n ** BigInt(exp), 1n] : [num, 10n ** BigInt(-exp)];
  } else throw notRational();
  const nano = num * 1_000_000_000n;
  if (nano % den !== 0n) throw invalid('cpus', text, 'value is too precise');
  return nano / den;
}

/** --cpus as the cfs quota and period docker gives it (period 100 ms). */
export function cpusQuota(text: string, cpuCount: number = os.availableParallelism()): { quota: number; period: number } | null {
  const nano = parseNanoCpus(text);
  if (nano === 0n) return null;
  if (nano < 0n || nano > BigInt(cpuCount) * 1_000_000_000n) {
    throw invalid('cpus', text, `Range of CPUs is from 0.01 to ${cpuCount}.00, as there are only ${cpuCount} CPUs available`);
  }
  const period = 100_000;
  return { quota: Number((nano * BigInt(period)) / 1_000_000_000n), period };
}

function ulimitValue(text: string, value: string): number {
  if (value === 'infinity') return -1;
  if (!/^[+-]?\d+$/.test(value)) throw invalid('ulimit', text, `invalid ulimit value "${shown(value)}": give an integer, -1 or infinity`);
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw invalid('ulimit', text, `ulimit value ${shown(value)} is out of range`);
  if (n < -1) throw invalid('ulimit', text, `ulimit value ${shown(value)}: give 0 or more, or -1 (unlimited)`);
  return n;
}

/** NAME=SOFT[:HARD] as docker's ParseUlimit reads it; no HARD: the soft limit. */
export function parseUlimit(text: string): Ulimit {
  const eq = text.indexOf('=');
  if (eq < 0) throw invalid('ulimit', text, `invalid ulimit argument: ${shown(text)}`);
  const name = text.slice(0, eq);
  if (!ULIMIT_NAMES.includes(name)) throw invalid('ulimit', text, `invalid ulimit type: ${shown(name)} (give one of ${ULIMIT_NAMES.join(', ')})`);
  const values = text.slice(eq + 1).split(':');
  if (values.length > 2) throw invalid('ulimit', text, `too many limit value arguments - ${shown(text.slice(eq + 1))}, can only have up to two, \`soft[:hard]\``);
  const soft = ulimitValue(text, values[0]);
  const hard = values.length === 2 ? ulimitValue(text, values[1]) : soft;
  if (hard !== -1) {
    if (soft === -1) throw invalid('ulimit', text, `ulimit soft limit must be less than or equal to hard limit: soft: -1 (unlimited), hard: ${hard}`);
    if (soft > hard) throw invalid('ulimit', text, `ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`);
  }
  return { name, soft, hard };
}

/**
 * HOST[:CONTAINER[:PERMS]] as docker's validateLinuxPath and parseLinuxDevice read it (a second
 * part that is a mode is the mode); a relative HOST is tsctl's cwd's (tsrund looks on this host).
 */
export function parseDevice(text: string, cwd: string = process.cwd()): DeviceMapping {
  const parts = text.split(':');
  if (parts.length > 3 || parts[0] === '') throw invalid('device', text, `bad format for path: ${shown(text)}`);
  let container = parts[0];
  let permissions = 'rwm';
  if (parts.length === 2) {
    if (validDeviceMode(parts[1])) permissions = parts[1];
    else container = parts[1];
  } else if (parts.length === 3) {
    container = parts[1];
    permissions = parts[2];
    if (!validDeviceMode(permissions)) throw invalid('device', text, `bad mode specified: ${shown(permissions)} (give r, w and m, each at most once)`);
  }
  if (!path.posix.isAbsolute(container)) throw invalid('device', text, `${shown(container)} is not an absolute path`);
  return { hostPath: path.resolve(cwd, parts[0]), containerPath: path.posix.normalize(container), permissions };
}

const given = (f: FlagValues, name: string) => f[name] !== undefined;

function resources(f: FlagValues): Resources | null {
  if (!['memory', 'memory-swap', 'cpus', 'cpu-shares', 'cpuset-cpus', 'pids-limit'].some((n) => given(f, n))) return null;
  const swap = f['memory-swap'] as string | undefined;
  const cpus = given(f, 'cpus') ? cpusQuota(f.cpus as string) : null;
  const shares = (f['cpu-shares'] as number | undefined) ?? 0;
  const pids = (f['pids-limit'] as number | undefined) ?? 0;
  return {
    memoryLimit: given(f, 'memory') ? parseSize('memory', f.memory as string) : 0,
    memorySwap: swap === undefined ? 0 : swap === '-1' ? -1 : parseSize('memory-swap', swap),
    // docker raises negative shares to the kernel's minimum, 2 (the wire has no negatives).
    cpuShares: shares < 0 ? 2 : shares,
    cpuQuota: cpus?.quota ?? 0,
    cpuPeriod: cpus?.period ?? 0,
    cpusetCpus: (f['cpuset-cpus'] as string | undefined) ?? '',
    // docker: 0 and negative mean unlimited; on the wire 0 is "not set".
    pidsLimit: given(f, 'pids-limit') && pids <= 0 ? -1 : pids,
  };
}

export function resourceOverrides(f: FlagValues): ResourceOverrides {
  const ulimits = new Map<string, Ulimit>();
  // docker keeps one limit per name: the last given.
  for (const text of (f.ulimit as string[] | undefined) ?? []) {
    const u = parseUlimit(text);
    ulimits.delete(u.name);
    ulimits.set(u.name, u);
  }
  return {
    resources: resources(f),
    ulimits: [...ulimits.values()],
    devices: ((f.device as string[] | undefined) ?? []).map((d) => parseDevice(d)),
    shmSize: given(f, 'shm-size') ? parseSize('shm-size', f['shm-size'] as string) : 0,
  };
}

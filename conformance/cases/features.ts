/**
 * Cases on features.md and features-linux.md: the `features` document's shape (the features
 * schema, checked field by field here so that the suite needs no schema files) and its internal
 * consistency.
 */
import { Case, CaseContext, CaseFailure, expect } from '../case';
import { SEMVER } from './lifecycle';

const HOOKS = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'];
const NAMESPACES = ['pid', 'network', 'mount', 'ipc', 'uts', 'user', 'cgroup', 'time'];
const SECCOMP_ACTIONS = [
  'SCMP_ACT_KILL',
  'SCMP_ACT_KILL_PROCESS',
  'SCMP_ACT_KILL_THREAD',
  'SCMP_ACT_TRAP',
  'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE',
  'SCMP_ACT_ALLOW',
  'SCMP_ACT_LOG',
  'SCMP_ACT_NOTIFY',
];
const SECCOMP_OPERATORS = ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ'];
const SECCOMP_FLAGS = ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'];

type Json = Record<string, unknown>;

/** The parsed output of `features`, failing the case if there is none. */
function features(ctx: CaseContext): Json {
  const r = ctx.runtime.cmd(['features']);
  expect(r.code === 0, `features failed (exit ${r.code}): ${r.stderr.trim().slice(0, 300)}`);
  let doc: unknown;
  try {
    doc = JSON.parse(r.stdout);
  } catch {
    throw new CaseFailure(`features printed invalid JSON: ${JSON.stringify(r.stdout.slice(0, 200))}`);
  }
  expect(typeof doc === 'object' && doc !== null && !Array.isArray(doc), `features printed ${JSON.stringify(doc)}, not an object`);
  return doc as Json;
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Problems with an optional string list at `where`, whose items must pass `valid` when given. */
function stringList(doc: Json, key: string, where: string, valid?: (s: string) => boolean): string[] {
  const v = doc[key];
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) return [`${where}.${key} is not a list of strings`];
  const bad = valid ? (v as string[]).filter((s) => !valid(s)) : [];
  return bad.length ? [`${where}.${key} holds unknown values ${JSON.stringify(bad)}`] : [];
}

function booleans(doc: unknown, where: string, keys: string[]): string[] {
  if (doc === undefined) return [];
  if (!isObject(doc)) return [`${where} is not an object`];
  return keys.filter((k) => doc[k] !== undefined && typeof doc[k] !== 'boolean').map((k) => `${where}.${k} is not a boolean`);
}

/** Every way the document breaks features-schema.json and features-linux.json. */
function schemaProblems(doc: Json): string[] {
  const problems: string[] = [];
  for (const key of ['ociVersionMin', 'ociVersionMax']) {
    if (typeof doc[key] !== 'string' || !SEMVER.test(doc[key] as string)) problems.push(`${key} ${JSON.stringify(doc[key])} is missing or not SemVer`);
  }
  problems.push(...stringList(doc, 'hooks', 'features'), ...stringList(doc, 'mountOptions', 'features'), ...stringList(doc, 'potentiallyUnsafeConfigAnnotations', 'features'));
  if (doc.annotations !== undefined && (!isObject(doc.annotations) || Object.values(doc.annotations).some((v) => typeof v !== 'string'))) {
    problems.push('features.annotations is not a map of strings');
  }
  const linux = doc.linux;
  if (linux === undefined) return problems;
  if (!isObject(linux)) return [...problems, 'features.linux is not an object'];
  problems.push(...stringList(linux, 'namespaces', 'linux', (s) => NAMESPACES.includes(s)));
  problems.push(...stringList(linux, 'capabilities', 'linux', (s) => /^CAP_[A-Z_]+$/.test(s)));
  problems.push(...booleans(linux.cgroup, 'linux.cgroup', ['v1', 'v2', 'systemd', 'systemdUser', 'rdma']));
  for (const key of ['apparmor', 'selinux', 'intelRdt', 'netDevices']) problems.push(...booleans(linux[key], `linux.${key}`, ['enabled']));
  const seccomp = linux.seccomp;
  if (seccomp !== undefined) {
    if (!isObject(seccomp)) return [...problems, 'linux.seccomp is not an object'];
    problems.push(...booleans(seccomp, 'linux.seccomp', ['enabled']));
    problems.push(...stringList(seccomp, 'actions', 'linux.seccomp', (s) => SECCOMP_ACTIONS.includes(s)));
    problems.push(...stringList(seccomp, 'operators', 'linux.seccomp', (s) => SECCOMP_OPERATORS.includes(s)));
    problems.push(...stringList(seccomp, 'archs', 'linux.seccomp', (s) => /^SCMP_ARCH_[A-Z0-9_]+$/.test(s)));
    problems.push(...stringList(seccomp, 'knownFlags', 'linux.seccomp', (s) => SECCOMP_FLAGS.includes(s)));
    problems.push(...stringList(seccomp, 'supportedFlags', 'linux.seccomp', (s) => SECCOMP_FLAGS.includes(s)));
  }
  const idmap = isObject(linux.mountExtensions) ? linux.mountExtensions.idmap : undefined;
  if (linux.mountExtensions !== undefined && !isObject(linux.mountExtensions)) problems.push('linux.mountExtensions is not an object');
  problems.push(...booleans(idmap, 'linux.mountExtensions.idmap', ['enabled']));
  return problems;
}

/** Compare two SemVer versions by their major.minor.patch, then a release above a pre-release. */
function compareVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const [core, pre] = v.split('+')[0].split(/-(.*)/s);
    return { nums: core.split('.').map(Number), pre: pre ?? '' };
  };
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < 3; i++) if (x.nums[i] !== y.nums[i]) return x.nums[i] - y.nums[i];
  if (x.pre === y.pre) return 0;
  if (!x.pre) return 1;
  if (!y.pre) return -1;
  return x.pre < y.pre ? -1 : 1;
}

export const featureCases: Case[] = [
  {
    id: 'features.schema',
    clause: 'features.md § Features Structure',
    level: 'MUST',
    requirement: 'features prints one JSON object that follows the features schema: SemVer ociVersionMin and ociVersionMax, string lists, known namespace types, seccomp actions, operators and flags, boolean switches',
    async check(ctx) {
      const problems = schemaProblems(features(ctx));
      expect(problems.length === 0, problems.join('; '));
    },
  },
  {
    id: 'features.consistent',
    clause: 'features.md § Features Structure',
    level: 'MUST',
    requirement: 'the features document agrees with itself: ociVersionMin is not above ociVersionMax, hooks are the spec\'s hook names, supported seccomp flags are among the known ones',
    async check(ctx) {
      const doc = features(ctx);
      const problems: string[] = [];
      const [min, max] = [doc.ociVersionMin, doc.ociVersionMax];
      if (typeof min === 'string' && typeof max === 'string' && compareVersions(min, max) > 0) problems.push(`ociVersionMin ${min} is above ociVersionMax ${max}`);
      const unknownHooks = Array.isArray(doc.hooks) ? doc.hooks.filter((h) => !HOOKS.includes(h as string)) : [];
      if (unknownHooks.length) problems.push(`hooks lists ${JSON.stringify(unknownHooks)}, not spec hook names`);
      const seccomp = isObject(doc.linux) && isObject(doc.linux.seccomp) ? doc.linux.seccomp : {};
      const known = Array.isArray(seccomp.knownFlags) ? (seccomp.knownFlags as string[]) : undefined;
      const supported = Array.isArray(seccomp.supportedFlags) ? (seccomp.supportedFlags as string[]) : [];
      const stray = known ? supported.filter((f) => !known.includes(f)) : [];
      if (stray.length) problems.push(`supportedFlags ${JSON.stringify(stray)} are not in knownFlags`);
      expect(problems.length === 0, problems.join('; '));
    },
  },
];

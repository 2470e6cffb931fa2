/**
 * Ids and cgroup core files in config.json: the class of fields that name a uid or gid, found by
 * walking the schemas, so a field added later without the rule fails here; and the
 * linux.resources.unified keys that are control files rather than resources.
 */
import defs from './schema/defs.schema.json';
import defsLinux from './schema/defs-linux.schema.json';
import { type DefaultSpec, defaultSpec } from './default-config';
import { checkProcessSchema, formatIssue, validateConfig } from './validate';
import { unifiedKeyProblem } from './rules';

const lines = (doc: unknown) => validateConfig(doc).map(formatIssue);

/** Field names that hold a uid or gid (or a list of them) wherever they occur in the schemas. */
const ID_FIELDS = /^(uid|gid|additionalGids|containerID|hostID)$/;

/** [definition.property, schema] of every property in the two definition files. */
function properties(): [string, Record<string, unknown>][] {
  const out: [string, Record<string, unknown>][] = [];
  for (const [file, schema] of [
    ['defs', defs],
    ['defs-linux', defsLinux],
  ] as const) {
    for (const [name, def] of Object.entries(schema.definitions as Record<string, { properties?: Record<string, Record<string, unknown>> }>)) {
      for (const [prop, sub] of Object.entries(def.properties ?? {})) out.push([`${file}:${name}.${prop}`, sub]);
    }
  }
  return out;
}

test('every uid and gid field of the schemas is a LinuxId (never 4294967295)', () => {
  const idFields = properties().filter(([where]) => ID_FIELDS.test(where.split('.').pop()!));
  // User (3), LinuxIDMapping (2), LinuxDevice (2): the walk must find them, or the test proves nothing.
  expect(idFields.length).toBeGreaterThanOrEqual(7);
  for (const [where, sub] of idFields) {
    const ref = (sub.items as Record<string, unknown> | undefined)?.$ref ?? sub.$ref;
    expect(`${where} -> ${String(ref)}`).toMatch(/#\/definitions\/LinuxId$/);
  }
  expect(defs.definitions.LinuxId.maximum).toBe(4294967294);
});

/** Each config field of the class, set to -1 as uint32, and the path the error must name. */
const MINUS_ONE: [string, (c: DefaultSpec) => void][] = [
  ['process.user.uid', (c) => (c.process.user.uid = 4294967295)],
  ['process.user.gid', (c) => (c.process.user.gid = 4294967295)],
  ['process.user.additionalGids[1]', (c) => (c.process.user.additionalGids = [5, 4294967295])],
  ['linux.devices[0].uid', (c) => (c.linux.devices = [{ path: '/dev/x', type: 'c', major: 1, minor: 3, uid: 4294967295 }])],
  ['linux.devices[0].gid', (c) => (c.linux.devices = [{ path: '/dev/x', type: 'c', major: 1, minor: 3, gid: 4294967295 }])],
  ['linux.uidMappings[0].containerID', (c) => userns(c, { containerID: 4294967295, hostID: 0, size: 1 })],
  ['linux.uidMappings[0].hostID', (c) => userns(c, { containerID: 0, hostID: 4294967295, size: 1 })],
  ['mounts[0].uidMappings[0].hostID', (c) => idmapped(c, { containerID: 0, hostID: 4294967295, size: 1 })],
];

function userns(c: DefaultSpec, uid: { containerID: number; hostID: number; size: number }): void {
  c.linux.namespaces.push({ type: 'user' });
  c.linux.uidMappings = [uid];
  c.linux.gidMappings = [{ containerID: 0, hostID: 0, size: 1 }];
}

function idmapped(c: DefaultSpec, uid: { containerID: number; hostID: number; size: number }): void {
  c.mounts[0].uidMappings = [uid];
  c.mounts[0].gidMappings = [{ containerID: 0, hostID: 0, size: 1 }];
}

test.each(MINUS_ONE)('%s: 4294967295 is refused by its path', (at, edit) => {
  const c = defaultSpec();
  edit(c);
  expect(lines(c)).toEqual([`${at}: must be an id from 0 to 4294967294 (the kernel reads 4294967295 as -1: no change) (got 4294967295)`]);
});

test('4294967294 and 0 are ids', () => {
  const c = defaultSpec();
  c.process.user = { uid: 4294967294, gid: 0, additionalGids: [4294967294] };
  expect(lines(c)).toEqual([]);
});

test('an id range may not reach -1 (the kernel refuses it, or maps it)', () => {
  const c = defaultSpec();
  userns(c, { containerID: 0, hostID: 4294967290, size: 10 });
  idmapped(c, { containerID: 4294967294, hostID: 0, size: 2 });
  expect(lines(c)).toEqual([
    'mounts[0].uidMappings[0].size: containerID 4294967294 + size 2 reaches past 4294967294, the last id (the kernel reads 4294967295 as -1: no change)',
    'linux.uidMappings[0].size: hostID 4294967290 + size 10 reaches past 4294967294, the last id (the kernel reads 4294967295 as -1: no change)',
  ]);
  const fits = defaultSpec();
  userns(fits, { containerID: 0, hostID: 4294967285, size: 10 });
  idmapped(fits, { containerID: 4294967293, hostID: 0, size: 2 });
  expect(lines(fits)).toEqual([]);
});

test("an exec's process.json is checked as config.json's process, with the same paths", () => {
  expect(checkProcessSchema({ cwd: '/', args: ['sh'], user: { uid: 4294967295, gid: 0 } }).map(formatIssue)).toEqual([
    'process.user.uid: must be an id from 0 to 4294967294 (the kernel reads 4294967295 as -1: no change) (got 4294967295)',
  ]);
  expect(checkProcessSchema({ args: ['sh'] }).map(formatIssue)).toEqual(['process.cwd: is required']);
  expect(checkProcessSchema({ cwd: '/', args: ['sh'], user: { uid: 1, gid: 1 } })).toEqual([]);
});

describe('linux.resources.unified keys', () => {
  /** The kernel's cgroup v2 core interface files (Documentation/admin-guide/cgroup-v2.rst). */
  const CONTROL_FILES = [
    'cgroup.procs',
    'cgroup.threads',
    'cgroup.subtree_control',
    'cgroup.kill',
    'cgroup.freeze',
    'cgroup.type',
    'cgroup.controllers',
    'cgroup.events',
    'cgroup.stat',
    'cgroup.pressure',
  ];

  test.each(CONTROL_FILES)('%s is refused by its JSON path', (key) => {
    const c = defaultSpec();
    c.linux.resources = { unified: { [key]: '1' } };
    expect(lines(c)).toEqual([
      `linux.resources.unified["${key}"]: is a cgroup core file, not a resource (of the cgroup.* files only cgroup.max.descendants and cgroup.max.depth can be set)`,
    ]);
  });

  test.each(['../cgroup.procs', 'memory.max/../../cgroup.procs', '..', '.', '', 'pids.max\0'])('%j is not a file name', (key) => {
    expect(unifiedKeyProblem(key)).toBe('must be a file name (no "/", not "." or "..")');
  });

  test('resources and the subtree limits are accepted', () => {
    for (const key of ['memory.max', 'pids.max', 'cpu.weight', 'io.max', 'cgroup.max.depth', 'cgroup.max.descendants']) {
      expect([key, unifiedKeyProblem(key)]).toEqual([key, null]);
    }
    expect(unifiedKeyProblem('nodot')).toBe('must be in the form CONTROLLER.PARAMETER');
  });
});

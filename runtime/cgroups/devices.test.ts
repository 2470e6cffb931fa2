import type { LinuxDeviceCgroup } from '../../spec/types';
import {
  DEFAULT_ALLOWED_DEVICES,
  deviceRuleText,
  effectiveDeviceRules,
  parseDeviceCgroupRule,
  planDeviceWrites,
  resolveDeviceAccess,
} from './devices';

/** runc's default allowed devices as devices.list spells them, in runc's order. */
const RUNC_DEFAULTS = [
  'c *:* m',
  'b *:* m',
  'c 1:3 rwm',
  'c 1:8 rwm',
  'c 1:7 rwm',
  'c 5:0 rwm',
  'c 1:5 rwm',
  'c 1:9 rwm',
  'c 136:* rwm',
  'c 5:2 rwm',
  'c 10:200 rwm',
];

const DENY_ALL: LinuxDeviceCgroup = { allow: false, access: 'rwm' };

/** The v1 writes as "file value" lines. */
const writes = (devices: LinuxDeviceCgroup[] | undefined) => planDeviceWrites(devices, 1).writes.map((w) => `${w.file} ${w.value}`);

const allowed = (lines: string[]) => lines.map((l) => `devices.allow ${l}`);

describe('effectiveDeviceRules', () => {
  test('deny all first, then the config rules in order, then runc defaults', () => {
    const rules = effectiveDeviceRules([DENY_ALL, { allow: true, type: 'b', major: 7, access: 'r' }]);
    expect(rules.map(deviceRuleText)).toEqual(['a *:* rwm', 'a *:* rwm', 'b 7:* r', ...RUNC_DEFAULTS]);
    expect(rules.map((r) => r.source).slice(0, 3)).toEqual([
      'linux.resources.devices (deny all first, as runc does)',
      'linux.resources.devices[0]',
      'linux.resources.devices[1]',
    ]);
    expect(rules.slice(3)).toEqual(DEFAULT_ALLOWED_DEVICES);
    expect(rules.slice(3).every((r) => r.allow)).toBe(true);
  });

  test('absent rules leave the deny-all start and the defaults', () => {
    expect(effectiveDeviceRules(undefined).map(deviceRuleText)).toEqual(['a *:* rwm', ...RUNC_DEFAULTS]);
    expect(effectiveDeviceRules([])).toEqual(effectiveDeviceRules(undefined));
  });
});

describe('parseDeviceCgroupRule', () => {
  test('absent access (optional in the spec) is all of it, as an absent type is all devices', () => {
    expect(parseDeviceCgroupRule({ allow: false, type: 'c', major: 1, minor: 3 }, 2)).toMatchObject({ allow: false, type: 'c', access: 'rwm' });
  });

  test('absent type, major and minor mean all; -1 is any, as in runc; access is put in rwm order', () => {
    expect(parseDeviceCgroupRule({ allow: true, access: 'mr' }, 0)).toEqual({
      allow: true,
      type: 'a',
      major: null,
      minor: null,
      access: 'rm',
      source: 'linux.resources.devices[0]',
    });
    expect(
      deviceRuleText(
        parseDeviceCgroupRule(
          {
            allow: false,
            type: 'c',
            major: -1,
            minor: 4294967295,
            access: 'w',
          },
          3,
        ),
      ),
    ).toBe('c *:4294967295 w');
  });

  test.each([
    [
      { allow: true, type: 'c', major: 1, minor: 3, access: 'rx' },
      'linux.resources.devices[2].access: must be a combination of r, w, m, got "rx"',
    ],
    [{ allow: true, access: '' }, 'linux.resources.devices[2].access: must be a combination of r, w, m, got ""'],
    [{ allow: true, type: 'u', access: 'rwm' }, 'linux.resources.devices[2].type: must be "a" (all), "b" (block) or "c" (char), got "u"'],
    [{ allow: 'yes', access: 'rwm' }, 'linux.resources.devices[2].allow: must be true or false, got "yes"'],
    [
      { allow: true, type: 'c', major: 1.5, access: 'r' },
      'linux.resources.devices[2].major: must be an integer from 0 to 4294967295, or -1 for any, got 1.5',
    ],
    [
      { allow: true, type: 'c', minor: -2, access: 'r' },
      'linux.resources.devices[2].minor: must be an integer from 0 to 4294967295, or -1 for any, got -2',
    ],
    [{ allow: true, type: 'c', minor: 2 ** 32, access: 'r' }, 'linux.resources.devices[2].minor: must be an integer from 0 to 4294967295'],
    [null, 'linux.resources.devices[2]: must be an object, got null'],
  ])('rejects %j', (entry, message) => {
    expect(() => parseDeviceCgroupRule(entry, 2)).toThrow(message);
  });
});

describe('resolveDeviceAccess', () => {
  const resolve = (devices: LinuxDeviceCgroup[]) => {
    const access = resolveDeviceAccess(effectiveDeviceRules(devices));
    return {
      defaultAllow: access.defaultAllow,
      exceptions: access.exceptions.map(deviceRuleText),
    };
  };

  test("a config cannot take runc's defaults away: they come after it (what runc 1.1.5 shows here)", () => {
    const config: LinuxDeviceCgroup[] = [
      DENY_ALL,
      { allow: true, type: 'b', major: 7, access: 'r' },
      { allow: false, type: 'c', major: 1, minor: 9, access: 'w' },
    ];
    expect(resolve(config)).toEqual({
      defaultAllow: false,
      exceptions: ['b 7:* r', ...RUNC_DEFAULTS],
    });
  });

  test('a deny removes access from an exact exception; rules for the same devices merge', () => {
    const config: LinuxDeviceCgroup[] = [
      { allow: true, type: 'c', major: 4, minor: 64, access: 'rw' },
      { allow: true, type: 'c', major: 4, minor: 64, access: 'm' },
      { allow: false, type: 'c', major: 4, minor: 64, access: 'w' },
      { allow: true, type: 'c', major: 4, minor: 65, access: 'r' },
      { allow: false, type: 'c', major: 4, minor: 65, access: 'rw' },
    ];
    expect(resolve(config).exceptions).toEqual(['c 4:64 rm', ...RUNC_DEFAULTS]);
  });

  test('an "a" rule resets: allow-all leaves no exception, and the defaults add nothing to it', () => {
    expect(
      resolve([
        { allow: true, type: 'c', major: 4, minor: 64, access: 'rw' },
        { allow: true, access: 'rwm' },
      ]),
    ).toEqual({
      defaultAllow: true,
      exceptions: [],
    });
  });

  test('after allow-all, a deny is an exception', () => {
    expect(
      resolve([
        { allow: true, access: 'rwm' },
        { allow: false, type: 'b', major: 8, access: 'rw' },
      ]),
    ).toEqual({
      defaultAllow: true,
      exceptions: ['b 8:* rw'],
    });
  });

  test('taking part of a wider exception is refused, as runc does (the kernel would ignore it)', () => {
    expect(() =>
      resolve([DENY_ALL, { allow: true, type: 'c', major: 4, access: 'rw' }, { allow: false, type: 'c', major: 4, minor: 1, access: 'w' }]),
    ).toThrow(
      'linux.resources.devices[2]: "c 4:1 w" cannot take access away from the wider rule "c 4:* rw" (linux.resources.devices[1]): the devices cgroup edits only exact matches',
    );
    // Denying access the wider rule does not grant conflicts with nothing.
    expect(
      resolve([DENY_ALL, { allow: true, type: 'c', major: 4, access: 'rw' }, { allow: false, type: 'c', major: 4, minor: 1, access: 'm' }])
        .exceptions[0],
    ).toBe('c 4:* rw');
  });
});

describe('planDeviceWrites with the v1 devices controller', () => {
  test("the default spec's deny-all: deny all, then allow each default", () => {
    expect(writes([DENY_ALL])).toEqual(['devices.deny a', ...allowed(RUNC_DEFAULTS)]);
    expect(planDeviceWrites([DENY_ALL], 1).writes[0]).toEqual({
      field: 'linux.resources.devices[0]',
      controller: 'devices',
      version: 1,
      file: 'devices.deny',
      value: 'a',
    });
    expect(planDeviceWrites([DENY_ALL], 1).writes[3].field).toBe("runc's default allowed devices");
  });

  test('without rules in the config the container still gets only the defaults, as with runc', () => {
    expect(writes(undefined)).toEqual(['devices.deny a', ...allowed(RUNC_DEFAULTS)]);
    expect(planDeviceWrites(undefined, 1).writes[0].field).toBe('linux.resources.devices (deny all first, as runc does)');
  });

  test('allow-all writes "a" to devices.allow and nothing else; denials after it go to devices.deny', () => {
    expect(writes([{ allow: true, access: 'rwm' }])).toEqual(['devices.allow a']);
    expect(
      writes([
        { allow: true, access: 'rwm' },
        { allow: false, type: 'c', major: 10, minor: 237, access: 'rwm' },
      ]),
    ).toEqual(['devices.allow a', 'devices.deny c 10:237 rwm']);
  });

  test('config allow rules come before the defaults', () => {
    expect(writes([DENY_ALL, { allow: true, type: 'c', major: 1, minor: 11, access: 'r' }])).toEqual([
      'devices.deny a',
      'devices.allow c 1:11 r',
      ...allowed(RUNC_DEFAULTS),
    ]);
  });

  test('with the controller, nothing goes unenforced', () => {
    expect(planDeviceWrites([DENY_ALL], 1).notEnforced).toEqual([]);
  });
});

describe('planDeviceWrites on cgroup v2: the eBPF filter', () => {
  test('no writes, no note: a program that enforces the same access', () => {
    const plan = planDeviceWrites([DENY_ALL], 2);
    expect(plan.writes).toEqual([]);
    expect(plan.notEnforced).toEqual([]);
    expect(plan.filter).toBeInstanceOf(Buffer);
    expect(plan.filter!.length % 8).toBe(0);
  });
});

describe('planDeviceWrites without a devices controller or a v2 hierarchy', () => {
  const note =
    "device rules (runc's defaults and linux.resources.devices) are not enforced: this host has neither a cgroup v1 devices controller nor a cgroup v2 hierarchy for the eBPF device filter; the container can use every device the host allows";

  test('the deny-all every runc-style bundle carries, with or without allow rules: no writes, a note', () => {
    for (const version of [null] as const) {
      expect(planDeviceWrites([DENY_ALL], version)).toEqual({
        writes: [],
        notEnforced: [note],
      });
      expect(planDeviceWrites(undefined, version)).toEqual({
        writes: [],
        notEnforced: [note],
      });
      expect(planDeviceWrites([DENY_ALL, { allow: true, type: 'c', major: 1, minor: 11, access: 'rwm' }], version)).toEqual({
        writes: [],
        notEnforced: [note],
      });
    }
  });

  test('a rule that denies particular devices is refused: the config asks to withhold them', () => {
    expect(() =>
      planDeviceWrites(
        [
          { allow: true, access: 'rwm' },
          { allow: false, type: 'b', major: 8, minor: 0, access: 'rw' },
        ],
        null,
      ),
    ).toThrow('linux.resources.devices[1]: denies "b 8:0 rw", but this host has neither a cgroup v1 devices controller nor a cgroup v2 hierarchy');
    expect(() => planDeviceWrites([DENY_ALL, { allow: false, type: 'c', major: 1, minor: 9, access: 'w' }], null)).toThrow(
      'linux.resources.devices[1]: denies "c 1:9 w"',
    );
  });

  test('allow-all needs no enforcing: no note', () => {
    expect(planDeviceWrites([{ allow: true, access: 'rwm' }], null)).toEqual({
      writes: [],
      notEnforced: [],
    });
  });

  test('invalid rules are refused whatever the host', () => {
    expect(() => planDeviceWrites([{ allow: true, type: 'c', access: 'x' }], null)).toThrow(
      'linux.resources.devices[0].access: must be a combination of r, w, m, got "x"',
    );
  });
});

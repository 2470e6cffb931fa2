/**
 * The security overrides and docker's defaults as config changes (supervisor/containers/
 * security.ts, docker-defaults.ts, seccomp-default.ts, host-capabilities.ts): pure, no root.
 */
import { defaultSpec } from '../../spec/default-config';
import type { Spec } from '../../spec/types';
import { DOCKER_CAPABILITIES, withDefaultSeccomp, withDockerDefaults } from '../../supervisor/containers/docker-defaults';
import { boundingCapabilities } from '../../supervisor/containers/host-capabilities';
import { defaultSeccompProfile } from '../../supervisor/containers/seccomp-default';
import { applySecurityOverrides, parseSeccompProfile, tweakCapabilities } from '../../supervisor/containers/security';

const ALL = ['CAP_CHOWN', 'CAP_KILL', 'CAP_SYS_ADMIN', 'CAP_NET_RAW'];
const all = () => ALL;
const base = ['CAP_CHOWN', 'CAP_KILL'];

describe("docker's capability arithmetic", () => {
  test.each([
    [[], [], ['CAP_CHOWN', 'CAP_KILL']],
    [['net_raw'], ['KILL'], ['CAP_CHOWN', 'CAP_NET_RAW']],
    [['CAP_KILL'], ['kill'], ['CAP_CHOWN', 'CAP_KILL']],
    [['ALL'], ['CHOWN'], ['CAP_KILL', 'CAP_SYS_ADMIN', 'CAP_NET_RAW']],
    [['NET_RAW'], ['all'], ['CAP_NET_RAW']],
  ])('add %j drop %j: %j', (add, drop, want) => {
    expect(tweakCapabilities(base, add, drop, all)).toEqual(want);
  });

  test('an unknown name is refused naming its field', () => {
    expect(() => tweakCapabilities(base, ['CHOWN', 'FOO'], [], all)).toThrow('overrides.cap_add[1]: unknown capability CAP_FOO');
    expect(() => tweakCapabilities(base, [], ['cap_nope'], all)).toThrow('overrides.cap_drop[0]: unknown capability CAP_NOPE');
  });

  test("the bounding set of a status text; without one, every capability the runtime knows", () => {
    expect(boundingCapabilities('CapInh:\t0000000000000000\nCapBnd:\t0000000000200021\n')).toEqual(['CAP_CHOWN', 'CAP_KILL', 'CAP_SYS_ADMIN']);
    expect(boundingCapabilities('Name: x\n')).toContain('CAP_CHECKPOINT_RESTORE');
  });
});

describe('applySecurityOverrides', () => {
  const spec = (): Spec => withDockerDefaults(defaultSpec(), null);

  test('nothing asked changes nothing', () => {
    const s = spec();
    applySecurityOverrides(s, {}, all);
    expect(s).toEqual(spec());
  });

  test('privileged: every capability, nothing masked or read-only, /sys writable, every device, no seccomp', () => {
    const s = withDefaultSeccomp(spec(), null);
    expect(s.linux!.seccomp).toBeDefined();
    applySecurityOverrides(s, { privileged: true }, all);
    expect(s.process!.capabilities).toEqual({ bounding: ALL, effective: ALL, permitted: ALL });
    expect(s.linux).toMatchObject({ maskedPaths: [], readonlyPaths: [], resources: { devices: [{ allow: true, access: 'rwm' }] } });
    expect(s.linux!.seccomp).toBeUndefined();
    expect(s.mounts!.find((m) => m.destination === '/sys')!.options).not.toContain('ro');
    expect(withDefaultSeccomp(s, { privileged: true }).linux!.seccomp).toBeUndefined();
  });

  test('privileged with a profile given: the profile stays (what is asked for explicitly wins)', () => {
    const s = spec();
    applySecurityOverrides(s, { privileged: true, seccompProfile: '{"defaultAction":"SCMP_ACT_LOG"}' }, all);
    expect(s.linux!.seccomp).toEqual({ defaultAction: 'SCMP_ACT_LOG' });
  });

  test("a bundle's inheritable and ambient sets keep only what is still granted", () => {
    const s = defaultSpec();
    applySecurityOverrides(s, { capDrop: ['KILL'] }, all);
    expect(s.process.capabilities).toEqual({
      bounding: ['CAP_AUDIT_WRITE', 'CAP_NET_BIND_SERVICE'],
      effective: ['CAP_AUDIT_WRITE', 'CAP_NET_BIND_SERVICE'],
      permitted: ['CAP_AUDIT_WRITE', 'CAP_NET_BIND_SERVICE'],
      ambient: ['CAP_AUDIT_WRITE', 'CAP_NET_BIND_SERVICE'],
    });
  });

  test('unconfined removes the profile; no_new_privileges sets it', () => {
    const s = withDefaultSeccomp(spec(), null);
    applySecurityOverrides(s, { seccompProfile: 'unconfined', noNewPrivileges: true }, all);
    expect(s.linux!.seccomp).toBeUndefined();
    expect(s.process!.noNewPrivileges).toBe(true);
  });
});

describe('a seccomp profile given as JSON text', () => {
  test.each([
    ['[1]', 'overrides.seccomp_profile: must be a JSON object (a LinuxSeccomp)'],
    ['{"defaultAction":"SCMP_ACT_ALLOW",', 'overrides.seccomp_profile: not valid JSON'],
    ['{"syscalls":[]}', 'overrides.seccomp_profile: defaultAction: is required'],
    ['{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_VAX"]}', 'overrides.seccomp_profile: architectures[0]'],
    ['{"defaultAction":"SCMP_ACT_ERRNO"}', 'overrides.seccomp_profile: defaultAction: SCMP_ACT_ERRNO applies to execve'],
    ['{"defaultAction":"SCMP_ACT_ALLOW","archMap":[]}', "overrides.seccomp_profile: archMap is docker's profile format, not a LinuxSeccomp"],
    [
      '{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["execve"],"action":"SCMP_ACT_ALLOW"},{"names":["mount"],"action":"SCMP_ACT_ALLOW","includes":{"caps":["CAP_SYS_ADMIN"]}}]}',
      "overrides.seccomp_profile: syscalls[1].includes is docker's profile format",
    ],
  ])('%s is refused: %s', (text, message) => {
    expect(() => parseSeccompProfile(text)).toThrow(message);
  });

  test('a valid one is taken as it is', () => {
    const p = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }] };
    expect(parseSeccompProfile(JSON.stringify(p))).toEqual(p);
  });
});

describe('the default seccomp profile', () => {
  const names = (p: ReturnType<typeof defaultSeccompProfile>, action = 'SCMP_ACT_ALLOW') =>
    new Set(p.syscalls!.filter((s) => s.action === action && !s.args).flatMap((s) => s.names));

  test('an allow list denying the rest with EPERM, for the host architecture and its compat ones', () => {
    const p = defaultSeccompProfile(DOCKER_CAPABILITIES, 'x64');
    expect(p).toMatchObject({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1, architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'] });
    for (const n of ['read', 'execve', 'openat', 'wait4', 'arch_prctl', 'chroot', 'setuid']) expect(names(p)).toContain(n);
    for (const n of ['mount', 'unshare', 'setns', 'keyctl', 'add_key', 'reboot', 'kexec_load', 'init_module', 'bpf', 'io_uring_setup']) expect(names(p)).not.toContain(n);
    expect(defaultSeccompProfile(DOCKER_CAPABILITIES, 'arm64').architectures).toEqual(['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
    expect(names(defaultSeccompProfile(DOCKER_CAPABILITIES, 'arm64'))).not.toContain('arch_prctl');
  });

  test('without CAP_SYS_ADMIN: clone only without namespace flags, clone3 ENOSYS; with it both, and mount, unshare', () => {
    const p = defaultSeccompProfile(DOCKER_CAPABILITIES, 'x64');
    expect(p.syscalls).toContainEqual({ names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0x7e020000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] });
    expect(p.syscalls).toContainEqual({ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 });
    expect(defaultSeccompProfile(DOCKER_CAPABILITIES, 's390x').syscalls).toContainEqual(expect.objectContaining({ names: ['clone'], args: [expect.objectContaining({ index: 1 })] }));
    const admin = defaultSeccompProfile([...DOCKER_CAPABILITIES, 'CAP_SYS_ADMIN'], 'x64');
    for (const n of ['clone', 'clone3', 'mount', 'unshare', 'setns']) expect(names(admin)).toContain(n);
    expect(admin.syscalls!.some((s) => s.names.includes('clone3') && s.action === 'SCMP_ACT_ERRNO')).toBe(false);
  });

  test('personality with the values docker allows only; sockets of every family but AF_VSOCK', () => {
    const p = defaultSeccompProfile(DOCKER_CAPABILITIES, 'x64');
    const personality = p.syscalls!.filter((s) => s.names.includes('personality')).map((s) => s.args![0].value);
    expect(personality).toEqual([0, 8, 0x20000, 0x20008, 0xffffffff]);
    expect(p.syscalls).toContainEqual({ names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 40, op: 'SCMP_CMP_NE' }] });
  });

  test('calls a capability makes safe come with it: dropping CAP_SYS_CHROOT denies chroot', () => {
    expect(names(defaultSeccompProfile(DOCKER_CAPABILITIES.filter((c) => c !== 'CAP_SYS_CHROOT'), 'x64'))).not.toContain('chroot');
    expect(names(defaultSeccompProfile([...DOCKER_CAPABILITIES, 'CAP_SYS_TIME'], 'x64'))).toContain('clock_settime');
  });

  test('is a valid profile the plan builder accepts', () => {
    expect(parseSeccompProfile(JSON.stringify(defaultSeccompProfile(DOCKER_CAPABILITIES, 'x64')))).toBeDefined();
  });
});

describe("docker's defaults on an image config", () => {
  test('TERM=xterm with a terminal unless the image sets TERM; no no_new_privs', () => {
    const s = defaultSpec();
    s.process.env = ['PATH=/bin'];
    expect(withDockerDefaults(s, { terminal: true }).process!.env).toEqual(['PATH=/bin', 'TERM=xterm']);
    expect(withDockerDefaults(s, { terminal: false }).process!.env).toEqual(['PATH=/bin']);
    s.process.env = ['TERM=vt100'];
    expect(withDockerDefaults(s, { terminal: true }).process!.env).toEqual(['TERM=vt100']);
    expect(withDockerDefaults(s, null).process!.noNewPrivileges).toBeUndefined();
  });

  test('the default profile follows the capabilities the overrides left', () => {
    const s = withDockerDefaults(defaultSpec(), null);
    applySecurityOverrides(s, { capAdd: ['SYS_ADMIN'] }, all);
    const names = withDefaultSeccomp(s, { capAdd: ['SYS_ADMIN'] }).linux!.seccomp!.syscalls!.flatMap((x) => x.names);
    expect(names).toContain('mount');
  });
});

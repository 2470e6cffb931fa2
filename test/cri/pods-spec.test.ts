/** The pod sandbox's config and network request from a RunPodSandbox config (pure), and the oom_score_adj rule. */
import type { PodSandboxConfig } from '../../supervisor/api/generated/cri-types';
import { cgroupsPathOf, sandboxName, sandboxPlan, type SandboxSpecOptions, PAUSE_DESTINATION, SANDBOX_OOM_SCORE_ADJ } from '../../supervisor/cri/pods/sandbox-spec';
import { hasSysResource, restrictOomScoreAdj } from '../../supervisor/cri/pods/oom-score';
import { thrownMessage } from './pods-thrown';
import { validateConfig } from '../../spec/validate';
import { TsrunError } from '../../common/errors';
import { SeededRandom } from '../helpers/seeded-choices';

const ID = 'ab'.repeat(32);

function config(o: Partial<PodSandboxConfig> = {}): PodSandboxConfig {
  return {
    metadata: { name: 'cp-web', uid: 'cp-uid-1', namespace: 'cp-ns', attempt: 0 },
    hostname: 'cp-web',
    logDirectory: '/var/log/pods/cp-ns_cp-web_cp-uid-1',
    dnsConfig: null,
    portMappings: [],
    labels: {},
    annotations: {},
    linux: null,
    windows: null,
    ...o,
  };
}

const options = (o: Partial<SandboxSpecOptions> = {}): SandboxSpecOptions => ({
  id: ID,
  pauseBinary: '/opt/tsrun/tsrun-pause',
  network: 'cp-net',
  oomLimits: { current: 0, canLower: false },
  grantable: () => ['CAP_CHOWN', 'CAP_SYS_ADMIN'],
  readFile: () => {
    throw Object.assign(new Error('absent'), { code: 'ENOENT' });
  },
  apparmor: false,
  ...o,
});


const nsTypes = (c: PodSandboxConfig) => sandboxPlan(c, options()).spec.linux!.namespaces!.map((n) => n.type).sort();

describe('sandbox config', () => {
  test('the pause, bind-mounted read-only, is pid 1 in a read-only root with no capabilities', () => {
    const { spec, name } = sandboxPlan(config(), options());
    expect(name).toBe('cp-web_cp-ns_cp-uid-1_0');
    expect(spec.process!.args).toEqual([PAUSE_DESTINATION]);
    expect(spec.mounts).toContainEqual({ destination: PAUSE_DESTINATION, type: 'bind', source: '/opt/tsrun/tsrun-pause', options: ['bind', 'ro', 'nosuid', 'nodev'] });
    expect(spec.root).toEqual({ path: 'rootfs', readonly: true });
    expect(spec.process!.capabilities).toEqual({ bounding: [], effective: [], permitted: [] });
    expect(spec.process!.noNewPrivileges).toBe(true);
    expect(spec.process!.terminal).toBe(false);
    expect(spec.hostname).toBe('cp-web');
    expect(spec.annotations).toMatchObject({ 'io.kubernetes.cri.container-type': 'sandbox', 'io.kubernetes.cri.sandbox-id': ID, 'io.kubernetes.cri.sandbox-name': 'cp-web' });
    // Unconfined unless asked, as containerd's sandboxes.
    expect(spec.linux!.seccomp).toBeUndefined();
  });

  test('its own namespaces by default; the host\'s pid, ipc and network when NODE', () => {
    expect(nsTypes(config())).toEqual(['cgroup', 'ipc', 'mount', 'network', 'pid', 'uts']);
    const host = config({ linux: { cgroupParent: '', sysctls: {}, overhead: null, resources: null, securityContext: sc({ namespaceOptions: { network: 'NODE', pid: 'NODE', ipc: 'NODE', targetId: '', usernsOptions: null } }) } });
    expect(nsTypes(host)).toEqual(['cgroup', 'mount', 'network']);
    const plan = sandboxPlan(host, options());
    expect(plan.overrides.network!.networks).toEqual([{ network: 'host', aliases: [] }]);
    expect(plan.namespaces).toMatchObject({ network: 'NODE', pid: 'NODE', ipc: 'NODE' });
    // The host's name comes with the host's UTS namespace: the config sets none (it would need a uts namespace).
    expect(plan.spec.hostname).toBeUndefined();
  });

  test('network: the CRI network, hostname, DNS and only the mappings with a host port', () => {
    const { overrides } = sandboxPlan(
      config({
        dnsConfig: { servers: ['10.96.0.10'], searches: ['cp-ns.svc.cluster.local'], options: ['ndots:5'] },
        portMappings: [
          { protocol: 'TCP', containerPort: 80, hostPort: 8080, hostIp: '127.0.0.1' },
          { protocol: 'UDP', containerPort: 53, hostPort: 0, hostIp: '' },
        ],
      }),
      options(),
    );
    expect(overrides.network).toEqual({
      networks: [{ network: 'cp-net', aliases: [] }],
      ports: [{ protocol: 'tcp', containerPort: 80, hostPort: 8080, hostIp: '127.0.0.1' }],
      publishAll: false,
      hostname: 'cp-web',
      addHosts: [],
      dns: ['10.96.0.10'],
      dnsSearch: ['cp-ns.svc.cluster.local'],
      dnsOptions: ['ndots:5'],
    });
  });

  test('sysctls, cgroup parent (cgroupfs), user and groups', () => {
    const { spec } = sandboxPlan(
      config({
        linux: {
          cgroupParent: '/kubepods/besteffort/podcp1',
          sysctls: { 'net.ipv4.ip_unprivileged_port_start': '0' },
          overhead: null,
          resources: null,
          securityContext: sc({ runAsUser: { value: 65535 }, runAsGroup: { value: 65534 }, supplementalGroups: [1000, 1001] }),
        },
      }),
      options(),
    );
    expect(spec.linux!.sysctl).toEqual({ 'net.ipv4.ip_unprivileged_port_start': '0' });
    expect(spec.linux!.cgroupsPath).toBe(`/kubepods/besteffort/podcp1/${ID}`);
    expect(spec.process!.user).toEqual({ uid: 65535, gid: 65534, additionalGids: [1000, 1001] });
  });

  test('privileged: every capability tsrund has, nothing masked', () => {
    const { spec } = sandboxPlan(config({ linux: { cgroupParent: '', sysctls: {}, overhead: null, resources: null, securityContext: sc({ privileged: true }) } }), options());
    expect(spec.process!.capabilities!.bounding).toEqual(['CAP_CHOWN', 'CAP_SYS_ADMIN']);
    expect(spec.linux!.maskedPaths).toEqual([]);
    expect(spec.linux!.readonlyPaths).toEqual([]);
  });

  test('seccomp RuntimeDefault is tsrund\'s default profile; a Localhost file that cannot be read is named', () => {
    const withSeccomp = (seccomp: { profileType: 'RuntimeDefault' | 'Localhost'; localhostRef: string }) =>
      config({ linux: { cgroupParent: '', sysctls: {}, overhead: null, resources: null, securityContext: sc({ seccomp }) } });
    expect(sandboxPlan(withSeccomp({ profileType: 'RuntimeDefault', localhostRef: '' }), options()).spec.linux!.seccomp!.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(thrownMessage(() => sandboxPlan(withSeccomp({ profileType: 'Localhost', localhostRef: '/cp/none.json' }), options()))).toBe(
      'config.linux.security_context.seccomp.localhost_ref: cannot read /cp/none.json: ENOENT',
    );
  });

  test('the sandbox\'s oom_score_adj is containerd\'s -998, raised to tsrund\'s own where it may not lower it', () => {
    expect(sandboxPlan(config(), options({ oomLimits: { current: 0, canLower: false } })).spec.process!.oomScoreAdj).toBe(0);
    expect(sandboxPlan(config(), options({ oomLimits: { current: -500, canLower: false } })).spec.process!.oomScoreAdj).toBe(-500);
    expect(sandboxPlan(config(), options({ oomLimits: { current: 0, canLower: true } })).spec.process!.oomScoreAdj).toBe(SANDBOX_OOM_SCORE_ADJ);
  });

  test.each<[string, () => PodSandboxConfig | null, string]>([
    ['no config', () => null, 'config: a PodSandboxConfig is required'],
    ['no metadata', () => config({ metadata: null }), 'config.metadata: is required (name, uid, namespace, attempt)'],
    ['empty name', () => config({ metadata: { name: '', uid: 'u', namespace: 'n', attempt: 0 } }), 'config.metadata.name: must not be empty'],
    ['a slash in the namespace', () => config({ metadata: { name: 'a', uid: 'u', namespace: 'x/y', attempt: 0 } }), 'config.metadata.namespace: "x/y" holds a "/" or a control character'],
    ['bad hostname', () => config({ hostname: 'a b' }), `config.hostname: "a b" is not a host name (letters, digits, '-', '_' and dots between labels)`],
    ['bad DNS server', () => config({ dnsConfig: { servers: ['cp.example'], searches: [], options: [] } }), 'config.dns_config.servers[0]: "cp.example" is not an IP address'],
    ['SCTP port', () => config({ portMappings: [{ protocol: 'SCTP', containerPort: 1, hostPort: 2, hostIp: '' }] }), 'config.port_mappings[0].protocol: SCTP ports are not published by tsrund (TCP or UDP)'],
    [
      'a port twice',
      () =>
        config({
          portMappings: [
            { protocol: 'TCP', containerPort: 1, hostPort: 9000, hostIp: '' },
            { protocol: 'TCP', containerPort: 2, hostPort: 9000, hostIp: '' },
          ],
        }),
      'config.port_mappings[1].host_port: host port 9000/tcp on every address is already published by config.port_mappings[0]',
    ],
    [
      'a systemd slice',
      () => config({ linux: { cgroupParent: 'kubepods-besteffort.slice', sysctls: {}, overhead: null, resources: null, securityContext: null } }),
      'config.linux.cgroup_parent: "kubepods-besteffort.slice" is a systemd slice: tsrund uses the cgroupfs driver (give a path such as /kubepods/pod<uid>)',
    ],
    [
      'a user namespace',
      () => config({ linux: { cgroupParent: '', sysctls: {}, overhead: null, resources: null, securityContext: sc({ namespaceOptions: { network: 'POD', pid: 'POD', ipc: 'POD', targetId: '', usernsOptions: { mode: 'POD', uids: [], gids: [] } } }) } }),
      "config.linux.security_context.namespace_options.userns_options.mode: POD: tsrund runs pods in the host's user namespace only (NODE)",
    ],
    [
      'an AppArmor profile where there is none',
      () => config({ linux: { cgroupParent: '', sysctls: {}, overhead: null, resources: null, securityContext: sc({ apparmor: { profileType: 'Localhost', localhostRef: 'cp' } }) } }),
      'config.linux.security_context.apparmor: profile "cp": AppArmor is not enabled on this host (use RuntimeDefault or Unconfined)',
    ],
    [
      'a uid out of range',
      () => config({ linux: { cgroupParent: '', sysctls: {}, overhead: null, resources: null, securityContext: sc({ runAsUser: { value: -1 } }) } }),
      'config.linux.security_context.run_as_user: -1 is not a uid or gid (0 to 4294967294)',
    ],
  ])('refused: %s', (_what, make, expected) => {
    expect(thrownMessage(() => sandboxPlan(make(), options()))).toBe(expected);
  });

  test('cgroup parents: absolute, no ".."', () => {
    expect(cgroupsPathOf('/kubepods/', 'x')).toBe('/kubepods/x');
    expect(thrownMessage(() => cgroupsPathOf('kubepods', 'x'))).toBe('config.linux.cgroup_parent: "kubepods" must be an absolute cgroup path (cgroupfs driver)');
    expect(thrownMessage(() => cgroupsPathOf('/a/../..', 'x'))).toBe('config.linux.cgroup_parent: "/a/../.." must not hold ".."');
  });

  test('names as containerd makes them', () => {
    expect(sandboxName({ name: 'n', namespace: 'ns', uid: 'u', attempt: 3 })).toBe('n_ns_u_3');
  });
});

describe('hostile configs from a seeded generator', () => {
  /** Mostly a fit value, now and then a hostile one: both outcomes come up. */
  const either = <T>(r: SeededRandom, good: readonly T[], bad: readonly T[]): T => (r.chance(0.9) ? r.pick(good) : r.pick(bad));
  const hostile = ['', 'a b', '-x', 'x'.repeat(70), 'a/b', 'a\u0000b', 'é', '..', '/', 'kube.slice', 'x:y:z'];
  const numbers = [-1, 65536, 2 ** 31, -(2 ** 31), 4294967295];
  const some = <T>(r: SeededRandom, f: () => T) => Array.from({ length: r.int(3) }, f);

  test('each is a valid config or one INVALID_ARGUMENT line naming a config field', () => {
    const r = new SeededRandom(1515);
    const outcomes = { valid: 0, refused: 0 };
    for (let i = 0; i < 400; i++) {
      const word = () => either(r, ['cp', 'web-1'], hostile);
      const c = config({
        metadata: r.chance(0.05) ? null : { name: word(), uid: word(), namespace: word(), attempt: r.int(3) },
        hostname: either(r, ['', 'cp-host'], hostile),
        dnsConfig: r.chance(0.5)
          ? { servers: some(r, () => either(r, ['10.0.0.1', '::1'], hostile)), searches: some(r, () => either(r, ['cp.local'], hostile)), options: some(r, () => either(r, ['ndots:5'], hostile)) }
          : null,
        portMappings: some(r, () => ({
          protocol: either(r, ['TCP', 'UDP'] as const, ['SCTP'] as const),
          containerPort: either(r, [80, 8080], numbers),
          hostPort: either(r, [0, 30000 + r.int(3)], numbers),
          hostIp: either(r, ['', '127.0.0.1'], hostile),
        })),
        linux: {
          cgroupParent: either(r, ['', '/kubepods/cp'], hostile),
          sysctls: Object.fromEntries(some(r, () => [either(r, ['net.ipv4.ip_forward', 'kernel.shm_rmid_forced'], ['a b', '']), '1'])),
          overhead: null,
          resources: null,
          securityContext: sc({
            runAsUser: r.chance(0.5) ? { value: either(r, [0, 1000], numbers) } : null,
            supplementalGroups: some(r, () => either(r, [5, 1000], numbers)),
            privileged: r.chance(0.2),
            namespaceOptions: {
              network: either(r, ['POD', 'NODE'] as const, ['CONTAINER', 'TARGET'] as const),
              pid: either(r, ['POD', 'NODE', 'CONTAINER'] as const, ['TARGET'] as const),
              ipc: either(r, ['POD', 'NODE'] as const, ['CONTAINER'] as const),
              targetId: '',
              usernsOptions: null,
            },
            seccompProfilePath: either(r, ['', 'unconfined', 'runtime/default'], ['localhost/rel', 'bogus']),
          }),
        },
      });
      let plan;
      try {
        plan = sandboxPlan(c, options());
      } catch (err) {
        outcomes.refused++;
        expect(err).toBeInstanceOf(TsrunError);
        expect([i, (err as TsrunError).code]).toEqual([i, 'invalid-argument']);
        expect((err as Error).message).toMatch(/^config(\.[a-z_]+(\[\d+\])?)*: [^\n]+$/);
        continue;
      }
      outcomes.valid++;
      expect([i, validateConfig(plan.spec)]).toEqual([i, []]);
    }
    // The generator reaches both sides.
    expect(outcomes.valid).toBeGreaterThan(10);
    expect(outcomes.refused).toBeGreaterThan(10);
  });
});

describe('oom_score_adj', () => {
  test('below the current value without CAP_SYS_RESOURCE: the current value; otherwise as asked', () => {
    expect(restrictOomScoreAdj(-999, { current: -100, canLower: false })).toBe(-100);
    expect(restrictOomScoreAdj(500, { current: -100, canLower: false })).toBe(500);
    expect(restrictOomScoreAdj(-999, { current: -100, canLower: true })).toBe(-999);
  });

  test('CAP_SYS_RESOURCE read from a status text', () => {
    expect(hasSysResource('CapInh:\t0\nCapEff:\t000001fffeffffff\n')).toBe(false);
    expect(hasSysResource('CapEff:\t000001ffffffffff\n')).toBe(true);
    expect(hasSysResource('no caps')).toBe(false);
  });
});

function sc(o: Partial<NonNullable<NonNullable<PodSandboxConfig['linux']>['securityContext']>>): NonNullable<NonNullable<PodSandboxConfig['linux']>['securityContext']> {
  return {
    namespaceOptions: null,
    selinuxOptions: null,
    runAsUser: null,
    runAsGroup: null,
    readonlyRootfs: false,
    supplementalGroups: [],
    supplementalGroupsPolicy: 'Merge',
    privileged: false,
    seccomp: null,
    apparmor: null,
    seccompProfilePath: '',
    ...o,
  };
}

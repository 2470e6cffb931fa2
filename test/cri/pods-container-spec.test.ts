/** A pod container's tsrund request from a CreateContainer config, and its task's config joined to the pod (pure). */
import type { Spec } from '../../spec/types';
import type { ContainerConfig, NamespaceOption } from '../../supervisor/api/generated/cri-types';
import { containerPlan, podTaskSpec, type PodOfContainer } from '../../supervisor/cri/pods/container-spec';
import { thrownMessage } from './pods-thrown';

const POD_ID = 'cd'.repeat(32);
const ID = 'ef'.repeat(32);
const modes = (o: Partial<NamespaceOption> = {}): NamespaceOption => ({ network: 'POD', pid: 'POD', ipc: 'POD', targetId: '', usernsOptions: null, ...o });
const pod = (o: Partial<PodOfContainer> = {}): PodOfContainer => ({ id: POD_ID, name: 'web_cp-ns_uid_0', logDirectory: '/var/log/pods/cp', namespaces: modes(), cgroupParent: '', shmSource: '/run/cp/shm', ...o });

type Sc = NonNullable<NonNullable<ContainerConfig['linux']>['securityContext']>;
function sc(o: Partial<Sc>): Sc {
  return {
    capabilities: null,
    privileged: false,
    namespaceOptions: null,
    selinuxOptions: null,
    runAsUser: null,
    runAsGroup: null,
    runAsUsername: '',
    readonlyRootfs: false,
    supplementalGroups: [],
    supplementalGroupsPolicy: 'Merge',
    noNewPrivs: false,
    maskedPaths: [],
    readonlyPaths: [],
    seccomp: null,
    apparmor: null,
    apparmorProfile: '',
    seccompProfilePath: '',
    ...o,
  };
}

function config(o: Partial<ContainerConfig> = {}): ContainerConfig {
  return {
    metadata: { name: 'app', attempt: 1 },
    image: { image: 'localhost/cp:1', annotations: {}, userSpecifiedImage: '', runtimeHandler: '', imageRef: '' },
    command: [],
    args: [],
    workingDir: '',
    envs: [],
    mounts: [],
    devices: [],
    labels: {},
    annotations: {},
    logPath: 'app/1.log',
    stdin: false,
    stdinOnce: false,
    tty: false,
    linux: null,
    windows: null,
    CDIDevices: [],
    stopSignal: 'RUNTIME_DEFAULT',
    ...o,
  };
}

const noFile = () => {
  throw Object.assign(new Error('absent'), { code: 'ENOENT' });
};
const plan = (c: ContainerConfig | null, p = pod()) => containerPlan(c, p, ID, noFile);

describe('container request', () => {
  test("command replaces the entrypoint, args the cmd; env, cwd, user, mounts; in the sandbox's network; the log under log_directory", () => {
    const p = plan(
      config({
        command: ['/bin/sh', '-c'],
        args: ['echo hi'],
        workingDir: '/work',
        envs: [{ key: 'A', value: Buffer.from('b=c') }],
        mounts: [{ containerPath: '/data', hostPath: '/srv/cp', readonly: true, selinuxRelabel: true, propagation: 'PROPAGATION_BIDIRECTIONAL', uidMappings: [], gidMappings: [], recursiveReadOnly: false, image: null, imageSubPath: '' }],
        linux: { resources: null, securityContext: sc({ runAsUser: { value: 1000 }, runAsGroup: { value: 2000 }, capabilities: { addCapabilities: ['NET_ADMIN'], dropCapabilities: ['ALL'], addAmbientCapabilities: [] }, readonlyRootfs: true, noNewPrivs: true }) },
        stopSignal: 'SIGINT',
      }),
    );
    expect(p.name).toBe('app_web_cp-ns_uid_0_1');
    expect(p.logPath).toBe('/var/log/pods/cp/app/1.log');
    expect(p.request).toMatchObject({ id: ID, bundle: '', image: 'localhost/cp:1', labels: { 'io.tsrun.cri.kind': 'container', 'io.tsrun.cri.sandbox-id': POD_ID } });
    expect(p.request.overrides).toMatchObject({
      entrypoint: ['/bin/sh', '-c'],
      args: ['echo hi'],
      cwd: '/work',
      env: ['A=b=c'],
      user: '1000:2000',
      // Propagation and relabelling are left alone: a private bind.
      mounts: [{ destination: '/data', type: 'bind', source: '/srv/cp', options: ['rbind', 'rprivate', 'ro'] }],
      network: { networks: [{ network: `container:${POD_ID}`, aliases: [] }] },
      capAdd: ['NET_ADMIN'],
      capDrop: ['ALL'],
      readOnly: true,
      noNewPrivileges: true,
      stopSignal: 'SIGINT',
      // No profile asked for: unconfined, as containerd's.
      seccompProfile: 'unconfined',
    });
  });

  test("the host's network for a pod in it; RuntimeDefault seccomp is tsrund's default", () => {
    const p = plan(config({ linux: { resources: null, securityContext: sc({ seccomp: { profileType: 'RuntimeDefault', localhostRef: '' } }) } }), pod({ namespaces: modes({ network: 'NODE' }) }));
    expect(p.request.overrides!.network!.networks).toEqual([{ network: 'host', aliases: [] }]);
    expect(p.request.overrides!.seccompProfile).toBe('');
  });

  test.each<[string, ContainerConfig | null, string]>([
    ['no config', null, 'config: a ContainerConfig is required'],
    ['no name', config({ metadata: null }), 'config.metadata.name: must not be empty'],
    ['no image', config({ image: null }), 'config.image.image: must not be empty'],
    ['an absolute log path', config({ logPath: '/etc/passwd' }), `config.log_path: "/etc/passwd" must be relative to the sandbox's log_directory`],
    ['a log path out of the directory', config({ logPath: '../x.log' }), `config.log_path: "../x.log" leads out of the sandbox's log_directory`],
    ['a bad env name', config({ envs: [{ key: 'A=B', value: Buffer.from('') }] }), 'config.envs[0].key: "A=B" is not a variable name'],
    ['a group without a user', config({ linux: { resources: null, securityContext: sc({ runAsGroup: { value: 5 } }) } }), 'config.linux.security_context.run_as_group: needs run_as_user or run_as_username'],
    ['an unreadable profile', config({ linux: { resources: null, securityContext: sc({ seccompProfilePath: 'localhost//cp/none.json' }) } }), 'config.linux.security_context.seccomp_profile_path: cannot read /cp/none.json: ENOENT'],
  ])('refused: %s', (_what, c, expected) => {
    expect(thrownMessage(() => plan(c))).toBe(expected);
  });
});

describe("the task's config in the pod", () => {
  const base: Spec = {
    ociVersion: '1.0.2',
    hostname: 'c',
    process: { cwd: '/', args: ['sh'], user: { uid: 0, gid: 0 } },
    linux: { namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'network', path: '/run/netns/p' }, { type: 'uts' }, { type: 'ipc' }] },
  };
  const task = (c: ContainerConfig, p = pod()) => podTaskSpec(base, { id: ID, pausePid: 42, pod: p, config: c, oomLimits: { current: 0, canLower: false } });

  test("joins the pause's ipc and uts namespaces, keeps a pid namespace of its own unless the pod shares one", () => {
    const own = task(config());
    expect(own.linux!.namespaces).toEqual([{ type: 'pid' }, { type: 'mount' }, { type: 'network', path: '/run/netns/p' }, { type: 'ipc', path: '/proc/42/ns/ipc' }, { type: 'uts', path: '/proc/42/ns/uts' }]);
    expect(own.hostname).toBeUndefined();
    const shared = task(config({ linux: { resources: null, securityContext: sc({ namespaceOptions: modes({ pid: 'POD' }) }) } }));
    expect(shared.linux!.namespaces).toContainEqual({ type: 'pid', path: '/proc/42/ns/pid' });
    const host = task(config(), pod({ namespaces: modes({ pid: 'NODE', ipc: 'NODE', network: 'NODE' }) }));
    expect(host.linux!.namespaces!.map((n) => n.type)).toEqual(['mount', 'network']);
    expect(base.linux!.namespaces).toHaveLength(5);
  });

  test('cgroup beside the sandbox under the parent; groups, paths, oom_score_adj clamped', () => {
    const spec = task(
      config({
        linux: {
          resources: { cpuPeriod: 0, cpuQuota: 0, cpuShares: 0, memoryLimitInBytes: 0, oomScoreAdj: -999, cpusetCpus: '', cpusetMems: '', hugepageLimits: [], unified: {}, memorySwapLimitInBytes: 0 },
          securityContext: sc({ supplementalGroups: [7], maskedPaths: ['/proc/cp'], readonlyPaths: ['/sys/cp'] }),
        },
      }),
      pod({ cgroupParent: '/kubepods/podcp' }),
    );
    expect(spec.linux!.cgroupsPath).toBe(`/kubepods/podcp/${ID}`);
    expect(spec.process!.user!.additionalGids).toEqual([7]);
    expect(spec.linux!.maskedPaths).toEqual(['/proc/cp']);
    expect(spec.linux!.readonlyPaths).toEqual(['/sys/cp']);
    expect(spec.process!.oomScoreAdj).toBe(0);
  });
});

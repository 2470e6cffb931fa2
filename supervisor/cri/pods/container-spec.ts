/**
 * A container of a pod as tsrund makes it, from a CreateContainer request: the image container
 * request (tsrund's own: the image's config with the CRI's command, args, working dir, env,
 * user, mounts and security settings as overrides, in the sandbox's network), and, once the
 * sandbox's pause is known, its task's config joined to the pod: the pause's ipc and uts
 * namespaces (and pid namespace for a pod that shares one), its cgroup under the pod's parent,
 * the pod-level settings overrides cannot say. Pure; a bad field is INVALID_ARGUMENT named as
 * the CRI spells it.
 */
import * as path from 'path';
import type { LinuxResources, Spec } from '../../../spec/types';
import type { CreateContainerRequest as TsrundCreateRequest, Mount as ApiMount, ProcessOverrides, Resources } from '../../api/types';
import type { ContainerConfig, LinuxContainerResources, LinuxContainerSecurityContext, NamespaceOption, SecurityProfile } from '../../api/generated/cri-types';
import { EMPTY_OVERRIDES } from '../../containers/overrides';
import { applyResources } from '../../containers/resources';
import { invalidArgument } from '../../shared/errors';
import { restrictOomScoreAdj, type OomScoreLimits } from './oom-score';
import { withPodShm } from './pod-shm';
import { cgroupsPathOf } from './sandbox-spec';

/** Marks a tsrund container as the CRI's (the sandbox's is "sandbox"). */
export const KIND_LABEL = 'io.tsrun.cri.kind';
export const SANDBOX_ID_LABEL = 'io.tsrun.cri.sandbox-id';
const SC = 'config.linux.security_context';

export interface PodOfContainer {
  id: string;
  /** The sandbox's name (containerd names a container name_sandboxname…). */
  name: string;
  logDirectory: string;
  namespaces: NamespaceOption;
  cgroupParent: string;
  /** The pod's /dev/shm on the host (./pod-shm.ts). */
  shmSource: string;
}

export interface ContainerPlan {
  name: string;
  request: TsrundCreateRequest;
  /** The CRI log file (absolute; "" : none asked for, the task's log stays tsrund's own). */
  logPath: string;
}

export function containerPlan(config: ContainerConfig | null, pod: PodOfContainer, id: string, readFile: (file: string) => string): ContainerPlan {
  if (!config) throw invalidArgument('config', 'a ContainerConfig is required');
  if (!config.metadata || config.metadata.name === '') throw invalidArgument('config.metadata.name', 'must not be empty');
  if (/[\x00-\x1f\x7f/]/.test(config.metadata.name)) throw invalidArgument('config.metadata.name', `${JSON.stringify(config.metadata.name)} holds a "/" or a control character`);
  const image = config.image?.image ?? '';
  if (image === '') throw invalidArgument('config.image.image', 'must not be empty');
  const sc = config.linux?.securityContext ?? null;
  const ns = sc?.namespaceOptions ?? null;
  if (ns?.network === 'NODE' && pod.namespaces.network !== 'NODE') throw invalidArgument(`${SC}.namespace_options.network`, "NODE in a pod that is not in the host's network");
  if (ns?.pid === 'TARGET') throw invalidArgument(`${SC}.namespace_options.pid`, 'TARGET (another container\'s pid namespace) is not supported by tsrund yet');
  if (config.logPath !== '' && path.isAbsolute(config.logPath)) throw invalidArgument('config.log_path', `${JSON.stringify(config.logPath)} must be relative to the sandbox's log_directory`);
  if (config.logPath !== '' && pod.logDirectory === '') throw invalidArgument('config.log_path', "the sandbox has no log_directory to put it in");
  const logPath = config.logPath === '' ? '' : path.join(pod.logDirectory, config.logPath);
  if (logPath !== '' && !logPath.startsWith(path.join(pod.logDirectory, '/'))) throw invalidArgument('config.log_path', `${JSON.stringify(config.logPath)} leads out of the sandbox's log_directory`);

  const overrides: ProcessOverrides = {
    ...EMPTY_OVERRIDES,
    entrypoint: [...config.command],
    args: [...config.args],
    cwd: config.workingDir,
    env: config.envs.map((e, i) => {
      if (e.key === '' || e.key.includes('=')) throw invalidArgument(`config.envs[${i}].key`, `${JSON.stringify(e.key)} is not a variable name`);
      return `${e.key}=${Buffer.from(e.value).toString('utf8')}`;
    }),
    user: userOf(sc),
    terminal: config.tty,
    mounts: config.mounts.map(mountOf),
    resources: resourcesOf(config.linux?.resources ?? null),
    network: {
      networks: [{ network: pod.namespaces.network === 'NODE' ? 'host' : `container:${pod.id}`, aliases: [] }],
      ports: [],
      publishAll: false,
      hostname: '',
      addHosts: [],
      dns: [],
      dnsSearch: [],
      dnsOptions: [],
    },
    privileged: sc?.privileged ?? false,
    capAdd: [...(sc?.capabilities?.addCapabilities ?? [])],
    capDrop: [...(sc?.capabilities?.dropCapabilities ?? [])],
    seccompProfile: seccompOf(sc?.seccomp ?? null, sc?.seccompProfilePath ?? '', readFile),
    noNewPrivileges: sc?.noNewPrivs ?? false,
    readOnly: sc?.readonlyRootfs ?? false,
    stopSignal: config.stopSignal === 'RUNTIME_DEFAULT' ? '' : config.stopSignal,
  };
  return {
    name: [config.metadata.name, pod.name, String(config.metadata.attempt)].join('_'),
    request: { id, bundle: '', image, overrides, labels: { [KIND_LABEL]: 'container', [SANDBOX_ID_LABEL]: pod.id } },
    logPath,
  };
}

function userOf(sc: LinuxContainerSecurityContext | null): string {
  if (!sc) return '';
  const group = sc.runAsGroup ? `:${sc.runAsGroup.value}` : '';
  if (sc.runAsUsername !== '') return `${sc.runAsUsername}${group}`;
  if (sc.runAsUser) return `${sc.runAsUser.value}${group}`;
  if (group !== '') throw invalidArgument(`${SC}.run_as_group`, 'needs run_as_user or run_as_username');
  return '';
}

/** A bind mount; propagation and SELinux relabelling are left as they are (private, unlabelled). */
function mountOf(m: ContainerConfig['mounts'][number], i: number): ApiMount {
  const at = `config.mounts[${i}]`;
  if (m.image) throw invalidArgument(`${at}.image`, 'image volumes are not supported by tsrund yet');
  if (!path.isAbsolute(m.containerPath)) throw invalidArgument(`${at}.container_path`, `${JSON.stringify(m.containerPath)} must be an absolute path`);
  if (!path.isAbsolute(m.hostPath)) throw invalidArgument(`${at}.host_path`, `${JSON.stringify(m.hostPath)} must be an absolute path`);
  if (m.uidMappings.length > 0 || m.gidMappings.length > 0) throw invalidArgument(`${at}.uidMappings`, 'id-mapped mounts need a user namespace, which tsrund does not give pods');
  const ro = m.readonly || m.recursiveReadOnly;
  return { destination: m.containerPath, type: 'bind', source: m.hostPath, options: ['rbind', 'rprivate', ro ? 'ro' : 'rw'] };
}

/** The cgroup settings of CRI resources, checked as CreateContainer's are (docker's bounds). */
export function linuxResourcesOf(r: LinuxContainerResources): LinuxResources {
  const spec: Spec = { ociVersion: '' };
  applyResources(spec, resourcesOf(r)!);
  return spec.linux?.resources ?? {};
}

function resourcesOf(r: LinuxContainerResources | null): Resources | null {
  if (!r) return null;
  return { memoryLimit: r.memoryLimitInBytes, cpuShares: r.cpuShares, cpuQuota: r.cpuQuota, cpuPeriod: r.cpuPeriod, pidsLimit: 0, cpusetCpus: r.cpusetCpus, memorySwap: r.memorySwapLimitInBytes };
}

/** The CRI's profile as tsrund's override: "" its default profile, "unconfined", or the file's text. Unset: unconfined, as containerd's. */
function seccompOf(p: SecurityProfile | null, legacy: string, readFile: (file: string) => string): string {
  const field = p ? `${SC}.seccomp.localhost_ref` : `${SC}.seccomp_profile_path`;
  let file: string;
  if (p) {
    if (p.profileType === 'RuntimeDefault') return '';
    if (p.profileType === 'Unconfined') return 'unconfined';
    file = p.localhostRef;
  } else if (legacy === 'runtime/default' || legacy === 'docker/default') {
    return '';
  } else if (legacy === '' || legacy === 'unconfined') {
    return 'unconfined';
  } else if (legacy.startsWith('localhost/')) {
    file = legacy.slice('localhost/'.length);
  } else {
    throw invalidArgument(field, `${JSON.stringify(legacy)} is not a profile (runtime/default, unconfined or localhost/<path>)`);
  }
  if (!path.isAbsolute(file)) throw invalidArgument(field, `${JSON.stringify(file)} must be an absolute path on the node`);
  try {
    return readFile(file);
  } catch (err) {
    throw invalidArgument(field, `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

export interface PodTaskOptions {
  id: string;
  pausePid: number;
  pod: PodOfContainer;
  config: ContainerConfig;
  oomLimits: OomScoreLimits;
}

/**
 * The config a pod's container task runs: its network already set up (the sandbox's namespace),
 * the pause's ipc and uts namespaces joined (the pod's hostname with them), the pause's pid
 * namespace for a pod that shares one; its cgroup beside the sandbox's under the pod's parent;
 * supplemental groups, masked and read-only paths, oom_score_adj (clamped as the sandbox's); the
 * pod's /dev/shm.
 */
export function podTaskSpec(base: Spec, o: PodTaskOptions): Spec {
  const spec: Spec = structuredClone(base);
  const linux = (spec.linux ??= {});
  const sc = o.config.linux?.securityContext ?? null;
  const joined = (type: 'ipc' | 'uts' | 'pid') => ({ type, path: `/proc/${o.pausePid}/ns/${type}` });
  const pid = o.pod.namespaces.pid === 'NODE' ? 'host' : sc?.namespaceOptions?.pid === 'POD' ? 'pod' : 'own';
  const replaced = new Set(['ipc', 'uts', ...(pid === 'own' ? [] : ['pid'])]);
  const kept = (linux.namespaces ?? []).filter((n) => !replaced.has(n.type));
  const added = [];
  if (o.pod.namespaces.ipc !== 'NODE') added.push(joined('ipc'));
  if (o.pod.namespaces.network !== 'NODE') added.push(joined('uts'));
  if (pid === 'pod') added.push(joined('pid'));
  linux.namespaces = [...kept, ...added];
  // A joined (or the host's) UTS namespace has its hostname already.
  delete spec.hostname;
  if (o.pod.cgroupParent !== '') linux.cgroupsPath = cgroupsPathOf(o.pod.cgroupParent, o.id);
  if (sc && sc.supplementalGroups.length > 0 && spec.process?.user) {
    spec.process.user.additionalGids = [...new Set([...(spec.process.user.additionalGids ?? []), ...sc.supplementalGroups])];
  }
  if (sc && sc.maskedPaths.length > 0) linux.maskedPaths = [...sc.maskedPaths];
  if (sc && sc.readonlyPaths.length > 0) linux.readonlyPaths = [...sc.readonlyPaths];
  const oom = o.config.linux?.resources?.oomScoreAdj ?? 0;
  if (spec.process && oom !== 0) spec.process.oomScoreAdj = restrictOomScoreAdj(oom, o.oomLimits);
  // The pod's /dev/shm, unless the container mounts one of its own (as containerd decides).
  if (!o.config.mounts.some((m) => path.normalize(m.containerPath) === '/dev/shm')) spec.mounts = withPodShm(spec.mounts ?? [], o.pod.shmSource);
  return spec;
}

/**
 * A pod sandbox as tsrund runs it, from a RunPodSandbox request: the OCI config of its pause
 * container (the project's pause bind-mounted read-only into a root of its own, pid 1 of the
 * pod's pid namespace unless the pod shares the host's; the network, ipc and uts namespaces the
 * pod's containers join) and the network request the network manager sets up for it (the CRI's
 * network, or the host's; hostname, DNS and the port mappings through portmap). Pure: a bad field
 * is INVALID_ARGUMENT naming it as the CRI spells it, before anything is made.
 */
import * as net from 'net';
import * as path from 'path';
import { defaultSpec } from '../../../spec/default-config';
import { formatIssue, validateConfig } from '../../../spec/validate';
import type { LinuxNamespace, LinuxSeccomp, Spec } from '../../../spec/types';
import type { NetworkOverrides, PortMapping as ApiPortMapping, ProcessOverrides } from '../../api/types';
import type { NamespaceOption, PodSandboxConfig, PodSandboxMetadata, SecurityProfile } from '../../api/generated/cri-types';
import { DOCKER_MASKED_PATHS, DOCKER_READONLY_PATHS } from '../../containers/docker-defaults';
import { EMPTY_OVERRIDES } from '../../containers/overrides';
import { defaultSeccompProfile } from '../../containers/seccomp-default';
import { parseSeccompProfile } from '../../containers/security';
import { checkHostName } from '../../network/etc-files';
import { checkPortMappings } from '../../network/ports';
import { failedPrecondition, invalidArgument } from '../../shared/errors';
import { imageArgs, type ImageConfig } from '../../images/bundle';
import { restrictOomScoreAdj, type OomScoreLimits } from './oom-score';

/** Where the pause binary is mounted in the sandbox's root. */
export const PAUSE_DESTINATION = '/pause';
/** What containerd gives every sandbox: the pause goes last when the node runs out of memory. */
export const SANDBOX_OOM_SCORE_ADJ = -998;
/** What sethostname(2) takes. */
const MAX_HOSTNAME = 64;
/** The OCI annotations containerd's CRI puts on a sandbox's config, for hooks and tools that read them. */
export const CRI_ANNOTATIONS = {
  containerType: 'io.kubernetes.cri.container-type',
  sandboxId: 'io.kubernetes.cri.sandbox-id',
  sandboxName: 'io.kubernetes.cri.sandbox-name',
  sandboxNamespace: 'io.kubernetes.cri.sandbox-namespace',
  sandboxUid: 'io.kubernetes.cri.sandbox-uid',
  sandboxLogDirectory: 'io.kubernetes.cri.sandbox-log-directory',
} as const;

export interface SandboxSpecOptions {
  /** The sandbox's id (64 hex digits), the id of its tsrund container too. */
  id: string;
  /** The pause binary on the host. */
  pauseBinary: string;
  /** The CNI network a pod not in the host's network joins. */
  network: string;
  oomLimits: OomScoreLimits;
  /** Every capability tsrund can grant (a privileged sandbox gets them). */
  grantable: () => readonly string[];
  /** The text of a seccomp profile file (Localhost profiles). */
  readFile: (file: string) => string;
  /** Whether AppArmor is enabled on this host. */
  apparmor: boolean;
}

export interface SandboxPlan {
  /** The name kept unique among sandboxes: name_namespace_uid_attempt, as containerd's. */
  name: string;
  spec: Spec;
  /** The record's overrides: nothing but the network. */
  overrides: ProcessOverrides;
  /** The namespace modes the pod asked for (unset: POD for each), as PodSandboxStatus reports them. */
  namespaces: NamespaceOption;
}

export function sandboxName(m: PodSandboxMetadata): string {
  return [m.name, m.namespace, m.uid, String(m.attempt)].join('_');
}

export function sandboxPlan(config: PodSandboxConfig | null, o: SandboxSpecOptions): SandboxPlan {
  if (!config) throw invalidArgument('config', 'a PodSandboxConfig is required');
  const metadata = checkMetadata(config.metadata);
  const linux = config.linux;
  const sc = linux?.securityContext ?? null;
  const namespaces = namespaceModes(sc?.namespaceOptions ?? null);
  const hostNetwork = namespaces.network === 'NODE';
  if (config.hostname !== '') checkHostName(config.hostname, 'config.hostname', MAX_HOSTNAME);
  const privileged = sc?.privileged ?? false;

  const spec = defaultSpec();
  const proc = spec.process;
  proc.terminal = false;
  proc.args = [PAUSE_DESTINATION];
  proc.env = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'];
  proc.user = {
    uid: checkId(sc?.runAsUser?.value ?? 0, 'config.linux.security_context.run_as_user'),
    gid: checkId(sc?.runAsGroup?.value ?? 0, 'config.linux.security_context.run_as_group'),
    ...(sc && sc.supplementalGroups.length > 0
      ? { additionalGids: sc.supplementalGroups.map((g, i) => checkId(g, `config.linux.security_context.supplemental_groups[${i}]`)) }
      : {}),
  };
  // The pause needs no privilege at all; a privileged pod's sandbox has every one, as its containers may.
  const caps = privileged ? [...o.grantable()] : [];
  proc.capabilities = { bounding: caps, effective: caps, permitted: [...caps] };
  proc.oomScoreAdj = restrictOomScoreAdj(SANDBOX_OOM_SCORE_ADJ, o.oomLimits);
  // In the host's network the pod has the host's UTS namespace and name (kubelet sends the node's name).
  if (hostNetwork) delete (spec as Spec).hostname;
  else spec.hostname = config.hostname;
  spec.mounts.push({ destination: PAUSE_DESTINATION, type: 'bind', source: o.pauseBinary, options: ['bind', 'ro', 'nosuid', 'nodev'] });
  spec.annotations = {
    [CRI_ANNOTATIONS.containerType]: 'sandbox',
    [CRI_ANNOTATIONS.sandboxId]: o.id,
    [CRI_ANNOTATIONS.sandboxName]: metadata.name,
    [CRI_ANNOTATIONS.sandboxNamespace]: metadata.namespace,
    [CRI_ANNOTATIONS.sandboxUid]: metadata.uid,
    [CRI_ANNOTATIONS.sandboxLogDirectory]: config.logDirectory,
  };

  const kinds: LinuxNamespace['type'][] = ['mount', 'network', 'uts', 'cgroup'];
  if (namespaces.pid !== 'NODE') kinds.push('pid');
  if (namespaces.ipc !== 'NODE') kinds.push('ipc');
  // The host's network comes with the host's hostname (the network manager adds no uts namespace then).
  spec.linux.namespaces = kinds.filter((k) => !(hostNetwork && k === 'uts')).map((type) => ({ type }));
  const sysctls = linux?.sysctls ?? {};
  if (Object.keys(sysctls).length > 0) spec.linux.sysctl = { ...sysctls };
  const parent = linux?.cgroupParent ?? '';
  if (parent !== '') spec.linux.cgroupsPath = cgroupsPathOf(parent, o.id);
  if (privileged) {
    spec.linux.maskedPaths = [];
    spec.linux.readonlyPaths = [];
  } else {
    spec.linux.maskedPaths = [...DOCKER_MASKED_PATHS];
    spec.linux.readonlyPaths = [...DOCKER_READONLY_PATHS];
  }
  const seccomp = seccompOf(sc?.seccomp ?? null, sc?.seccompProfilePath ?? '', privileged, caps, o);
  if (seccomp) spec.linux.seccomp = seccomp;
  checkApparmor(sc?.apparmor ?? null, o.apparmor);

  checkSpec(spec);
  return { name: sandboxName(metadata), spec, overrides: { ...EMPTY_OVERRIDES, network: networkOf(config, hostNetwork, o.network) }, namespaces };
}

/**
 * The sandbox's config with its process from `--sandbox-image` instead of the built-in pause:
 * the image's Entrypoint + Cmd, Env (PATH by default) and WorkingDir, over the image's own
 * root; the pod's user, capabilities and everything else as for the pause.
 */
export function withSandboxImage(spec: Spec, name: string, image: ImageConfig): Spec {
  const args = imageArgs(image, null);
  if (args.length === 0) throw failedPrecondition(`--sandbox-image ${name}: the image has no Entrypoint or Cmd to run as the sandbox's process`);
  const env = image.config?.Env ?? [];
  return {
    ...spec,
    process: { ...spec.process, args, env: env.length > 0 ? env : spec.process!.env, cwd: image.config?.WorkingDir || '/' },
    mounts: (spec.mounts ?? []).filter((m) => m.destination !== PAUSE_DESTINATION),
  };
}

/** What the runtime would refuse later (a sysctl not of the pod's namespaces), refused now, named as the CRI's field. */
function checkSpec(spec: Spec): void {
  const issues = validateConfig(spec);
  if (issues.length === 0) return;
  const field = issues[0].path.startsWith('linux.sysctl') ? 'config.linux.sysctls' : 'config';
  throw invalidArgument(field, `the sandbox's config would not be valid: ${issues.map(formatIssue).join('; ')}`);
}

function checkMetadata(m: PodSandboxMetadata | null): PodSandboxMetadata {
  if (!m) throw invalidArgument('config.metadata', 'is required (name, uid, namespace, attempt)');
  for (const key of ['name', 'uid', 'namespace'] as const) {
    if (m[key] === '') throw invalidArgument(`config.metadata.${key}`, 'must not be empty');
    // The name is a file name's part and a line in logs.
    if (/[\x00-\x1f\x7f/]/.test(m[key])) throw invalidArgument(`config.metadata.${key}`, `${JSON.stringify(m[key])} holds a "/" or a control character`);
  }
  return m;
}

function namespaceModes(n: NamespaceOption | null): NamespaceOption {
  const modes: NamespaceOption = { network: n?.network ?? 'POD', pid: n?.pid ?? 'POD', ipc: n?.ipc ?? 'POD', targetId: '', usernsOptions: n?.usernsOptions ?? null };
  const at = 'config.linux.security_context.namespace_options';
  for (const key of ['network', 'ipc'] as const) {
    if (modes[key] !== 'POD' && modes[key] !== 'NODE') throw invalidArgument(`${at}.${key}`, `${modes[key]} is not a mode of a pod's ${key} namespace (POD or NODE)`);
  }
  // A pod's pid mode CONTAINER gives each container its own namespace; the sandbox has one either way.
  if (modes.pid === 'TARGET') throw invalidArgument(`${at}.pid`, 'TARGET names a container: it is a container\'s mode, not a pod\'s');
  if (modes.usernsOptions && modes.usernsOptions.mode !== 'NODE') {
    throw invalidArgument(`${at}.userns_options.mode`, `${modes.usernsOptions.mode}: tsrund runs pods in the host's user namespace only (NODE)`);
  }
  return modes;
}

/** A uid or gid as the kernel takes one (the CRI's are int64). */
function checkId(value: number, field: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 4294967294) throw invalidArgument(field, `${value} is not a uid or gid (0 to 4294967294)`);
  return value;
}

/** The cgroupfs driver's path of the sandbox: its own cgroup under the pod's. */
export function cgroupsPathOf(parent: string, id: string): string {
  const field = 'config.linux.cgroup_parent';
  if (parent.endsWith('.slice') || parent.includes(':')) {
    throw invalidArgument(field, `${JSON.stringify(parent)} is a systemd slice: tsrund uses the cgroupfs driver (give a path such as /kubepods/pod<uid>)`);
  }
  if (!parent.startsWith('/')) throw invalidArgument(field, `${JSON.stringify(parent)} must be an absolute cgroup path (cgroupfs driver)`);
  if (parent.split('/').includes('..')) throw invalidArgument(field, `${JSON.stringify(parent)} must not hold ".."`);
  return path.posix.join(parent, id);
}

/** runtime/default, unconfined, localhost/<path>: the CRI's profile, or the older seccomp_profile_path text. */
function seccompOf(p: SecurityProfile | null, legacy: string, privileged: boolean, caps: string[], o: SandboxSpecOptions): LinuxSeccomp | null {
  const field = p ? 'config.linux.security_context.seccomp' : 'config.linux.security_context.seccomp_profile_path';
  let kind: 'default' | 'unconfined' | 'localhost';
  let file = '';
  if (p) {
    kind = p.profileType === 'RuntimeDefault' ? 'default' : p.profileType === 'Localhost' ? 'localhost' : 'unconfined';
    file = p.localhostRef;
  } else if (legacy === 'runtime/default' || legacy === 'docker/default') {
    kind = 'default';
  } else if (legacy.startsWith('localhost/')) {
    kind = 'localhost';
    file = legacy.slice('localhost/'.length);
  } else if (legacy === '' || legacy === 'unconfined') {
    // containerd's: a sandbox without a profile runs unconfined.
    kind = 'unconfined';
  } else {
    throw invalidArgument(field, `${JSON.stringify(legacy)} is not a profile (runtime/default, unconfined or localhost/<path>)`);
  }
  if (kind === 'unconfined' || (privileged && kind === 'default')) return null;
  if (kind === 'default') return defaultSeccompProfile(caps);
  if (!path.isAbsolute(file)) throw invalidArgument(`${field}${p ? '.localhost_ref' : ''}`, `${JSON.stringify(file)} must be an absolute path on the node`);
  let text: string;
  try {
    text = o.readFile(file);
  } catch (err) {
    throw invalidArgument(`${field}${p ? '.localhost_ref' : ''}`, `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseSeccompProfile(text, `${field} (${file})`);
}

/** The default and unconfined profiles need nothing where AppArmor is absent (containerd's); a named one is refused. */
function checkApparmor(p: SecurityProfile | null, enabled: boolean): void {
  if (p?.profileType !== 'Localhost') return;
  const why = enabled ? 'tsrund does not load AppArmor profiles' : 'AppArmor is not enabled on this host';
  throw invalidArgument('config.linux.security_context.apparmor', `profile ${JSON.stringify(p.localhostRef)}: ${why} (use RuntimeDefault or Unconfined)`);
}

function networkOf(config: PodSandboxConfig, hostNetwork: boolean, network: string): NetworkOverrides {
  const dns = config.dnsConfig ?? { servers: [], searches: [], options: [] };
  dns.servers.forEach((d, i) => {
    if (net.isIP(d) === 0) throw invalidArgument(`config.dns_config.servers[${i}]`, `${JSON.stringify(d)} is not an IP address`);
  });
  dns.searches.forEach((d, i) => checkHostName(d, `config.dns_config.searches[${i}]`));
  const common = { publishAll: false, addHosts: [], dns: [...dns.servers], dnsSearch: [...dns.searches], dnsOptions: [...dns.options] };
  // The host's network has the host's ports: mappings mean nothing there (containerd ignores them too).
  if (hostNetwork) return { ...common, networks: [{ network: 'host', aliases: [] }], ports: [], hostname: '' };
  return { ...common, networks: [{ network, aliases: [] }], ports: portsOf(config), hostname: config.hostname };
}

/** The mappings with a host port, checked as tsrund's own (kubelet lists the others too: they publish nothing). */
function portsOf(config: PodSandboxConfig): ApiPortMapping[] {
  const field = 'config.port_mappings';
  const all = config.portMappings.map((p, i): ApiPortMapping => {
    if (p.protocol === 'SCTP') throw invalidArgument(`${field}[${i}].protocol`, 'SCTP ports are not published by tsrund (TCP or UDP)');
    return { protocol: p.protocol.toLowerCase(), containerPort: p.containerPort, hostPort: Math.max(0, p.hostPort), hostIp: p.hostIp };
  });
  checkPortMappings(all, field);
  return all.filter((p) => p.hostPort > 0);
}

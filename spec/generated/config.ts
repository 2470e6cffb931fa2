/* Generated from spec/schema/config.schema.json by spec/tools/gen-types.js (json-schema-to-typescript): do not edit.
 * Change the schema and run `npm run gen:types`. */

/**
 * Environment variables, each "KEY=value".
 */
export type Env = string[];
export type CapabilityList = string[];
export type LinuxSchedulerPolicy =
  'SCHED_OTHER' | 'SCHED_FIFO' | 'SCHED_RR' | 'SCHED_BATCH' | 'SCHED_ISO' | 'SCHED_IDLE' | 'SCHED_DEADLINE';
export type LinuxSchedulerFlag =
  | 'SCHED_FLAG_RESET_ON_FORK'
  | 'SCHED_FLAG_RECLAIM'
  | 'SCHED_FLAG_DL_OVERRUN'
  | 'SCHED_FLAG_KEEP_POLICY'
  | 'SCHED_FLAG_KEEP_PARAMS'
  | 'SCHED_FLAG_UTIL_CLAMP_MIN'
  | 'SCHED_FLAG_UTIL_CLAMP_MAX';
export type LinuxNamespaceType = 'pid' | 'network' | 'mount' | 'ipc' | 'uts' | 'user' | 'cgroup' | 'time';
/**
 * The spec's four values, plus the recursive spellings runc also accepts.
 */
export type RootfsPropagation =
  'private' | 'shared' | 'slave' | 'unbindable' | 'rprivate' | 'rshared' | 'rslave' | 'runbindable';
export type LinuxSeccompAction =
  | 'SCMP_ACT_KILL'
  | 'SCMP_ACT_KILL_PROCESS'
  | 'SCMP_ACT_KILL_THREAD'
  | 'SCMP_ACT_TRAP'
  | 'SCMP_ACT_ERRNO'
  | 'SCMP_ACT_TRACE'
  | 'SCMP_ACT_ALLOW'
  | 'SCMP_ACT_LOG'
  | 'SCMP_ACT_NOTIFY';
export type Arch =
  | 'SCMP_ARCH_X86'
  | 'SCMP_ARCH_X86_64'
  | 'SCMP_ARCH_X32'
  | 'SCMP_ARCH_ARM'
  | 'SCMP_ARCH_AARCH64'
  | 'SCMP_ARCH_LOONGARCH64'
  | 'SCMP_ARCH_M68K'
  | 'SCMP_ARCH_MIPS'
  | 'SCMP_ARCH_MIPS64'
  | 'SCMP_ARCH_MIPS64N32'
  | 'SCMP_ARCH_MIPSEL'
  | 'SCMP_ARCH_MIPSEL64'
  | 'SCMP_ARCH_MIPSEL64N32'
  | 'SCMP_ARCH_PPC'
  | 'SCMP_ARCH_PPC64'
  | 'SCMP_ARCH_PPC64LE'
  | 'SCMP_ARCH_S390'
  | 'SCMP_ARCH_S390X'
  | 'SCMP_ARCH_SH'
  | 'SCMP_ARCH_SHEB'
  | 'SCMP_ARCH_PARISC'
  | 'SCMP_ARCH_PARISC64'
  | 'SCMP_ARCH_RISCV64';
export type LinuxSeccompFlag =
  | 'SECCOMP_FILTER_FLAG_TSYNC'
  | 'SECCOMP_FILTER_FLAG_LOG'
  | 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'
  | 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV';
export type LinuxSeccompOperator =
  'SCMP_CMP_NE' | 'SCMP_CMP_LT' | 'SCMP_CMP_LE' | 'SCMP_CMP_EQ' | 'SCMP_CMP_GE' | 'SCMP_CMP_GT' | 'SCMP_CMP_MASKED_EQ';
export type MemoryPolicyMode =
  | 'MPOL_DEFAULT'
  | 'MPOL_BIND'
  | 'MPOL_INTERLEAVE'
  | 'MPOL_WEIGHTED_INTERLEAVE'
  | 'MPOL_PREFERRED'
  | 'MPOL_PREFERRED_MANY'
  | 'MPOL_LOCAL';
export type MemoryPolicyFlag = 'MPOL_F_NUMA_BALANCING' | 'MPOL_F_RELATIVE_NODES' | 'MPOL_F_STATIC_NODES';
export type FreeBSDSharingModeNoDisable = 'new' | 'inherit';
export type FreeBSDSharingMode = 'disable' | 'new' | 'inherit';

/**
 * An OCI container configuration (config.json).
 */
export interface Spec {
  /**
   * Version of the runtime spec the bundle complies with.
   */
  ociVersion: string;
  root?: Root;
  mounts?: Mount[];
  process?: Process;
  hostname?: string;
  domainname?: string;
  hooks?: Hooks;
  annotations?: Annotations;
  linux?: Linux;
  windows?: {
    [k: string]: unknown;
  };
  solaris?: {
    [k: string]: unknown;
  };
  vm?: {
    [k: string]: unknown;
  };
  zos?: {
    [k: string]: unknown;
  };
  /**
   * Loose, except for the jail sharing modes.
   */
  freebsd?: {
    jail?: {
      host?: FreeBSDSharingModeNoDisable;
      vnet?: FreeBSDSharingModeNoDisable;
      ip4?: FreeBSDSharingMode;
      ip6?: FreeBSDSharingMode;
      sysvmsg?: FreeBSDSharingMode;
      sysvsem?: FreeBSDSharingMode;
      sysvshm?: FreeBSDSharingMode;
      [k: string]: unknown;
    };
    [k: string]: unknown;
  };
}
/**
 * The container's root filesystem.
 */
export interface Root {
  /**
   * Absolute, or relative to the bundle directory.
   */
  path: string;
  readonly?: boolean;
}
/**
 * A mount made inside the container, in the order listed.
 */
export interface Mount {
  /**
   * Mount point inside the container.
   */
  destination: string;
  /**
   * Device, file or directory (relative to the bundle for bind mounts), or a dummy.
   */
  source?: string;
  /**
   * Filesystem type, as in /proc/filesystems; absent for bind mounts.
   */
  type?: string;
  /**
   * mount(8) options, plus OCI ones such as "rbind", "rro" or "idmap".
   */
  options?: string[];
  /**
   * Makes this an id-mapped mount.
   */
  uidMappings?: LinuxIDMapping[];
  /**
   * Makes this an id-mapped mount.
   */
  gidMappings?: LinuxIDMapping[];
}
/**
 * A range of ids: `size` ids starting at `containerID` in the container map to those starting at `hostID` on the host.
 */
export interface LinuxIDMapping {
  /**
   * A uid or gid: a uint32 except 4294967295, which is (uid_t) -1 to the kernel, meaning leave-unchanged to setresuid(2), setgroups(2) and chown(2).
   */
  containerID: number;
  /**
   * A uid or gid: a uint32 except 4294967295, which is (uid_t) -1 to the kernel, meaning leave-unchanged to setresuid(2), setgroups(2) and chown(2).
   */
  hostID: number;
  size: number;
}
/**
 * The container process.
 */
export interface Process {
  /**
   * Attach a pseudo-terminal to the process.
   */
  terminal?: boolean;
  consoleSize?: Box;
  /**
   * Working directory, an absolute path in the container.
   */
  cwd: string;
  env?: Env;
  /**
   * argv; args[0] is looked up like execvp's file.
   */
  args?: string[];
  /**
   * Windows only.
   */
  commandLine?: string;
  rlimits?: POSIXRlimit[];
  apparmorProfile?: string;
  capabilities?: LinuxCapabilities;
  noNewPrivileges?: boolean;
  oomScoreAdj?: number;
  scheduler?: LinuxScheduler;
  selinuxLabel?: string;
  ioPriority?: LinuxIOPriority;
  execCPUAffinity?: CPUAffinity;
  user?: User;
}
/**
 * Console size in characters.
 */
export interface Box {
  height: number;
  width: number;
}
export interface POSIXRlimit {
  /**
   * An RLIMIT_* resource of getrlimit(2).
   */
  type: string;
  soft: number;
  hard: number;
}
/**
 * Capability sets of the process, names as in capabilities(7).
 */
export interface LinuxCapabilities {
  bounding?: CapabilityList;
  effective?: CapabilityList;
  inheritable?: CapabilityList;
  permitted?: CapabilityList;
  ambient?: CapabilityList;
}
/**
 * sched_setattr(2) settings of the container process.
 */
export interface LinuxScheduler {
  policy: LinuxSchedulerPolicy;
  nice?: number;
  /**
   * Only for SCHED_FIFO and SCHED_RR.
   */
  priority?: number;
  flags?: LinuxSchedulerFlag[];
  /**
   * Nanoseconds; SCHED_DEADLINE only.
   */
  runtime?: number;
  /**
   * Nanoseconds; SCHED_DEADLINE only.
   */
  deadline?: number;
  /**
   * Nanoseconds; SCHED_DEADLINE only.
   */
  period?: number;
}
/**
 * ioprio_set(2) settings of the container process.
 */
export interface LinuxIOPriority {
  class: 'IOPRIO_CLASS_RT' | 'IOPRIO_CLASS_BE' | 'IOPRIO_CLASS_IDLE';
  /**
   * 0 (highest) to 7 (lowest).
   */
  priority?: number;
}
/**
 * CPU affinity of `exec`ed processes: `initial` while the runtime sets them up, `final` once running.
 */
export interface CPUAffinity {
  initial?: string;
  final?: string;
}
export interface User {
  /**
   * A uid or gid: a uint32 except 4294967295, which is (uid_t) -1 to the kernel, meaning leave-unchanged to setresuid(2), setgroups(2) and chown(2).
   */
  uid?: number;
  /**
   * A uid or gid: a uint32 except 4294967295, which is (uid_t) -1 to the kernel, meaning leave-unchanged to setresuid(2), setgroups(2) and chown(2).
   */
  gid?: number;
  umask?: number;
  /**
   * Items: A uid or gid: a uint32 except 4294967295, which is (uid_t) -1 to the kernel, meaning leave-unchanged to setresuid(2), setgroups(2) and chown(2).
   */
  additionalGids?: number[];
  /**
   * Windows only.
   */
  username?: string;
}
export interface Hooks {
  /**
   * Deprecated: run in the runtime namespace after the container is created, before pivot_root.
   */
  prestart?: Hook[];
  /**
   * Run in the runtime namespace during create, after the environment is created.
   */
  createRuntime?: Hook[];
  /**
   * Run in the container namespace during create, before pivot_root.
   */
  createContainer?: Hook[];
  /**
   * Run in the container namespace during start, before the user process.
   */
  startContainer?: Hook[];
  /**
   * Run in the runtime namespace after the user process started.
   */
  poststart?: Hook[];
  /**
   * Run in the runtime namespace after the container is deleted.
   */
  poststop?: Hook[];
}
/**
 * A program the runtime runs at a point of the container lifecycle, with the container state on its stdin.
 */
export interface Hook {
  /**
   * Absolute path of the executable, in the runtime namespace.
   */
  path: string;
  /**
   * argv, including argv[0].
   */
  args?: string[];
  env?: Env;
  /**
   * Seconds before the hook is aborted.
   */
  timeout?: number;
}
/**
 * Arbitrary metadata; keys are non-empty, preferably in reverse domain notation.
 */
export interface Annotations {
  [k: string]: string;
}
/**
 * Linux-specific configuration.
 */
export interface Linux {
  namespaces?: LinuxNamespace[];
  uidMappings?: LinuxIDMapping[];
  gidMappings?: LinuxIDMapping[];
  /**
   * Clock offsets of a new time namespace.
   */
  timeOffsets?: {
    boottime?: LinuxTimeOffset;
    monotonic?: LinuxTimeOffset;
  };
  /**
   * Device nodes to create in the container.
   */
  devices?: LinuxDevice[];
  /**
   * Host network devices to move into the container's network namespace, keyed by their host name.
   */
  netDevices?: {
    [k: string]: LinuxNetDevice;
  };
  cgroupsPath?: string;
  resources?: LinuxResources;
  rootfsPropagation?: RootfsPropagation;
  seccomp?: LinuxSeccomp;
  sysctl?: {
    [k: string]: string;
  };
  /**
   * Paths made unreadable in the container.
   */
  maskedPaths?: string[];
  /**
   * Paths made read-only in the container.
   */
  readonlyPaths?: string[];
  /**
   * SELinux context of the container's mounts.
   */
  mountLabel?: string;
  intelRdt?: LinuxIntelRdt;
  memoryPolicy?: LinuxMemoryPolicy;
  personality?: LinuxPersonality;
}
export interface LinuxNamespace {
  type: LinuxNamespaceType;
  /**
   * Join this namespace instead of creating one.
   */
  path?: string;
}
export interface LinuxTimeOffset {
  secs?: number;
  nanosecs?: number;
}
export interface LinuxDevice {
  type: 'c' | 'b' | 'u' | 'p';
  path: string;
  major?: number;
  minor?: number;
  /**
   * Mode of the node; only the permission bits (0o7777) are used. Engines such as podman pass the full st_mode, type bits included, as runc accepts.
   */
  fileMode?: number;
  /**
   * A uid or gid: a uint32 except 4294967295, which is (uid_t) -1 to the kernel, meaning leave-unchanged to setresuid(2), setgroups(2) and chown(2).
   */
  uid?: number;
  /**
   * A uid or gid: a uint32 except 4294967295, which is (uid_t) -1 to the kernel, meaning leave-unchanged to setresuid(2), setgroups(2) and chown(2).
   */
  gid?: number;
}
export interface LinuxNetDevice {
  /**
   * Name inside the container; defaults to the host name.
   */
  name?: string;
}
/**
 * cgroup settings.
 */
export interface LinuxResources {
  /**
   * Device access rules, applied in order.
   */
  devices?: LinuxDeviceCgroup[];
  memory?: LinuxMemory;
  cpu?: LinuxCPU;
  pids?: LinuxPids;
  blockIO?: LinuxBlockIO;
  hugepageLimits?: LinuxHugepageLimit[];
  network?: LinuxNetwork;
  /**
   * Keyed by RDMA device name.
   */
  rdma?: {
    [k: string]: LinuxRdma;
  };
  /**
   * cgroup v2 files and their contents.
   */
  unified?: {
    [k: string]: string;
  };
}
export interface LinuxDeviceCgroup {
  allow: boolean;
  /**
   * Absent means all ("a").
   */
  type?: 'a' | 'b' | 'c';
  major?: number;
  minor?: number;
  access?: string;
}
/**
 * Byte limits; -1 means unlimited.
 */
export interface LinuxMemory {
  limit?: number;
  reservation?: number;
  /**
   * Memory plus swap.
   */
  swap?: number;
  /**
   * Not recommended.
   */
  kernel?: number;
  /**
   * Not recommended.
   */
  kernelTCP?: number;
  swappiness?: number;
  disableOOMKiller?: boolean;
  useHierarchy?: boolean;
  checkBeforeUpdate?: boolean;
}
export interface LinuxCPU {
  shares?: number;
  /**
   * Microseconds per period.
   */
  quota?: number;
  /**
   * Microseconds; at most a positive quota.
   */
  burst?: number;
  /**
   * Microseconds.
   */
  period?: number;
  realtimeRuntime?: number;
  realtimePeriod?: number;
  /**
   * CPU list such as "0-3,7".
   */
  cpus?: string;
  /**
   * Memory node list such as "0-3,7".
   */
  mems?: string;
  /**
   * 1 makes the cgroup SCHED_IDLE.
   */
  idle?: number;
}
export interface LinuxPids {
  /**
   * Maximum number of tasks; 0 or less means no limit.
   */
  limit: number;
}
export interface LinuxBlockIO {
  weight?: number;
  leafWeight?: number;
  weightDevice?: LinuxWeightDevice[];
  throttleReadBpsDevice?: LinuxThrottleDevice[];
  throttleWriteBpsDevice?: LinuxThrottleDevice[];
  throttleReadIOPSDevice?: LinuxThrottleDevice[];
  throttleWriteIOPSDevice?: LinuxThrottleDevice[];
}
export interface LinuxWeightDevice {
  major: number;
  minor: number;
  weight?: number;
  leafWeight?: number;
}
export interface LinuxThrottleDevice {
  major: number;
  minor: number;
  /**
   * Bytes or IO operations per second.
   */
  rate: number;
}
export interface LinuxHugepageLimit {
  pageSize: string;
  /**
   * Bytes.
   */
  limit: number;
}
export interface LinuxNetwork {
  classID?: number;
  priorities?: LinuxInterfacePriority[];
}
export interface LinuxInterfacePriority {
  name: string;
  priority: number;
}
export interface LinuxRdma {
  hcaHandles?: number;
  hcaObjects?: number;
}
export interface LinuxSeccomp {
  defaultAction: LinuxSeccompAction;
  /**
   * Only with SCMP_ACT_ERRNO or SCMP_ACT_TRACE; EPERM when absent.
   */
  defaultErrnoRet?: number;
  architectures?: Arch[];
  flags?: LinuxSeccompFlag[];
  /**
   * Unix socket that receives the seccomp notify fd.
   */
  listenerPath?: string;
  /**
   * Opaque data for the seccomp agent; needs listenerPath.
   */
  listenerMetadata?: string;
  syscalls?: LinuxSyscall[];
}
export interface LinuxSyscall {
  /**
   * @minItems 1
   */
  names: [string, ...string[]];
  action: LinuxSeccompAction;
  /**
   * Only with SCMP_ACT_ERRNO or SCMP_ACT_TRACE; EPERM when absent.
   */
  errnoRet?: number;
  args?: LinuxSeccompArg[];
}
export interface LinuxSeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: LinuxSeccompOperator;
}
/**
 * Intel RDT (resctrl) class of service of the container.
 */
export interface LinuxIntelRdt {
  /**
   * resctrl group name; defaults to the container id.
   */
  closID?: string;
  /**
   * Lines written to the group's schemata file, after l3CacheSchema and memBwSchema.
   */
  schemata?: string[];
  l3CacheSchema?: string;
  memBwSchema?: string;
  enableMonitoring?: boolean;
}
/**
 * NUMA memory policy of the container process (set_mempolicy(2)).
 */
export interface LinuxMemoryPolicy {
  mode: MemoryPolicyMode;
  /**
   * Node list such as "0-3,7".
   */
  nodes?: string;
  flags?: MemoryPolicyFlag[];
}
export interface LinuxPersonality {
  domain: 'LINUX' | 'LINUX32';
  /**
   * No flag is defined yet.
   */
  flags?: string[];
}

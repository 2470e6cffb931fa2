/**
 * The init plan: everything the C executor (native/) does to turn a cloned process into a
 * container, decided in advance by TypeScript (runtime/plan/build.ts) and executed step by step
 * with raw system calls. The C side makes no decision a plan could have made.
 *
 * Four processes take part, each with its own list of steps:
 *
 *   parent (the caller: tsrun, or the tsrund monitor)
 *     └─ stage1   joins namespaces by path, unshares the time namespace, then clones init
 *                 with `cloneFlags` and CLONE_PARENT (so init is the parent's child) and exits
 *         init    waits until the parent has run `parent` steps (cgroup membership, id maps),
 *                 runs `init` steps, then `exec`.
 *
 * All numbers are Linux ABI values (runtime/plan/linux.ts); all paths are absolute unless a
 * step says it resolves inside the container root (`inRoot`), in which case the C side resolves
 * it beneath the directory opened by the last `openRoot` step without ever leaving it
 * (openat2 RESOLVE_IN_ROOT), creating missing components when asked.
 *
 * A failure anywhere is reported as { phase, step, errno, detail }; TypeScript renders it from
 * the step it names (runtime/plan/render-failure.ts), so the steps carry everything a message needs.
 *
 * The plan itself, its records and its step kinds are defined once, in the contract table
 * runtime/plan/contract/steps.json, from which their types (re-exported here), the encoder and
 * the C decoder are generated.
 */

export * from './contract/generated/steps';
import type { NetAddress } from './contract/generated/steps';

export type Phase = 'stage1' | 'parent' | 'init' | 'exec';

/** What the executor reports when a step fails: runtime/plan/failure-record.ts. */
export type { FailureReason, PlanFailure } from './failure-record';

// ---------------------------------------------------------------------------------------------
// What the plan builder needs besides config.json: facts of the host and of this invocation,
// gathered by the caller (side effects at the edges) so that building stays a pure function.

export interface PlanContext {
  /** Absolute bundle directory (relative mount sources resolve against it). */
  bundle: string;
  /** The container's id, for the state hooks read (needed when the config has hooks). */
  containerId?: string;
  /** Absolute root filesystem path (root.path resolved against the bundle). */
  rootfs: string;
  /** The container's state directory; the exec fifo lives there when `withFifo`. */
  stateDir: string;
  /** `create` waits for `start` through the exec fifo; false runs straight to execve. */
  withFifo: boolean;
  noPivot: boolean;
  /** --no-new-keyring: the container keeps the caller's session keyring. Missing: false. */
  noNewKeyring?: boolean;
  /** Extra fds (3 .. 3+n-1) that the container inherits (--preserve-fds). */
  preserveFds: number;
  /** /proc/sys/kernel/cap_last_cap of the host. */
  lastCap: number;
  /** RLIMIT_NOFILE as tsrun was started with (Node raises the soft limit at start-up). */
  inheritedNofile: { soft: string; hard: string } | null;
  cgroup: CgroupPlacement;
  /** The kernel clones a process into a cgroup v2 directory (clone3's CLONE_INTO_CGROUP, Linux 5.7). Missing: it does not. */
  cloneIntoCgroup?: boolean;
  /**
   * Bind mount sources (absolute host paths, as bindMountSources() in runtime/plan/mounts.ts
   * lists them) that are not directories: their targets are created as files. Missing: every
   * bind target is created as a directory.
   */
  nonDirectoryBindSources?: readonly string[];
  /** The host's security modules and resctrl. Missing: the host has none of them. */
  security?: SecurityFacts;
  /**
   * The fd of a connected console socket the terminal of `process.terminal` is sent to
   * (`--console-socket`, or the pair of a foreground run). Missing or null: no terminal.
   */
  consoleSocket?: number | null;
  /**
   * An overlay mounted onto `rootfs` as the first mount of the new mount namespace (an image's
   * snapshot, supervisor/snapshots). Missing or null: `rootfs` is used as it is.
   */
  rootfsMount?: RootfsOverlay | null;
  /** The host has /proc/kcore: runc links /dev/core to it only then. Missing: it has not. */
  hostHasKcore?: boolean;
  /**
   * The host interfaces linux.netDevices names, as runtime/net read them. Missing: not read
   * (a config with netDevices is then refused).
   */
  netDevices?: HostNetDevices;
}

/** What the host shows of the interfaces of linux.netDevices. */
export interface HostNetDevices {
  /** Per key of linux.netDevices: the host interface of that name, or null when there is none. */
  interfaces: Record<string, HostInterface | null>;
  /** The network namespace the config joins by path is the runtime's own (the host's). */
  joinsHostNetns: boolean;
}

export interface HostInterface {
  /** Every address of the interface, with what decides whether it moves along. */
  addresses: HostAddress[];
}

export interface HostAddress extends NetAddress {
  /** ifa_scope: "global" (RT_SCOPE_UNIVERSE), "link", "host", ... as `ip` names them. */
  scope: string;
  /** IFA_F_PERMANENT: configured, not learned (SLAAC, DHCP with lifetimes). */
  permanent: boolean;
}

/** An overlay root file system: read-only layers under the container's own writable dir. */
export interface RootfsOverlay {
  /**
   * The directory init changes into before the mount: `lower` paths are relative to it, so
   * that many layers fit in the one page (4096 bytes) of mount options.
   */
  layersDir: string;
  /** Layer directories relative to `layersDir`, top-most first. */
  lower: string[];
  /** Absolute upper and work directories, on the same file system. */
  upper: string;
  work: string;
}

/** What the host offers for process.apparmorProfile, process.selinuxLabel, linux.mountLabel, linux.intelRdt. */
export interface SecurityFacts {
  /** The file an AppArmor exec profile is written to; null when AppArmor is not enabled. */
  apparmorExecAttr: string | null;
  /** SELinux is enabled (selinuxfs is mounted). */
  selinux: boolean;
  /** A resctrl filesystem is mounted. */
  resctrl: boolean;
}

/** Where the container's cgroups are, as the cgroup manager (runtime/cgroups) created them. */
export interface CgroupPlacement {
  /** cgroup.procs files init's pid is written to by the parent, one per hierarchy. */
  procsFiles: string[];
  /** Each hierarchy, for a `cgroup` mount inside the container. */
  hierarchies: CgroupHierarchy[];
}

export interface CgroupHierarchy {
  version: 1 | 2;
  /** Mount point on the host, e.g. /sys/fs/cgroup/memory or /sys/fs/cgroup/unified. */
  mountpoint: string;
  /** Controllers as in the mount options: "memory", "cpu,cpuacct", "name=systemd"; "" for v2. */
  controllers: string;
  /** The container's cgroup path inside that hierarchy, e.g. /tsrun/abc (absolute, from its root). */
  path: string;
}

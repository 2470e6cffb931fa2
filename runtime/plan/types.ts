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
 */

export interface InitPlan {
  /** Run by the intermediate process, in order, before it clones init. */
  stage1: Stage1Step[];
  /** CLONE_NEW* flags for the clone of init (never CLONE_NEWCGROUP/CLONE_NEWTIME: see steps). */
  cloneFlags: number;
  /** Run by the parent once init's pid is known, before init may continue. */
  parent: ParentStep[];
  /** Run by init, in order. */
  init: InitStep[];
  /** The last act of init. */
  exec: ExecSpec;
}

export type Phase = 'stage1' | 'parent' | 'init' | 'exec';

// ---------------------------------------------------------------------------------------------
// stage1

/** setns() into the namespace at `path`. All paths are opened before the first setns. */
export interface SetnsStep {
  op: 'setns';
  /** One CLONE_NEW* value: the kind of namespace the file must be. */
  nstype: number;
  path: string;
}

/** unshare() in stage1; used for CLONE_NEWTIME, which only affects children. */
export interface UnshareStep {
  op: 'unshare';
  flags: number;
}

/** Write `data` to the file at `path` (O_WRONLY, no create), e.g. /proc/self/timens_offsets. */
export interface WriteFileStep {
  op: 'writeFile';
  path: string;
  data: string;
  /** The config field the write carries out (`linux.sysctl["net.ipv4.ip_forward"]`), for messages; not sent to C. */
  purpose?: string;
}

/**
 * sched_setaffinity(2) of the process itself to exactly `cpus` (process.execCPUAffinity): in
 * stage1 the CPUs the process runs on until it joins the container's cgroups (`initial`, init
 * inherits them), in init those after (`final`). The executor fails the step with EINVAL when
 * the kernel leaves out a CPU of the list (one the host lacks, offline, or outside the cpuset).
 */
export interface SetAffinityStep {
  op: 'setAffinity';
  /** CPU numbers, ascending, each below MAX_AFFINITY_CPUS (runtime/plan/cpu-affinity.ts). */
  cpus: number[];
  /** The config field (`process.execCPUAffinity.final`), for messages; not sent to C. */
  purpose?: string;
}

export type Stage1Step = SetnsStep | UnshareStep | WriteFileStep | SetAffinityStep;

// ---------------------------------------------------------------------------------------------
// parent

/** Write init's pid (decimal, as seen by the parent) to `path`, e.g. a cgroup.procs file. */
export interface WritePidStep {
  op: 'writePid';
  path: string;
}

/** Write `data` to /proc/<init pid>/<name>: uid_map, gid_map, setgroups. */
export interface WriteProcFileStep {
  op: 'writeProcFile';
  name: 'uid_map' | 'gid_map' | 'setgroups';
  data: string;
}

/**
 * Move the host network interface `name` into init's network namespace under `newName`, in one
 * RTM_NEWLINK (IFLA_NET_NS_PID = init's pid, IFLA_IFNAME = newName) so the name is never taken
 * twice. The kernel takes the interface down and drops its addresses on the way
 * (configureNetDevice puts them back).
 */
export interface MoveNetDeviceStep {
  op: 'moveNetDevice';
  name: string;
  newName: string;
  /** The config field the move carries out (`linux.netDevices["eth1"]`), for messages; not sent to C. */
  purpose?: string;
}

export type ParentStep = WritePidStep | WriteProcFileStep | MoveNetDeviceStep;

// ---------------------------------------------------------------------------------------------
// init

/** In a new user namespace: setresgid(0,0,0) and setresuid(0,0,0) once the maps are written. */
export interface BecomeRootStep {
  op: 'becomeRoot';
}

/** Open `path` (an absolute host path) as the root beneath which `inRoot` paths resolve. */
export interface OpenRootStep {
  op: 'openRoot';
  path: string;
}

/**
 * mount(2). `target` is absolute, or relative to the open root when `inRoot`.
 * `create` makes the target first when missing (with parents): a directory, or an empty file
 * (for binds of non-directories). `ignoreMissing` turns ENOENT on the target or the source into
 * a skipped step (readonlyPaths of paths the rootfs lacks).
 * Whatever the step, a target inside the root that resolves to the root itself is refused
 * (a symlink to "/" or ".."): no mount ever covers the container's root.
 * For a flags value holding MS_BIND|MS_REMOUNT the executor adds the flags the kernel locks on
 * that mount (nodev, nosuid, noexec, rdonly, atime flags as found by statfs), as it must inside
 * a user namespace.
 */
export interface MountStep {
  op: 'mount';
  source: string | null;
  target: string;
  inRoot: boolean;
  fstype: string | null;
  flags: number;
  data: string | null;
  create: 'none' | 'dir' | 'file';
  ignoreMissing: boolean;
  /**
   * tmpcopyup (a tmpfs inside the root): the target directory is opened before the mount and
   * its tree copied into the new mount (modes, owners, mtimes, symlinks, device nodes, fifos;
   * hard links become copies, as in runc and crun). Missing: false.
   */
  copyUp?: boolean;
  /**
   * The target, when it exists, must be a directory itself, not a symlink to one nor anything
   * else (proc and sysfs, as runc: a link there would put them elsewhere, over the root even).
   * Missing: false.
   */
  directoryOnly?: boolean;
  /**
   * An id-mapped bind mount (options "idmap"/"ridmap" with mounts[].uidMappings/gidMappings):
   * the source is cloned detached (open_tree), given the mapping of a user namespace made for
   * it (mount_setattr MOUNT_ATTR_IDMAP) and moved onto the target. `uidMap`/`gidMap` are the
   * uid_map/gid_map text of that namespace ("containerID hostID size\n" per mapping);
   * `recursive` maps every mount of the bound tree, not only its top. Only for binds with inRoot.
   */
  idmap?: { uidMap: string; gidMap: string; recursive: boolean };
}

/**
 * mount_setattr(2) with AT_RECURSIVE on the mount at `target` and every mount below it: the
 * recursive mount options (rro, rnosuid, ratime, ...). `target` is resolved as a MountStep's
 * (inside the open root when `inRoot`), and must be a mount point.
 */
export interface MountSetattrStep {
  op: 'mountSetattr';
  target: string;
  inRoot: boolean;
  /** MOUNT_ATTR_* bits to set and to clear (struct mount_attr attr_set, attr_clr). */
  attrSet: number;
  attrClr: number;
}

/** mknod inside the root (replaces nothing: EEXIST is an error unless `ignoreExisting`). */
export interface MknodStep {
  op: 'mknod';
  target: string;
  /** S_IFCHR/S_IFBLK/S_IFIFO | permission bits. */
  mode: number;
  major: number;
  minor: number;
  uid: number;
  gid: number;
}

export interface SymlinkStep {
  op: 'symlink';
  /** The link to create, inside the root. */
  target: string;
  /** What it points to (written verbatim). */
  linkTo: string;
  /** An existing entry at `target` is left as it is. */
  ignoreExisting: boolean;
}

export interface MkdirStep {
  op: 'mkdir';
  /** Inside the root, created with parents; an existing directory is fine. */
  target: string;
  mode: number;
}

/** pivot_root into the open root, then detach the old root. Paths after it are plain. */
export interface PivotRootStep {
  op: 'pivotRoot';
}

/** --no-pivot: MS_MOVE the open root onto / and chroot into it. */
export interface MoveRootStep {
  op: 'moveRoot';
}

/**
 * No mount namespace of the container's own (none, or one joined by path): chroot into the open
 * root. pivot_root and MS_MOVE would change the root of every process of a namespace that is
 * not the container's.
 */
export interface ChrootRootStep {
  op: 'chrootRoot';
}

/**
 * Mask `path` (after the root change): a directory gets a read-only empty tmpfs, anything else
 * gets /dev/null bound over it. A missing path is skipped.
 */
export interface MaskPathStep {
  op: 'maskPath';
  path: string;
}

export interface SethostnameStep {
  op: 'sethostname';
  name: string;
}

export interface SetdomainnameStep {
  op: 'setdomainname';
  name: string;
}

export interface SetrlimitStep {
  op: 'setrlimit';
  resource: number;
  /** Limits as decimal strings: u64 does not fit in a JS number; "18446744073709551615" is unlimited. */
  soft: string;
  hard: string;
}

/**
 * A limit of process.rlimits as ExecSpec.rlimits carries it: set after READY, where a failure
 * cannot travel as a PlanFailure, so the step holds the line init writes on its stderr before
 * the errno (rendered by render-failure.ts when the plan is built).
 */
export interface ExecRlimit extends SetrlimitStep {
  /** E.g. "setrlimit RLIMIT_NOFILE (soft 0, hard 1024) of process.rlimits[0]". */
  message: string;
}

export interface ChdirStep {
  op: 'chdir';
  path: string;
}

export interface UmaskStep {
  op: 'umask';
  mask: number;
}

/** Drop from the bounding set every capability 0..lastCap whose bit is not in `keep`. */
export interface DropBoundingStep {
  op: 'dropBounding';
  /** Bit mask as a decimal string (capability numbers reach beyond 32). */
  keep: string;
  lastCap: number;
}

/**
 * Switch credentials keeping capabilities across the uid change (PR_SET_KEEPCAPS):
 * setgroups(additionalGids), setresgid(gid), setresuid(uid).
 */
export interface SetUserStep {
  op: 'setUser';
  uid: number;
  gid: number;
  additionalGids: number[];
  /** false inside a user namespace whose setgroups is denied: skip setgroups(). */
  setgroups: boolean;
}

/** capset() the three sets, then raise each ambient capability. Masks are decimal strings. */
export interface SetCapsStep {
  op: 'setCaps';
  effective: string;
  permitted: string;
  inheritable: string;
  ambient: string;
}

export interface NoNewPrivsStep {
  op: 'noNewPrivs';
}

/**
 * Load a seccomp filter: seccomp(SECCOMP_SET_MODE_FILTER, flags). The parent compiles this
 * description to BPF with libseccomp before any clone; init only loads the result. Values are
 * libseccomp's ABI (SCMP_ACT_*, SCMP_ARCH_*, SCMP_CMP_*). A plan holds at most one.
 */
export interface SeccompStep {
  op: 'seccomp';
  /** SCMP_ACT_* of a syscall no rule matches, errno or trace value folded in. */
  defaultAction: number;
  /** SCMP_ARCH_* values added besides the native one. */
  architectures: number[];
  /** SECCOMP_FILTER_FLAG_* bits passed to seccomp(2). */
  flags: number;
  rules: SeccompRule[];
  /**
   * The seccomp agent of SCMP_ACT_NOTIFY rules (linux.seccomp.listenerPath), with
   * SECCOMP_FILTER_FLAG_NEW_LISTENER in `flags`. Only on an init step: right after loading the
   * filter, init passes the notify fd to the parent over the sync socket (SCM_RIGHTS) and waits;
   * the parent connects to `path`, sends the containerProcessState document with the fd, closes
   * its copy and lets init go on (or kills init when the agent cannot be reached).
   */
  listener?: SeccompListener | null;
}

export interface SeccompListener {
  /** The agent's unix stream socket. */
  path: string;
  /**
   * The containerProcessState document (runtime.md) cut where the pid of the process that
   * loaded the filter goes, as the parent sees it: the document is `stateParts.join(pid)`.
   */
  stateParts: string[];
}

/** One libseccomp rule; all its conditions must hold. */
export interface SeccompRule {
  /** A syscall name; one libseccomp does not know is skipped (the kernel may predate it). */
  syscall: string;
  action: number;
  conditions: SeccompCondition[];
}

export interface SeccompCondition {
  /** Argument index, 0..5. */
  index: number;
  /** SCMP_CMP_*: 1 NE, 2 LT, 3 LE, 4 EQ, 5 GE, 6 GT, 7 MASKED_EQ. */
  op: number;
  /** Decimal u64 strings (64-bit arguments do not fit in a JS number). */
  value: string;
  valueTwo: string;
}

/** personality(2): the execution domain (PER_LINUX, PER_LINUX32) of the container process. */
export interface PersonalityStep {
  op: 'personality';
  persona: number;
}

/** sched_setattr(2) on init; the scheduling attributes survive execve. */
export interface SchedulerStep {
  op: 'scheduler';
  /** SCHED_* policy number. */
  policy: number;
  /** SCHED_FLAG_* bits, decimal string (u64). */
  flags: string;
  /** -20..19. */
  nice: number;
  priority: number;
  /** Nanoseconds, decimal strings (u64): SCHED_DEADLINE only. */
  runtime: string;
  deadline: string;
  period: string;
}

/** ioprio_set(2) on init: IOPRIO_CLASS_* and the level 0..7 within it. */
export interface IoPriorityStep {
  op: 'ioPriority';
  ioClass: number;
  level: number;
}

/** set_mempolicy(2): MPOL_* mode with MPOL_F_* flags or'ed in, over the listed NUMA nodes. */
export interface MemoryPolicyStep {
  op: 'memoryPolicy';
  mode: number;
  /** Node numbers, ascending; empty for MPOL_DEFAULT and MPOL_LOCAL. */
  nodes: number[];
}

/** One OCI hook as the executor runs it: argv and environment exactly as configured. */
export interface HookCommand {
  path: string;
  /** argv including argv[0] (the config's args, or [path] when it has none). */
  args: string[];
  /** The hook's own environment (empty when the config gives none), never the runtime's. */
  env: string[];
  /** Seconds before the hook is killed (SIGKILL) and counted as failed; 0: no limit. */
  timeout: number;
}

/**
 * The OCI state a hook reads on stdin, split around the pid, which only the parent knows (it
 * sends init's host pid with GO): `before` + decimal pid + `after` is the JSON document.
 */
export interface HookState {
  before: string;
  after: string;
}

/**
 * Init runs `hooks` itself, in order, each with the state on stdin, in the namespaces init is in
 * at that point (createContainer: before the root change, in the container's mount namespace;
 * startContainer: see ExecSpec). A hook exiting non-zero, killed, or past its timeout fails the step.
 */
export interface RunHooksStep {
  op: 'runHooks';
  kind: 'createContainer' | 'startContainer';
  hooks: HookCommand[];
  state: HookState;
}

/**
 * Init stops and asks the parent to run the runtime-namespace hooks of this point (prestart and
 * createRuntime): the parent's caller runs them and answers go on, or fails the spawn
 * (runtime/native spawnInitWithHooks). Only the parent's caller knows which hooks those are.
 */
export interface ParentHooksStep {
  op: 'parentHooks';
}

/**
 * The process's terminal, made as runc makes it: setsid; open /dev/ptmx as the process sees it
 * (after the root change, or in the joined mount namespace of an exec); size it; give the slave
 * to `uid`; bind it onto /dev/console when `mountConsole`; send the master over the console
 * socket (SCM_RIGHTS, payload "/dev/ptmx"); close the master and the socket; the slave becomes
 * fds 0-2 and the controlling terminal. At most one per plan.
 */
export interface ConsoleStep {
  op: 'console';
  /** The connected console socket, an fd of the parent that init inherits (PlanContext.consoleSocket). */
  socketFd: number;
  uid: number;
  /** process.consoleSize; 0 leaves the kernel's size. */
  width: number;
  height: number;
  /** The container's init (runc binds /dev/console); not an exec'd process. */
  mountConsole: boolean;
}

/** One address of a network interface, as RTM_NEWADDR takes it. */
export interface NetAddress {
  family: 'inet' | 'inet6';
  /** The interface's own address (IFA_LOCAL), e.g. "10.0.0.2" or "fd00::2". */
  local: string;
  prefixLength: number;
  /** The far end of a point-to-point address (IFA_ADDRESS); null: the same as `local`. */
  peer: string | null;
  /** The IPv4 broadcast address (IFA_BROADCAST); null: none. */
  broadcast: string | null;
}

/**
 * In the container's network namespace: add `addresses` to the interface `name` (moved in by
 * moveNetDevice), then set it up.
 */
export interface ConfigureNetDeviceStep {
  op: 'configureNetDevice';
  name: string;
  addresses: NetAddress[];
  /** The config field, for messages; not sent to C. */
  purpose?: string;
}

/**
 * keyctl(KEYCTL_JOIN_SESSION_KEYRING, name): init leaves the caller's session keyring for one
 * of the container's own (made when no keyring of that name is found), then adds `permSet`
 * (KEY_*_* bits) to its permissions. A kernel without keys is no failure.
 */
export interface JoinSessionKeyringStep {
  op: 'joinSessionKeyring';
  /** The keyring's description; null: a new anonymous keyring. */
  name: string | null;
  permSet: number;
}

export type InitStep =
  | BecomeRootStep
  | UnshareStep
  | WriteFileStep
  | OpenRootStep
  | MountStep
  | MknodStep
  | SymlinkStep
  | MkdirStep
  | PivotRootStep
  | MoveRootStep
  | ChrootRootStep
  | MaskPathStep
  | SethostnameStep
  | SetdomainnameStep
  | SetrlimitStep
  | ChdirStep
  | UmaskStep
  | DropBoundingStep
  | SetUserStep
  | SetCapsStep
  | NoNewPrivsStep
  | SeccompStep
  | PersonalityStep
  | SchedulerStep
  | IoPriorityStep
  | MemoryPolicyStep
  | RunHooksStep
  | ParentHooksStep
  | ConsoleStep
  | ConfigureNetDeviceStep
  | MountSetattrStep
  | SetAffinityStep
  | JoinSessionKeyringStep;

// ---------------------------------------------------------------------------------------------
// exec

/**
 * Init's last act. Always, in this order: every signal disposition reset to default and the
 * signal mask cleared; O_NONBLOCK cleared on fds 0-2; every fd above 2 + preserveFds marked
 * close-on-exec; args[0] looked up (if it has no '/') in `searchPath` the way execvp does,
 * failing with ENOENT/EACCES before the fifo if there is nothing to run; then READY is reported
 * to the parent; then, when `fifo` is set, init opens `fifo.name` beneath the directory
 * `fifo.dir` (opened by the parent before any clone, so it is reachable after the root change)
 * for writing, which blocks until `tsrun start` opens it for reading; the startContainer hooks;
 * the `rlimits`; the one byte "0" on the fifo; the seccomp filter; and finally execve().
 */
export interface ExecSpec {
  args: string[];
  env: string[];
  /** Colon-separated directories for the lookup of args[0] (the PATH of `env`, or a default). */
  searchPath: string;
  preserveFds: number;
  fifo: { dir: string; name: string } | null;
  /**
   * Run after the fifo is released (or in place of the wait without a fifo), after the root
   * change and the credential change, just before `seccomp` and execve. A failure ends init
   * before execve (reported on its stderr: nobody listens on the sync socket after READY).
   */
  startContainerHooks?: RunHooksStep | null;
  /**
   * The resource limits (process.rlimits, and RLIMIT_NOFILE as tsrun was started with), set
   * after the fifo wait and the startContainer hooks, before the start byte is written (so
   * `start` fails when one fails) and before `seccomp`: as late as possible, so that no limit
   * (RLIMIT_NOFILE 0, a small RLIMIT_NPROC) can break a step of the runtime's own. A failure
   * ends init with the step's `message` on its stderr. Missing: none.
   */
  rlimits?: ExecRlimit[];
  /**
   * A filter loaded as the very last act before execve, after the fifo and startContainer hooks:
   * once it is loaded init makes no system call but execve, so a profile need allow nothing of
   * what init does on its way. Without no_new_privs init still holds CAP_SYS_ADMIN here (the
   * setCaps step kept it), which loading takes; execve drops it. A filter with a `listener` is
   * an init step instead (its fd goes to the parent before READY). The parent refuses a filter
   * that did not compile before any clone, so only seccomp(2) and execve can fail here (reported
   * on init's stderr naming the filter, exit 127; a profile that denies execve outright is
   * refused by the plan, since under it nothing could be reported).
   */
  seccomp?: SeccompStep | null;
}

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

/* Generated from runtime/plan/contract/steps.json by runtime/plan/contract/gen.js: do not edit.
 * Change the table and run `npm run gen:types`. */

/** The processes a step list belongs to; exec* are the steps ExecSpec holds. */
export type PlanPhase = 'stage1' | 'parent' | 'init' | 'execHooks' | 'execRlimits' | 'execSeccomp';

/** The whole plan: one step list per process, then init's last act. */
export interface InitPlan {
  /** Run by the intermediate process, in order, before it clones init. */
  stage1: Stage1Step[];
  /** CLONE_NEW* flags for the clone of init (never CLONE_NEWTIME: see steps); nothing else (CLONE_VM, a signal) would leave the executor working. */
  cloneFlags: number;
  /**
   * A cgroup v2 directory init is cloned into (clone3 with CLONE_INTO_CGROUP, Linux 5.7): born
   * there, init needs no migration, which takes the global cgroup_threadgroup_rwsem for writing
   * and so waits for an RCU grace period. The parent opens it before any clone. Where clone3 is
   * refused (ENOSYS, EPERM, E2BIG: an older kernel, a seccomp profile) init is cloned as usual
   * and the parent writes its pid to the directory's cgroup.procs before the parent steps.
   */
  cloneIntoCgroup?: CgroupDir | null;
  /** Run by the parent once init's pid is known, before init may continue. */
  parent: ParentStep[];
  /** Run by init, in order. */
  init: InitStep[];
  /** The modes of what steps create on their way: missing parent directories and mount points. */
  createModes: CreateModes;
  /** The last act of init. */
  exec: ExecSpec;
}

/** Permission bits of entries the executor creates beneath the root (the umask does not apply). */
export interface CreateModes {
  /** Missing parents (of mount targets, mknod, symlink and mkdir targets) and directory mount points. */
  dir: number;
  /** File mount points (binds of non-directories). */
  file: number;
}

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
  /** Fds 3 .. 3+n-1 the process keeps; at most the kernel's default fs.nr_open. */
  preserveFds: number;
  fifo: ExecFifo | null;
  /**
   * The signals init dies of (exit status 128 + signal) while it waits on the fifo: as pid 1 of
   * its pid namespace it would otherwise ignore them, and `tsrun kill` of a created container with them.
   */
  exitSignals: number[];
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
   * what init does on its way. A filter with a `listener` is an init step instead (its fd goes
   * to the parent before READY).
   */
  seccomp?: SeccompStep | null;
}

/** A directory of a cgroup v2 hierarchy. */
export interface CgroupDir {
  /** Absolute path on the host. */
  dir: string;
}

export interface ExecFifo {
  dir: string;
  name: string;
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

export interface MountIdmap {
  uidMap: string;
  gidMap: string;
  recursive: boolean;
}

/** One libseccomp rule; all its conditions must hold. */
export interface SeccompRule {
  /** A syscall name; the step's `unknownSyscalls` says what a name libseccomp does not know means. */
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

/** One struct sock_filter of a compiled seccomp filter. */
export interface BpfInstruction {
  code: number;
  jt: number;
  jf: number;
  k: number;
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

/** One OCI hook as the executor runs it: argv and environment exactly as configured. */
export interface HookCommand {
  path: string;
  /** argv including argv[0] (the config's args, or [path] when it has none). */
  args: string[];
  /** The hook's own environment (empty when the config gives none), never the runtime's. */
  env: string[];
  /** Seconds before the hook is killed (the step's killSignal) and counted as failed; 0: no limit. */
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

/** One address of a network interface, as RTM_NEWADDR takes it. */
export interface NetAddress {
  /** AF_INET or AF_INET6 on the wire and in C. */
  family: 'inet' | 'inet6';
  /** The interface's own address (IFA_LOCAL), e.g. "10.0.0.2" or "fd00::2". */
  local: string;
  prefixLength: number;
  /** The far end of a point-to-point address (IFA_ADDRESS); null: the same as `local`. */
  peer: string | null;
  /** The IPv4 broadcast address (IFA_BROADCAST); null: none. */
  broadcast: string | null;
}

/** setns() into the namespace at `path`. All paths are opened before the first setns. */
export interface SetnsStep {
  op: 'setns';
  /** One CLONE_NEW* value: the kind of namespace the file must be. */
  nstype: number;
  path: string;
}

/** unshare(); in stage1 for CLONE_NEWTIME, which only affects children. */
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

/** Write init's pid (decimal, as seen by the parent) to `path`, e.g. a cgroup.procs file. */
export interface WritePidStep {
  op: 'writePid';
  path: string;
}

/**
 * Move init into its cgroup of a v1 hierarchy: "0" (the calling thread, and init has no other)
 * written to `path`, that cgroup's tasks file. A thread moving itself takes no global lock; a pid
 * written by another process takes cgroup_threadgroup_rwsem, which waits for an RCU grace period.
 */
export interface JoinCgroupStep {
  op: 'joinCgroup';
  path: string;
}

/** Write `data` to /proc/<init pid>/<name>: uid_map, gid_map, setgroups. */
export interface WriteProcFileStep {
  op: 'writeProcFile';
  name: 'uid_map' | 'gid_map' | 'setgroups';
  data: string;
}

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
 * (for binds of non-directories), with the plan's createModes. `ignoreMissing` turns ENOENT on
 * the target or the source into a skipped step (readonlyPaths of paths the rootfs lacks).
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
  idmap?: MountIdmap;
}

/** mknod inside the root (replaces nothing: EEXIST is an error). */
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
 * description to BPF with libseccomp before any clone (unless `program` carries the result);
 * init only loads it. Values are
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
   * What a rule naming a syscall libseccomp does not know means: `skip` leaves the rule out (runc's
   * behaviour: profiles list syscalls ahead of kernels), `fail` fails the step.
   */
  unknownSyscalls: 'skip' | 'fail';
  /**
   * The seccomp agent of SCMP_ACT_NOTIFY rules (linux.seccomp.listenerPath), with
   * SECCOMP_FILTER_FLAG_NEW_LISTENER in `flags`. Only on an init step: right after loading the
   * filter, init passes the notify fd to the parent over the sync socket (SCM_RIGHTS) and waits;
   * the parent connects to `path`, sends the containerProcessState document with the fd, closes
   * its copy and lets init go on (or kills init when the agent cannot be reached).
   */
  listener?: SeccompListener | null;
  /**
   * The filter this description compiles to, when the caller compiled it before (tsrund keeps the
   * programs of the profiles it saw: runtime/native/seccomp-programs.ts); empty: the decoder compiles
   * the description. At most BPF_MAXINSNS instructions.
   */
  program?: BpfInstruction[];
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
  /** The signal a hook past its timeout is killed with. */
  killSignal: number;
  /** How many bytes of a failed hook's output (stdout and stderr) its failure quotes (the failure record holds 255). */
  outputQuoted: number;
}

/**
 * Init stops and asks the parent to run the runtime-namespace hooks of this point (prestart and
 * createRuntime): the parent's caller runs them and answers go on, or fails the spawn
 * (runtime/native spawnInitWithHooks). Only the parent's caller knows which hooks those are.
 */
export interface ParentHooksStep {
  op: 'parentHooks';
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

/**
 * No mount namespace of the container's own (none, or one joined by path): chroot into the open
 * root. pivot_root and MS_MOVE would change the root of every process of a namespace that is
 * not the container's.
 */
export interface ChrootRootStep {
  op: 'chrootRoot';
}

export type Stage1Step =
  | SetnsStep
  | UnshareStep
  | WriteFileStep
  | SetAffinityStep;

export type ParentStep =
  | WritePidStep
  | WriteProcFileStep
  | MoveNetDeviceStep;

export type InitStep =
  | UnshareStep
  | WriteFileStep
  | JoinCgroupStep
  | BecomeRootStep
  | OpenRootStep
  | MountStep
  | MknodStep
  | SymlinkStep
  | MkdirStep
  | PivotRootStep
  | MoveRootStep
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
  | RunHooksStep
  | ParentHooksStep
  | PersonalityStep
  | SchedulerStep
  | IoPriorityStep
  | MemoryPolicyStep
  | ConsoleStep
  | ConfigureNetDeviceStep
  | MountSetattrStep
  | SetAffinityStep
  | JoinSessionKeyringStep
  | ChrootRootStep;

/** Any step of any phase. */
export type AnyStep = Stage1Step | ParentStep | InitStep;

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
}

export type Stage1Step = SetnsStep | UnshareStep | WriteFileStep;

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

export type ParentStep = WritePidStep | WriteProcFileStep;

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
  | SeccompStep;

// ---------------------------------------------------------------------------------------------
// exec

/**
 * Init's last act. Always, in this order: every signal disposition reset to default and the
 * signal mask cleared; O_NONBLOCK cleared on fds 0-2; every fd above 2 + preserveFds marked
 * close-on-exec; args[0] looked up (if it has no '/') in `searchPath` the way execvp does,
 * failing with ENOENT/EACCES before the fifo if there is nothing to run; then READY is reported
 * to the parent; then, when `fifo` is set, init opens `fifo.name` beneath the directory
 * `fifo.dir` (opened by the parent before any clone, so it is reachable after the root change)
 * for writing, which blocks until `tsrun start` opens it for reading, writes one byte "0";
 * and finally execve().
 */
export interface ExecSpec {
  args: string[];
  env: string[];
  /** Colon-separated directories for the lookup of args[0] (the PATH of `env`, or a default). */
  searchPath: string;
  preserveFds: number;
  fifo: { dir: string; name: string } | null;
}

/** What the executor reports when a step fails. */
export interface PlanFailure {
  phase: Phase;
  /** Index into the phase's step list (0 for exec). */
  step: number;
  errno: number;
  /** errno's symbolic name, e.g. "EPERM". */
  code: string;
  /** Extra context from C, e.g. the path component that could not be resolved. */
  detail: string;
}

// ---------------------------------------------------------------------------------------------
// What the plan builder needs besides config.json: facts of the host and of this invocation,
// gathered by the caller (side effects at the edges) so that building stays a pure function.

export interface PlanContext {
  /** Absolute bundle directory (relative mount sources resolve against it). */
  bundle: string;
  /** Absolute root filesystem path (root.path resolved against the bundle). */
  rootfs: string;
  /** The container's state directory; the exec fifo lives there when `withFifo`. */
  stateDir: string;
  /** `create` waits for `start` through the exec fifo; false runs straight to execve. */
  withFifo: boolean;
  noPivot: boolean;
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

/* Generated from runtime/plan/contract/steps.json by runtime/plan/contract/gen.js: do not edit.
 * Change the table and run `npm run gen:types`. */
#ifndef TSRUN_PLAN_TYPES_H
#define TSRUN_PLAN_TYPES_H

#include <stdint.h>

#define PLAN_MAGIC "TSRP"
#define PLAN_VERSION 3u

/* Op codes on the wire. */
enum plan_op {
  OP_SETNS = 1,
  OP_UNSHARE = 2,
  OP_WRITE_FILE = 3,
  OP_WRITE_PID = 4,
  OP_JOIN_CGROUP = 25,
  OP_WRITE_PROC_FILE = 5,
  OP_BECOME_ROOT = 6,
  OP_OPEN_ROOT = 7,
  OP_MOUNT = 8,
  OP_MKNOD = 9,
  OP_SYMLINK = 10,
  OP_MKDIR = 11,
  OP_PIVOT_ROOT = 12,
  OP_MOVE_ROOT = 13,
  OP_MASK_PATH = 14,
  OP_SETHOSTNAME = 15,
  OP_SETDOMAINNAME = 16,
  OP_SETRLIMIT = 17,
  OP_CHDIR = 18,
  OP_UMASK = 19,
  OP_DROP_BOUNDING = 20,
  OP_SET_USER = 21,
  OP_SET_CAPS = 22,
  OP_NO_NEW_PRIVS = 23,
  OP_SECCOMP = 24,
  OP_RUN_HOOKS = 40,
  OP_PARENT_HOOKS = 41,
  OP_PERSONALITY = 60,
  OP_SCHEDULER = 61,
  OP_IO_PRIORITY = 62,
  OP_MEMORY_POLICY = 63,
  OP_CONSOLE = 80,
  OP_MOVE_NET_DEVICE = 100,
  OP_CONFIGURE_NET_DEVICE = 101,
  OP_MOUNT_SETATTR = 120,
  OP_SET_AFFINITY = 130,
  OP_JOIN_SESSION_KEYRING = 140,
  OP_CHROOT_ROOT = 150,
};

/* The phases a step may be decoded in (bits). */
enum plan_phase {
  PLAN_IN_STAGE1 = 1,
  PLAN_IN_PARENT = 2,
  PLAN_IN_INIT = 4,
  PLAN_IN_EXEC_HOOKS = 8,
  PLAN_IN_EXEC_RLIMITS = 16,
  PLAN_IN_EXEC_SECCOMP = 32,
};

enum proc_file { PROC_UID_MAP = 1, PROC_GID_MAP = 2, PROC_SETGROUPS = 3 };
enum create_kind { CREATE_NONE = 0, CREATE_DIR = 1, CREATE_FILE = 2 };
enum unknown_syscalls { UNKNOWN_SYSCALLS_SKIP = 0, UNKNOWN_SYSCALLS_FAIL = 1 };
enum hook_kind { HOOK_CREATE_CONTAINER = 1, HOOK_START_CONTAINER = 2 };

/* Bounds C code sizes buffers by. */
#define PLAN_MAX_HOOK_OUTPUT_QUOTED 255u

/* A string from the plan: NUL-terminated; `len` excludes the NUL. */
struct plan_str {
  const char *s;
  uint32_t len;
};

struct plan_step;
struct plan_arena;
struct create_modes;
struct exec_spec;
struct cgroup_dir;
struct exec_rlimit;
struct seccomp_rule;
struct seccomp_condition;
struct bpf_instruction;
struct hook_cmd;
struct net_address;

/* Permission bits of entries the executor creates beneath the root (the umask does not apply). */
struct create_modes {
  /* Missing parents (of mount targets, mknod, symlink and mkdir targets) and directory mount points. */
  uint32_t dir;
  /* File mount points (binds of non-directories). */
  uint32_t file;
};

/* Init's last act. Always, in this order: every signal disposition reset to default and the
 * signal mask cleared; O_NONBLOCK cleared on fds 0-2; every fd above 2 + preserveFds marked
 * close-on-exec; args[0] looked up (if it has no '/') in `searchPath` the way execvp does,
 * failing with ENOENT/EACCES before the fifo if there is nothing to run; then READY is reported
 * to the parent; then, when `fifo` is set, init opens `fifo.name` beneath the directory
 * `fifo.dir` (opened by the parent before any clone, so it is reachable after the root change)
 * for writing, which blocks until `tsrun start` opens it for reading; the startContainer hooks;
 * the `rlimits`; the one byte "0" on the fifo; the seccomp filter; and finally execve(). */
struct exec_spec {
  uint32_t n_args;
  char *const *args; /* NULL-terminated */
  uint32_t n_env;
  char *const *env; /* NULL-terminated */
  /* Colon-separated directories for the lookup of args[0] (the PATH of `env`, or a default). */
  const char *search_path;
  /* Fds 3 .. 3+n-1 the process keeps; at most the kernel's default fs.nr_open. */
  uint32_t preserve_fds;
  uint8_t has_fifo;
  const char *fifo_dir;
  const char *fifo_name;
  /* The signals init dies of (exit status 128 + signal) while it waits on the fifo: as pid 1 of
   * its pid namespace it would otherwise ignore them, and `tsrun kill` of a created container with them. */
  uint32_t n_exit_signals;
  const uint32_t *exit_signals;
  /* Run after the fifo is released (or in place of the wait without a fifo), after the root
   * change and the credential change, just before `seccomp` and execve. A failure ends init
   * before execve (reported on its stderr: nobody listens on the sync socket after READY). */
  const struct plan_step *start_hooks; /* a runHooks step, or NULL */
  /* The resource limits (process.rlimits, and RLIMIT_NOFILE as tsrun was started with), set
   * after the fifo wait and the startContainer hooks, before the start byte is written (so
   * `start` fails when one fails) and before `seccomp`: as late as possible, so that no limit
   * (RLIMIT_NOFILE 0, a small RLIMIT_NPROC) can break a step of the runtime's own. A failure
   * ends init with the step's `message` on its stderr. Missing: none. */
  uint32_t n_rlimits;
  const struct exec_rlimit *rlimits;
  /* A filter loaded as the very last act before execve, after the fifo and startContainer hooks:
   * once it is loaded init makes no system call but execve, so a profile need allow nothing of
   * what init does on its way. A filter with a `listener` is an init step instead (its fd goes
   * to the parent before READY). */
  const struct plan_step *seccomp; /* a seccomp step, or NULL */
};

/* A directory of a cgroup v2 hierarchy. */
struct cgroup_dir {
  /* Absolute path on the host. */
  const char *dir;
};

/* setns */
struct setns_step {
  /* One CLONE_NEW* value: the kind of namespace the file must be. */
  uint32_t nstype;
  const char *path;
};

/* unshare */
struct unshare_step {
  uint32_t flags;
};

/* writeFile */
struct write_file_step {
  const char *path;
  struct plan_str data;
};

/* writePid */
struct write_pid_step {
  const char *path;
};

/* joinCgroup */
struct join_cgroup_step {
  const char *path;
};

/* writeProcFile */
struct write_proc_file_step {
  uint8_t name; /* enum proc_file */
  struct plan_str data;
};

/* openRoot, maskPath, chdir */
struct path_step {
  const char *path;
};

/* mount */
struct mount_step {
  const char *source; /* NULL when absent */
  const char *target;
  uint8_t in_root;
  const char *fstype; /* NULL when absent */
  uint32_t flags;
  const char *data; /* NULL when absent */
  uint8_t create; /* enum create_kind */
  uint8_t ignore_missing;
  /* tmpcopyup (a tmpfs inside the root): the target directory is opened before the mount and
   * its tree copied into the new mount (modes, owners, mtimes, symlinks, device nodes, fifos;
   * hard links become copies, as in runc and crun). Missing: false. */
  uint8_t copy_up;
  /* The target, when it exists, must be a directory itself, not a symlink to one nor anything
   * else (proc and sysfs, as runc: a link there would put them elsewhere, over the root even).
   * Missing: false. */
  uint8_t directory_only;
  /* An id-mapped bind mount (options "idmap"/"ridmap" with mounts[].uidMappings/gidMappings):
   * the source is cloned detached (open_tree), given the mapping of a user namespace made for
   * it (mount_setattr MOUNT_ATTR_IDMAP) and moved onto the target. `uidMap`/`gidMap` are the
   * uid_map/gid_map text of that namespace ("containerID hostID size\n" per mapping);
   * `recursive` maps every mount of the bound tree, not only its top. Only for binds with inRoot. */
  uint8_t has_idmap;
  const char *idmap_uid_map;
  const char *idmap_gid_map;
  uint8_t idmap_recursive;
};

/* mknod */
struct mknod_step {
  const char *target;
  /* S_IFCHR/S_IFBLK/S_IFIFO | permission bits. */
  uint32_t mode;
  uint32_t major;
  uint32_t minor;
  uint32_t uid;
  uint32_t gid;
};

/* symlink */
struct symlink_step {
  /* The link to create, inside the root. */
  const char *target;
  /* What it points to (written verbatim). */
  const char *link_to;
  /* An existing entry at `target` is left as it is. */
  uint8_t ignore_existing;
};

/* mkdir */
struct mkdir_step {
  /* Inside the root, created with parents; an existing directory is fine. */
  const char *target;
  uint32_t mode;
};

/* sethostname, setdomainname */
struct name_step {
  const char *name;
};

/* setrlimit */
struct setrlimit_step {
  uint32_t resource;
  /* Limits as decimal strings: u64 does not fit in a JS number; "18446744073709551615" is unlimited. */
  uint64_t soft;
  uint64_t hard;
};

/* umask */
struct umask_step {
  uint32_t mask;
};

/* dropBounding */
struct drop_bounding_step {
  /* Bit mask as a decimal string (capability numbers reach beyond 32). */
  uint64_t keep;
  uint32_t last_cap;
};

/* setUser */
struct set_user_step {
  uint32_t uid;
  uint32_t gid;
  uint32_t n_gids;
  const uint32_t *gids;
  /* false inside a user namespace whose setgroups is denied: skip setgroups(). */
  uint8_t setgroups;
};

/* setCaps */
struct set_caps_step {
  uint64_t effective;
  uint64_t permitted;
  uint64_t inheritable;
  uint64_t ambient;
};

/* seccomp */
struct seccomp_step {
  /* SCMP_ACT_* of a syscall no rule matches, errno or trace value folded in. */
  uint32_t default_action;
  /* SCMP_ARCH_* values added besides the native one. */
  uint32_t n_arches;
  const uint32_t *arches;
  /* SECCOMP_FILTER_FLAG_* bits passed to seccomp(2). */
  uint32_t flags;
  uint32_t n_rules;
  const struct seccomp_rule *rules;
  /* What a rule naming a syscall libseccomp does not know means: `skip` leaves the rule out (runc's
   * behaviour: profiles list syscalls ahead of kernels), `fail` fails the step. */
  uint8_t unknown_syscalls; /* enum unknown_syscalls */
  /* The seccomp agent of SCMP_ACT_NOTIFY rules (linux.seccomp.listenerPath), with
   * SECCOMP_FILTER_FLAG_NEW_LISTENER in `flags`. Only on an init step: right after loading the
   * filter, init passes the notify fd to the parent over the sync socket (SCM_RIGHTS) and waits;
   * the parent connects to `path`, sends the containerProcessState document with the fd, closes
   * its copy and lets init go on (or kills init when the agent cannot be reached). */
  uint8_t has_listener;
  /* The agent's unix stream socket. */
  const char *listener_path;
  /* The containerProcessState document (runtime.md) cut where the pid of the process that
   * loaded the filter goes, as the parent sees it: the document is `stateParts.join(pid)`. */
  uint32_t n_listener_parts;
  char *const *listener_parts; /* NULL-terminated */
  /* The filter this description compiles to, when the caller compiled it before (tsrund keeps the
   * programs of the profiles it saw: runtime/native/seccomp-programs.ts); empty: the decoder compiles
   * the description. At most BPF_MAXINSNS instructions. */
  uint32_t n_program;
  const struct bpf_instruction *program;
  const void *bpf; /* the compiled filter (struct sock_filter[]); NULL when compiling failed */
  uint32_t bpf_len; /* instructions */
  /* When compiling failed: the failure (of a libseccomp call), reported as this step's. */
  const struct tsrun_failure *compile_failure;
};

/* runHooks */
struct run_hooks_step {
  uint8_t kind; /* enum hook_kind */
  uint32_t n_hooks;
  const struct hook_cmd *hooks;
  struct plan_str state_before;
  struct plan_str state_after;
  /* The signal a hook past its timeout is killed with. */
  uint32_t kill_signal;
  /* How many bytes of a failed hook's output (stdout and stderr) its failure quotes (the failure record holds 255). */
  uint32_t output_quoted;
};

/* personality */
struct personality_step {
  uint32_t persona;
};

/* scheduler */
struct sched_step {
  /* SCHED_* policy number. */
  uint32_t policy;
  /* SCHED_FLAG_* bits, decimal string (u64). */
  uint64_t flags;
  int32_t nice;
  uint32_t priority;
  /* Nanoseconds, decimal strings (u64): SCHED_DEADLINE only. */
  uint64_t runtime;
  uint64_t deadline;
  uint64_t period;
};

/* ioPriority */
struct io_priority_step {
  uint32_t io_class;
  uint32_t level;
};

/* memoryPolicy */
struct memory_policy_step {
  uint32_t mode;
  /* Node numbers, ascending; empty for MPOL_DEFAULT and MPOL_LOCAL. */
  uint32_t n_nodes;
  const uint32_t *nodes;
};

/* console */
struct console_step {
  /* The connected console socket, an fd of the parent that init inherits (PlanContext.consoleSocket). */
  int32_t socket_fd;
  uint32_t uid;
  /* process.consoleSize; 0 leaves the kernel's size. */
  uint16_t width;
  uint16_t height;
  /* The container's init (runc binds /dev/console); not an exec'd process. */
  uint8_t mount_console;
};

/* moveNetDevice */
struct move_net_device_step {
  const char *name;
  const char *new_name;
};

/* configureNetDevice */
struct netdev_step {
  const char *name;
  uint32_t n_addresses;
  const struct net_address *addresses;
};

/* mountSetattr */
struct mount_setattr_step {
  const char *target;
  uint8_t in_root;
  /* MOUNT_ATTR_* bits to set and to clear (struct mount_attr attr_set, attr_clr). */
  uint32_t attr_set;
  uint32_t attr_clr;
};

/* setAffinity */
struct affinity_step {
  /* CPU numbers, ascending, each below MAX_AFFINITY_CPUS (runtime/plan/cpu-affinity.ts). */
  uint32_t n_cpus;
  const uint32_t *cpus;
};

/* joinSessionKeyring */
struct join_session_keyring_step {
  /* The keyring's description; null: a new anonymous keyring. */
  const char *name; /* NULL when absent */
  uint32_t perm_set;
};

/* One step: `op` says which member of `u` holds its fields. */
struct plan_step {
  uint8_t op; /* enum plan_op */
  union {
    struct setns_step setns;
    struct unshare_step unshare;
    struct write_file_step write_file;
    struct write_pid_step write_pid;
    struct join_cgroup_step join_cgroup;
    struct write_proc_file_step write_proc_file;
    struct path_step path;
    struct mount_step mount;
    struct mknod_step mknod;
    struct symlink_step symlink;
    struct mkdir_step mkdir;
    struct name_step name;
    struct setrlimit_step rlimit;
    struct umask_step umask;
    struct drop_bounding_step bounding;
    struct set_user_step user;
    struct set_caps_step caps;
    struct seccomp_step seccomp;
    struct run_hooks_step hooks;
    struct personality_step personality;
    struct sched_step sched;
    struct io_priority_step ioprio;
    struct memory_policy_step mempolicy;
    struct console_step console;
    struct move_net_device_step move_netdev;
    struct netdev_step netdev;
    struct mount_setattr_step setattr;
    struct affinity_step affinity;
    struct join_session_keyring_step keyring;
  } u;
};

/* A limit of process.rlimits as ExecSpec.rlimits carries it: set after READY, where a failure
 * cannot travel as a PlanFailure, so the step holds the line init writes on its stderr before
 * the errno (rendered by render-failure.ts when the plan is built). */
struct exec_rlimit {
  struct plan_step step;
  /* E.g. "setrlimit RLIMIT_NOFILE (soft 0, hard 1024) of process.rlimits[0]". */
  const char *message;
};

/* One libseccomp rule; all its conditions must hold. */
struct seccomp_rule {
  /* A syscall name; the step's `unknownSyscalls` says what a name libseccomp does not know means. */
  const char *syscall;
  uint32_t action;
  uint32_t n_conditions;
  const struct seccomp_condition *conditions;
};

struct seccomp_condition {
  /* Argument index, 0..5. */
  uint8_t index;
  /* SCMP_CMP_*: 1 NE, 2 LT, 3 LE, 4 EQ, 5 GE, 6 GT, 7 MASKED_EQ. */
  uint8_t op;
  /* Decimal u64 strings (64-bit arguments do not fit in a JS number). */
  uint64_t value;
  uint64_t value_two;
};

/* One struct sock_filter of a compiled seccomp filter. */
struct bpf_instruction {
  uint32_t code;
  uint8_t jt;
  uint8_t jf;
  uint32_t k;
};

/* One OCI hook as the executor runs it: argv and environment exactly as configured. */
struct hook_cmd {
  const char *path;
  /* argv including argv[0] (the config's args, or [path] when it has none). */
  uint32_t n_args;
  char *const *args; /* NULL-terminated */
  /* The hook's own environment (empty when the config gives none), never the runtime's. */
  uint32_t n_env;
  char *const *env; /* NULL-terminated */
  /* Seconds before the hook is killed (the step's killSignal) and counted as failed; 0: no limit. */
  uint32_t timeout;
};

/* One address of a network interface, as RTM_NEWADDR takes it. */
struct net_address {
  /* AF_INET or AF_INET6 on the wire and in C. */
  uint8_t family;
  /* The interface's own address (IFA_LOCAL), e.g. "10.0.0.2" or "fd00::2". */
  const char *local_text;
  uint8_t prefix_len;
  /* The far end of a point-to-point address (IFA_ADDRESS); null: the same as `local`. */
  const char *peer_text; /* NULL when absent */
  /* The IPv4 broadcast address (IFA_BROADCAST); null: none. */
  const char *broadcast_text; /* NULL when absent */
  uint8_t local[16], peer[16], broadcast[16]; /* binary, network order: 4 or 16 bytes used */
  uint8_t has_peer, has_broadcast;
};

/* The whole plan: one step list per process, then init's last act. */
struct tsrun_plan {
  /* Run by the intermediate process, in order, before it clones init. */
  const struct plan_step *stage1;
  uint32_t n_stage1;
  /* CLONE_NEW* flags for the clone of init (never CLONE_NEWTIME: see steps); nothing else (CLONE_VM, a signal) would leave the executor working. */
  uint32_t clone_flags;
  /* A cgroup v2 directory init is cloned into (clone3 with CLONE_INTO_CGROUP, Linux 5.7): born
   * there, init needs no migration, which takes the global cgroup_threadgroup_rwsem for writing
   * and so waits for an RCU grace period. The parent opens it before any clone. Where clone3 is
   * refused (ENOSYS, EPERM, E2BIG: an older kernel, a seccomp profile) init is cloned as usual
   * and the parent writes its pid to the directory's cgroup.procs before the parent steps. */
  const struct cgroup_dir *clone_into_cgroup; /* NULL when absent */
  /* Run by the parent once init's pid is known, before init may continue. */
  const struct plan_step *parent;
  uint32_t n_parent;
  /* Run by init, in order. */
  const struct plan_step *init;
  uint32_t n_init;
  /* The modes of what steps create on their way: missing parent directories and mount points. */
  struct create_modes create_modes;
  /* The last act of init. */
  struct exec_spec exec;
  struct plan_arena *arena;
};

#endif

/* The decoded init plan (runtime/plan/types.ts in C). Everything lives in memory the decoder
 * allocated before any clone, so the children only read it. The wire format is described at
 * the top of plan.c. */
#ifndef TSRUN_PLAN_H
#define TSRUN_PLAN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Op codes on the wire; the numbers are shared with runtime/native/encode.ts. */
enum plan_op {
  OP_SETNS = 1,
  OP_UNSHARE = 2,
  OP_WRITE_FILE = 3,
  OP_WRITE_PID = 4,
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
  /* Hooks: from 40 up, clear of the codes other steps are taking after 24. */
  OP_RUN_HOOKS = 40,
  OP_PARENT_HOOKS = 41,
  /* Process attributes (procattrs.c): from 60 up. */
  OP_PERSONALITY = 60,
  OP_SCHEDULER = 61,
  OP_IO_PRIORITY = 62,
  OP_MEMORY_POLICY = 63,
  /* The process's terminal (console.c): from 80 up. */
  OP_CONSOLE = 80,
  /* Network devices (netdev.c): from 100 up. */
  OP_MOVE_NET_DEVICE = 100,
  OP_CONFIGURE_NET_DEVICE = 101,
  /* Recursive mount attributes (mount.c): from 120 up. */
  OP_MOUNT_SETATTR = 120,
  /* CPU affinity (affinity.c): from 130 up. */
  OP_SET_AFFINITY = 130,
  /* The session keyring (keyring.c): from 140 up. */
  OP_JOIN_SESSION_KEYRING = 140,
  /* The root change without a mount namespace of the container's own (mount.c): from 150 up. */
  OP_CHROOT_ROOT = 150,
};

/* RunHooksStep.kind */
enum hook_kind { HOOK_CREATE_CONTAINER = 1, HOOK_START_CONTAINER = 2 };

/* WriteProcFileStep.name */
enum proc_file { PROC_UID_MAP = 1, PROC_GID_MAP = 2, PROC_SETGROUPS = 3 };

/* MountStep.create */
enum create_kind { CREATE_NONE = 0, CREATE_DIR = 1, CREATE_FILE = 2 };

/* A string from the plan: NUL-terminated; `len` excludes the NUL. Paths and names never
 * contain NUL (the decoder refuses them); file contents may. */
struct plan_str {
  const char *s;
  uint32_t len;
};

struct mount_step {
  const char *source; /* NULL when absent */
  const char *target;
  const char *fstype; /* NULL when absent */
  const char *data;   /* NULL when absent */
  uint32_t flags;
  uint8_t in_root;
  uint8_t create; /* enum create_kind */
  uint8_t ignore_missing;
  uint8_t copy_up; /* tmpcopyup: copy the covered directory's tree into the new mount (copyup.c) */
  uint8_t directory_only; /* an existing target must be a directory, not a symlink (proc, sysfs) */
  /* An id-mapped bind (idmap.c): uid_map and gid_map text of the mapping, NULL when not id-mapped. */
  const char *idmap_uid_map;
  const char *idmap_gid_map;
  uint8_t idmap_recursive; /* "ridmap": every mount of the tree, not only the top one */
};

/* MountSetattrStep: mount_setattr(2) with AT_RECURSIVE on the mount at `target`. */
struct mount_setattr_step {
  const char *target;
  uint8_t in_root;
  uint32_t attr_set, attr_clr; /* MOUNT_ATTR_* */
};

/* SetAffinityStep: CPU numbers, each below PLAN_MAX_AFFINITY_CPUS. */
struct affinity_step {
  uint32_t n_cpus;
  const uint32_t *cpus;
};

#define PLAN_MAX_AFFINITY_CPUS 1024u

/* SeccompStep: the description from the plan, and the BPF the decoder compiled from it. */
struct seccomp_condition {
  uint8_t index, op; /* argument 0..5; SCMP_CMP_* 1..7 */
  uint64_t value, value_two;
};

struct seccomp_rule {
  const char *syscall;
  uint32_t action, n_conditions;
  const struct seccomp_condition *conditions;
};

struct tsrun_failure;

struct seccomp_step {
  uint32_t default_action, flags, n_arches, n_rules;
  const uint32_t *arches;
  const struct seccomp_rule *rules;
  /* The compiled filter (struct sock_filter[], 8 bytes each); NULL when compiling failed. */
  const void *bpf;
  uint32_t bpf_len; /* instructions */
  /* When compiling failed: the failure (of a libseccomp call), which init reports as the
   * failure of this step. */
  const struct tsrun_failure *compile_failure;
  /* The seccomp agent (SeccompListener), NULL without one: init passes the notify fd to the
   * parent, which sends it to listener_path with the containerProcessState document, that is
   * listener_parts joined with the pid of the process that loaded the filter. */
  const char *listener_path;
  char *const *listener_parts;
  uint32_t n_listener_parts;
};

/* HookCommand */
struct hook_cmd {
  const char *path;
  char *const *args; /* NULL-terminated, at least one entry */
  char *const *env;  /* NULL-terminated */
  uint32_t timeout;  /* seconds, 0: none */
};

/* RunHooksStep: the state document is state_before + init's host pid + state_after. */
struct run_hooks_step {
  uint8_t kind; /* enum hook_kind */
  uint32_t n_hooks;
  const struct hook_cmd *hooks;
  struct plan_str state_before, state_after;
};

/* ConsoleStep */
struct console_step {
  int32_t socket_fd; /* the connected console socket, inherited from the parent */
  uint32_t uid;      /* owner of the terminal */
  uint16_t width, height; /* 0: leave the size as the kernel made it */
  uint8_t mount_console;  /* bind the terminal onto /dev/console */
};

/* SchedulerStep: the fields of struct sched_attr. */
struct sched_step {
  uint32_t policy, priority;
  int32_t nice;
  uint64_t flags, runtime, deadline, period;
};

/* NetAddress, in the binary form RTM_NEWADDR takes (the decoder converts the text). */
struct net_address {
  uint8_t family;     /* AF_INET or AF_INET6 */
  uint8_t prefix_len;
  uint8_t has_peer, has_broadcast;
  uint8_t local[16], peer[16], broadcast[16]; /* 4 or 16 bytes used, network order */
  const char *local_text;                     /* for messages */
};

/* ConfigureNetDeviceStep */
struct netdev_step {
  const char *name;
  uint32_t n_addresses;
  const struct net_address *addresses;
};

struct plan_step {
  uint8_t op; /* enum plan_op */
  union {
    struct { uint32_t nstype; const char *path; } setns;
    struct { uint32_t flags; } unshare;
    struct { const char *path; struct plan_str data; } write_file;
    struct { const char *path; } write_pid;
    struct { uint8_t name; struct plan_str data; } write_proc_file;
    /* openRoot, maskPath, chdir */
    struct { const char *path; } path;
    struct mount_step mount;
    struct { const char *target; uint32_t mode, major, minor, uid, gid; } mknod;
    struct { const char *target; const char *link_to; uint8_t ignore_existing; } symlink;
    struct { const char *target; uint32_t mode; } mkdir;
    /* sethostname, setdomainname */
    struct plan_str name;
    struct { uint32_t resource; uint64_t soft, hard; } rlimit;
    struct { uint32_t mask; } umask;
    struct { uint64_t keep; uint32_t last_cap; } bounding;
    struct { uint32_t uid, gid, n_gids; const uint32_t *gids; uint8_t setgroups; } user;
    struct { uint64_t effective, permitted, inheritable, ambient; } caps;
    struct seccomp_step seccomp;
    struct run_hooks_step hooks;
    struct { uint32_t persona; } personality;
    struct sched_step sched;
    struct { uint32_t io_class, level; } ioprio;
    struct { uint32_t mode, n_nodes; const uint32_t *nodes; } mempolicy;
    struct console_step console;
    struct { const char *name, *new_name; } move_netdev;
    struct netdev_step netdev;
    struct mount_setattr_step setattr;
    struct affinity_step affinity;
    struct { const char *name; uint32_t perm_set; } keyring; /* name NULL: an anonymous keyring */
  } u;
};

/* ExecRlimit: a setrlimit step set after READY, and the line init writes when it fails. */
struct exec_rlimit {
  struct plan_step step;
  const char *message;
};

struct exec_spec {
  char *const *args; /* NULL-terminated, at least one entry */
  char *const *env;  /* NULL-terminated */
  uint32_t n_args, n_env;
  const char *search_path;
  uint32_t preserve_fds;
  const char *fifo_dir;  /* NULL when there is no exec fifo */
  const char *fifo_name; /* NULL when there is no exec fifo */
  const struct plan_step *start_hooks; /* a runHooks step, or NULL */
  const struct exec_rlimit *rlimits;   /* set after the start hooks, before the start byte */
  uint32_t n_rlimits;
  const struct plan_step *seccomp;     /* a seccomp step loaded right before execve, or NULL */
};

struct plan_arena;

struct tsrun_plan {
  const struct plan_step *stage1, *parent, *init;
  uint32_t n_stage1, n_parent, n_init;
  uint32_t clone_flags;
  struct exec_spec exec;
  struct plan_arena *arena;
};

#define PLAN_MAGIC "TSRP"
#define PLAN_VERSION 1u
/* Far more than any real plan; bounds what a malformed length can make the decoder allocate. */
#define PLAN_MAX_BYTES (64u << 20)

/* Decode `len` bytes. Returns the plan, or NULL with a one-line reason in `err`. */
struct tsrun_plan *plan_decode(const uint8_t *buf, size_t len, char *err, size_t errlen);
void plan_free(struct tsrun_plan *plan);

/* The name a step op has in types.ts ("mount"), for messages. */
const char *plan_op_name(uint8_t op);

#ifdef __cplusplus
}
#endif

#endif

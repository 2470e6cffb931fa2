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
};

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
};

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

struct seccomp_step {
  uint32_t default_action, flags, n_arches, n_rules;
  const uint32_t *arches;
  const struct seccomp_rule *rules;
  /* The compiled filter (struct sock_filter[], 8 bytes each); NULL when compiling failed. */
  const void *bpf;
  uint32_t bpf_len; /* instructions */
  /* When compiling failed: the positive errno and the libseccomp call that failed. Init
   * reports it as the failure of this step. */
  int32_t compile_err;
  const char *compile_detail;
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
  } u;
};

struct exec_spec {
  char *const *args; /* NULL-terminated, at least one entry */
  char *const *env;  /* NULL-terminated */
  uint32_t n_args, n_env;
  const char *search_path;
  uint32_t preserve_fds;
  const char *fifo_dir;  /* NULL when there is no exec fifo */
  const char *fifo_name; /* NULL when there is no exec fifo */
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

/*
 * The failure record: which step of which phase failed, in which system call on what, with which
 * errno, and the typed facts a few failures add (a hook's index and exit, a number, a second
 * path). C says what failed; the words are TypeScript's (runtime/plan/render-failure.ts).
 *
 * Besides phase, step, errno, syscall and path every field is listed once, in
 * TSRUN_FAILURE_TEXTS, TSRUN_FAILURE_NUMBERS and TSRUN_FAILURE_REASONS: the struct below, the
 * addon's object (native/src/addon/errors.cc) and the monitor's JSON report
 * (native/src/monitor/report.c) are written from these lists by failure_visit, and
 * runtime/plan/failure-record.ts names the same fields (test/supervisor/failure-record.test.ts
 * checks the lists and that both paths carry a record alike).
 */
#ifndef TSRUN_FAILURE_H
#define TSRUN_FAILURE_H

#include <limits.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The plan's phases, then two of no plan step: tsrun-monitor's own start-up, and the release of a
 * created init (tsrun_release). */
enum tsrun_phase { PHASE_STAGE1 = 0, PHASE_PARENT = 1, PHASE_INIT = 2, PHASE_EXEC = 3, PHASE_MONITOR = 4, PHASE_RELEASE = 5 };

/* `step` of a failure that belongs to no step of the phase (e.g. the clone of init). */
#define FAILURE_NO_STEP UINT32_MAX

/* Text fields besides syscall and path (name, capacity): each present only when not "". */
#define TSRUN_FAILURE_TEXTS(X)                                     \
  X(path2, PATH_MAX) /* a second path: the source of an id-mapped mount */ \
  X(output, 256)     /* what a failed hook wrote (its first bytes), or the plan decoder's complaint */

/* Number fields (name): each present only when set. */
#define TSRUN_FAILURE_NUMBERS(X)                                                         \
  X(value)      /* the number the call acted on: a uid, gid, capability, rlimit resource, CPU, \
                   NUMA node, size */                                                    \
  X(hook)       /* index of the hook in its runHooks step */                             \
  X(exitStatus) /* the exit status (not 0) of a hook, or of a child that ended silently */ \
  X(signal)     /* the signal that killed a hook, or a child that ended silently */      \
  X(timeout)    /* the hook's timeout in seconds, which it ran past (it was killed) */

/* Why a failure is one when errno alone does not say it (C checks of its own); "" is none. */
#define TSRUN_FAILURE_REASONS(X)                                                                  \
  X(NONE, "")                                                                                     \
  X(OP_NOT_ALLOWED, "opNotAllowed")             /* a step of an op the phase does not run */      \
  X(NO_OPEN_ROOT, "noOpenRoot")                 /* a step on the root before openRoot */           \
  X(NOT_DIRECTORY, "notDirectory")              /* a mount point that is a symlink or a file */    \
  X(CONTAINER_ROOT, "containerRoot")            /* a mount point resolving to the root itself */   \
  X(NO_FILE_NAME, "noFileName")                 /* a path with no last component */                \
  X(SHORT_WRITE, "shortWrite")                  /* write(2) took less than all */                 \
  X(CPUS_UNAVAILABLE, "cpusUnavailable")        /* none of the affinity's CPUs is usable */        \
  X(CPU_UNAVAILABLE, "cpuUnavailable")          /* CPU `value` was left out by the kernel */       \
  X(NODE_OUT_OF_RANGE, "nodeOutOfRange")        /* NUMA node `value` above the executor's mask */  \
  X(FILTER_TOO_LONG, "filterTooLong")           /* a seccomp filter of `value` instructions */     \
  X(FILTER_SIZE, "filterSize")                  /* libseccomp exported `value` bytes, no filter */ \
  X(KEYRING_PERMISSIONS, "keyringPermissions")  /* KEYCTL_DESCRIBE gave no permission field */     \
  X(HOOKS_NOT_RUNNABLE, "hooksNotRunnable")     /* a parentHooks step for a caller without hooks */ \
  X(SILENT_EXIT, "silentExit")                  /* stage1 or init ended without a report */        \
  X(PARENT, "parent")                           /* the call talked to the parent process */        \
  X(SECCOMP_AGENT, "seccompAgent")              /* the call talked to the seccomp agent */         \
  X(CONSOLE_SOCKET, "consoleSocket")            /* the call talked to the console socket */        \
  X(ID_MAPPING_HELPER, "idMappingHelper")       /* the helper process of an id-mapped mount */     \
  X(OLD_ROOT, "oldRoot")                        /* the host's root, being left by pivot_root */    \
  X(NEW_ROOT, "newRoot")                        /* the open rootfs */                               \
  X(COPY_UP, "copyUp")                          /* a tmpcopyup of the entry `path` */              \
  X(COPY_UP_TOO_DEEP, "copyUpTooDeep")          /* tmpcopyup below too many directories */         \
  X(COPY_UP_PATH_TOO_LONG, "copyUpPathTooLong") /* tmpcopyup below a too long path */              \
  X(INIT_EXITED, "initExited")                  /* init (pid `value`) exited before it was started */ \
  X(INIT_CLOSED_FIFO, "initClosedFifo")         /* init (pid `value`) closed the fifo without a byte */ \
  X(MALFORMED_PLAN, "malformedPlan")            /* the plan did not decode (why: `output`) */      \
  X(PLAN_PRESERVES_FDS, "planPreservesFds")     /* tsrun-monitor has no fds to preserve */         \
  X(PLAN_LACKS_CONSOLE, "planLacksConsole")     /* --terminal without a console step on fd 4 */    \
  X(PLAN_HAS_CONSOLE, "planHasConsole")         /* a console step without --terminal */

#define FAILURE_REASON_ENUM(id, name) FAILURE_##id,
enum failure_reason { TSRUN_FAILURE_REASONS(FAILURE_REASON_ENUM) };
#undef FAILURE_REASON_ENUM

#define FAILURE_NUMBER_ENUM(name) FAILURE_NUMBER_##name,
enum failure_number { TSRUN_FAILURE_NUMBERS(FAILURE_NUMBER_ENUM) FAILURE_NUMBERS };
#undef FAILURE_NUMBER_ENUM

struct tsrun_failure {
  uint32_t phase; /* enum tsrun_phase */
  uint32_t step;
  int32_t err;    /* errno, 0 when the failure is no system call's (a hook's exit) */
  uint32_t reason; /* enum failure_reason */
  uint32_t numbers_set; /* bit FAILURE_NUMBER_x: number x is present */
  char syscall[64];     /* the system call (or netlink request) that failed: "mount", "openat2" */
  char path[PATH_MAX];  /* what it acted on: a path, a file or interface name; "" when nothing */
#define FAILURE_TEXT_MEMBER(name, size) char name[size];
  TSRUN_FAILURE_TEXTS(FAILURE_TEXT_MEMBER)
#undef FAILURE_TEXT_MEMBER
  int64_t numbers[FAILURE_NUMBERS];
};

/* Record that `syscall` on `path` (may be NULL) failed with `err`, clearing what an earlier
 * failure left. Returns -1, so that a step can `return fail(...)`. Async-signal-safe. */
int fail(struct tsrun_failure *f, int err, const char *syscall, const char *path);

/* Forget the failure a step recovered from (phase and step stay). */
void failure_clear(struct tsrun_failure *f);

/* fail() with a reason of the executor's own. */
int fail_because(struct tsrun_failure *f, int err, enum failure_reason reason, const char *syscall, const char *path);

/* Add a number, a second path, or output to the failure just recorded. Each returns -1. */
int failure_number(struct tsrun_failure *f, enum failure_number which, int64_t value);
int failure_path2(struct tsrun_failure *f, const char *path);
int failure_output(struct tsrun_failure *f, const char *data, uint64_t len);

/* "stage1", "parent", "init", "exec", "monitor", "release". */
const char *phase_name(uint32_t phase);

/* The reason's name in PlanFailure ("" for none), and the number field's. */
const char *failure_reason_name(uint32_t reason);
const char *failure_number_name(uint32_t which);

/* Visit every field of `f` that is present, as PlanFailure carries it (phase, step, errno and
 * code first, then the rest): one walk for the addon's object and the monitor's JSON alike. */
struct failure_visitor {
  void (*text)(void *ctx, const char *name, const char *value);
  void (*number)(void *ctx, const char *name, int64_t value);
};
void failure_visit(const struct tsrun_failure *f, const struct failure_visitor *v, void *ctx);

/* "<syscall> <path> (<field> <value>, ...)" at `pos` (up to `end`), for the one reader left after
 * READY, the container's stderr; returns the end of the text. Async-signal-safe. */
char *failure_format(const struct tsrun_failure *f, char *pos, char *end);

#ifdef __cplusplus
}
#endif

#endif

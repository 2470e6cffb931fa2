#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "affinity.h"
#include "keyring.h"
#include "caps.h"
#include "console.h"
#include "creds.h"
#include "execfinal.h"
#include "fileio.h"
#include "hooks.h"
#include "inroot.h"
#include "mount.h"
#include "netdev.h"
#include "procattrs.h"
#include "seccomp_agent.h"
#include "seccomp_compile.h"
#include "sync.h"
#include "sys.h"

static int open_root(const char *path, int *rootfd, struct tsrun_failure *f) {
  int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fail(f, errno, "open", path);
  if (*rootfd >= 0) close(*rootfd);
  *rootfd = fd;
  return 0;
}

static int set_name(int (*set)(const char *, size_t), const char *name, const char *what, struct tsrun_failure *f) {
  if (set(name, strlen(name)) < 0) return fail(f, errno, what, name);
  return 0;
}

static int set_rlimit(uint32_t resource, uint64_t soft, uint64_t hard, struct tsrun_failure *f) {
  if (sys_prlimit((int)resource, soft, hard) == 0) return 0;
  fail(f, errno, "setrlimit", NULL);
  return failure_number(f, FAILURE_NUMBER_value, resource);
}

/* Stop until the parent has run the runtime-namespace hooks (prestart, createRuntime): GO, or
 * the parent kills init. */
static int await_parent_hooks(int sync, struct tsrun_failure *f) {
  if (sync_send_type(sync, MSG_HOOKS) < 0) return fail_because(f, errno, FAILURE_PARENT, "sendmsg", NULL);
  struct sync_msg msg;
  int rc = sync_recv(sync, &msg);
  if (rc == 1 && msg.type == MSG_GO) return 0;
  _exit(1); /* the parent is gone or gave up: it reports the hook's failure itself */
}

/* What a step needs besides itself. */
struct init_ctx {
  int rootfd;
  int sync;
  pid_t host_pid; /* init's pid as the parent sees it (sent with GO) */
  const struct create_modes *modes;
};

static int run_step(const struct plan_step *s, struct init_ctx *ctx, struct tsrun_failure *f) {
  int *rootfd = &ctx->rootfd;
  switch (s->op) {
  case OP_BECOME_ROOT: return creds_become_root(f);
  case OP_UNSHARE:
    if (unshare((int)s->u.unshare.flags) < 0) return fail(f, errno, "unshare", NULL);
    return 0;
  case OP_WRITE_FILE:
    return write_file(s->u.write_file.path, s->u.write_file.data.s, s->u.write_file.data.len, f);
  case OP_JOIN_CGROUP: return write_file(s->u.join_cgroup.path, "0", 1, f);
  case OP_OPEN_ROOT: return open_root(s->u.path.path, rootfd, f);
  case OP_MOUNT: return mount_step(&s->u.mount, *rootfd, ctx->modes, f);
  case OP_MKNOD:
    return inroot_mknod(*rootfd, s->u.mknod.target, s->u.mknod.mode, s->u.mknod.major, s->u.mknod.minor,
                        s->u.mknod.uid, s->u.mknod.gid, ctx->modes, f);
  case OP_SYMLINK:
    return inroot_symlink(*rootfd, s->u.symlink.target, s->u.symlink.link_to, s->u.symlink.ignore_existing, ctx->modes, f);
  case OP_MKDIR: return inroot_mkdir(*rootfd, s->u.mkdir.target, s->u.mkdir.mode, ctx->modes, f);
  case OP_PIVOT_ROOT: return root_pivot(rootfd, f);
  case OP_MOVE_ROOT: return root_move(rootfd, f);
  case OP_CHROOT_ROOT: return root_chroot(rootfd, f);
  case OP_MASK_PATH: return mask_path(s->u.path.path, f);
  case OP_SETHOSTNAME: return set_name(sethostname, s->u.name.name, "sethostname", f);
  case OP_SETDOMAINNAME: return set_name(setdomainname, s->u.name.name, "setdomainname", f);
  case OP_SETRLIMIT: return set_rlimit(s->u.rlimit.resource, s->u.rlimit.soft, s->u.rlimit.hard, f);
  case OP_CHDIR:
    if (chdir(s->u.path.path) < 0) return fail(f, errno, "chdir", s->u.path.path);
    return 0;
  case OP_UMASK: umask((mode_t)s->u.umask.mask); return 0;
  case OP_DROP_BOUNDING: return caps_drop_bounding(s->u.bounding.keep, s->u.bounding.last_cap, f);
  case OP_SET_USER:
    return creds_set_user(s->u.user.uid, s->u.user.gid, s->u.user.gids, s->u.user.n_gids, s->u.user.setgroups, f);
  case OP_SET_CAPS:
    return caps_set(s->u.caps.effective, s->u.caps.permitted, s->u.caps.inheritable, s->u.caps.ambient, f);
  case OP_NO_NEW_PRIVS:
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) return fail(f, errno, "prctl(PR_SET_NO_NEW_PRIVS)", NULL);
    return 0;
  case OP_SECCOMP: return seccomp_step_run(&s->u.seccomp, ctx->sync, f);
  case OP_PERSONALITY: return procattr_personality(s->u.personality.persona, f);
  case OP_SCHEDULER: return procattr_scheduler(&s->u.sched, f);
  case OP_IO_PRIORITY: return procattr_io_priority(s->u.ioprio.io_class, s->u.ioprio.level, f);
  case OP_MEMORY_POLICY:
    return procattr_memory_policy(s->u.mempolicy.mode, s->u.mempolicy.nodes, s->u.mempolicy.n_nodes, f);
  case OP_RUN_HOOKS: return hooks_run(&s->u.hooks, ctx->host_pid, f);
  case OP_PARENT_HOOKS: return await_parent_hooks(ctx->sync, f);
  case OP_CONSOLE: return console_setup(&s->u.console, f);
  case OP_CONFIGURE_NET_DEVICE: return netdev_configure(&s->u.netdev, f);
  case OP_MOUNT_SETATTR: return mount_setattr_step(&s->u.setattr, *rootfd, f);
  case OP_SET_AFFINITY: return affinity_set(&s->u.affinity, f);
  case OP_JOIN_SESSION_KEYRING: return keyring_join_session(s->u.keyring.name, s->u.keyring.perm_set, f);
  default: return fail_because(f, EINVAL, FAILURE_OP_NOT_ALLOWED, NULL, NULL);
  }
}

_Noreturn void init_main(const struct tsrun_plan *plan, const struct spawn_fds *fds) {
  /* Signals stay blocked (as inherited from the parent's clone) until exec_final. */
  struct sync_msg msg;
  if (sync_recv(fds->sync, &msg) != 1 || msg.type != MSG_GO) _exit(1);
  /* Init was born in its cgroup v2 directory: it has no use for the fd. */
  if (fds->cgroup >= 0) close(fds->cgroup);

  struct tsrun_failure f;
  memset(&f, 0, sizeof f);
  f.phase = PHASE_INIT;
  struct init_ctx ctx = {.rootfd = -1, .sync = fds->sync, .host_pid = msg.pid, .modes = &plan->create_modes};
  for (uint32_t i = 0; i < plan->n_init; i++) {
    f.step = i;
    if (run_step(&plan->init[i], &ctx, &f) < 0) sync_fail_exit(fds->sync, &f);
  }
  if (ctx.rootfd >= 0) close(ctx.rootfd);
  exec_final(&plan->exec, fds, ctx.host_pid);
}

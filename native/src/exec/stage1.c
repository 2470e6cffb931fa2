#include "stage1.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "affinity.h"
#include "fileio.h"
#include "init.h"
#include "sync.h"
#include "sys.h"

/* clone3 itself refused, not the cgroup: no such system call (before Linux 5.3) or a seccomp
 * filter's answer to it (Docker's and podman's default profiles say ENOSYS, so that glibc falls
 * back to clone). The parent then writes init's pid to the directory's cgroup.procs. */
static int clone3_refused(int err) { return err == ENOSYS || err == EPERM || err == E2BIG; }

static int run_step(const struct plan_step *s, int nsfd, struct tsrun_failure *f) {
  switch (s->op) {
  case OP_SETNS:
    if (setns(nsfd, (int)s->u.setns.nstype) < 0) return fail(f, errno, "setns", s->u.setns.path);
    return 0;
  case OP_UNSHARE:
    if (unshare((int)s->u.unshare.flags) < 0) return fail(f, errno, "unshare", NULL);
    return 0;
  case OP_WRITE_FILE:
    return write_file(s->u.write_file.path, s->u.write_file.data.s, s->u.write_file.data.len, f);
  case OP_SET_AFFINITY: return affinity_set(&s->u.affinity, f);
  default: return fail_because(f, EINVAL, FAILURE_OP_NOT_ALLOWED, NULL, NULL);
  }
}

_Noreturn void stage1_main(const struct tsrun_plan *plan, const struct spawn_fds *fds) {
  /* Before anything else, so that init never holds one of the caller's fds. */
  spawn_fds_close_others(fds);
  struct tsrun_failure f;
  memset(&f, 0, sizeof f);
  f.phase = PHASE_STAGE1;
  for (uint32_t i = 0; i < plan->n_stage1; i++) {
    f.step = i;
    if (run_step(&plan->stage1[i], fds->setns[i], &f) < 0) sync_fail_exit(fds->sync, &f);
  }
  /* Init has no use for the namespace files. */
  for (uint32_t i = 0; i < plan->n_stage1; i++)
    if (fds->setns[i] >= 0) close(fds->setns[i]);

  /* clone3 takes no exit signal with CLONE_PARENT: init then has stage1's own, SIGCHLD. */
  int in_cgroup = fds->cgroup >= 0;
  long pid = in_cgroup ? sys_clone3_fork_into_cgroup(plan->clone_flags | CLONE_PARENT, 0, fds->cgroup)
                       : sys_clone_fork(plan->clone_flags | CLONE_PARENT | SIGCHLD);
  if (in_cgroup && pid < 0 && clone3_refused(errno)) {
    in_cgroup = 0;
    pid = sys_clone_fork(plan->clone_flags | CLONE_PARENT | SIGCHLD);
  }
  if (pid == 0) init_main(plan, fds);
  if (pid < 0) {
    f.step = FAILURE_NO_STEP;
    if (in_cgroup) fail(&f, errno, "clone3(CLONE_INTO_CGROUP)", plan->clone_into_cgroup->dir);
    else fail(&f, errno, "clone", "init");
    sync_fail_exit(fds->sync, &f);
  }
  struct sync_msg msg;
  memset(&msg, 0, sizeof msg);
  msg.type = MSG_PID;
  msg.pid = (int32_t)pid;
  msg.in_cgroup = (uint32_t)in_cgroup;
  if (sync_send(fds->sync, &msg) < 0) {
    /* The parent cannot learn init's pid: do not leave init waiting for a GO never sent. */
    kill((pid_t)pid, SIGKILL);
    _exit(1);
  }
  _exit(0);
}

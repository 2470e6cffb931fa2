/* The parent side of a plan: open what the children need, clone stage1, learn init's pid, run
 * the parent steps, let init go and wait for READY, pausing where init asks for the
 * runtime-namespace hooks (the caller runs them, then resumes or aborts). Runs in the caller
 * (a Node thread or the monitor), so it may allocate; the children it clones never do. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "console.h"
#include "fileio.h"
#include "parent.h"
#include "seccomp_agent.h"
#include "seccomp_compile.h"
#include "stage1.h"
#include "sync.h"
#include "sys.h"
#include "tsrun_exec.h"

struct tsrun_spawn {
  const struct tsrun_plan *plan;
  struct tsrun_failure *f;
  int *setns_fds;
  int fifo_dir;
  int cgroup_dir; /* plan->clone_into_cgroup, opened; -1 without one */
  int sock[2]; /* [0] the parent's end, [1] the children's */
  pid_t init;
  int init_in_cgroup; /* stage1 cloned init into plan->clone_into_cgroup */
};

static int fail_at(struct tsrun_spawn *s, uint32_t phase, uint32_t step, int err, const char *syscall, const char *path) {
  s->f->phase = phase;
  s->f->step = step;
  return fail(s->f, err, syscall, path);
}

/* Keep an fd the children hold above 2 + preserveFds, where exec_final would hand it to the
 * container instead of closing it. */
static int above_preserved(int fd, unsigned floor) {
  if (fd < 0 || (unsigned)fd >= floor) return fd;
  int moved = fcntl(fd, F_DUPFD_CLOEXEC, (int)floor);
  int err = errno;
  close(fd);
  errno = err;
  return moved;
}

static int open_inherited(struct tsrun_spawn *s) {
  const struct tsrun_plan *p = s->plan;
  unsigned floor = 3u + p->exec.preserve_fds;
  for (uint32_t i = 0; i < p->n_stage1; i++) {
    if (p->stage1[i].op != OP_SETNS) continue;
    const char *path = p->stage1[i].u.setns.path;
    s->setns_fds[i] = above_preserved(open(path, O_RDONLY | O_CLOEXEC), floor);
    if (s->setns_fds[i] < 0) return fail_at(s, PHASE_STAGE1, i, errno, "open", path);
  }
  if (p->exec.fifo_dir) {
    s->fifo_dir = above_preserved(open(p->exec.fifo_dir, O_PATH | O_DIRECTORY | O_CLOEXEC), floor);
    if (s->fifo_dir < 0) return fail_at(s, PHASE_EXEC, 0, errno, "open", p->exec.fifo_dir);
  }
  if (p->clone_into_cgroup) {
    const char *dir = p->clone_into_cgroup->dir;
    s->cgroup_dir = above_preserved(open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), floor);
    if (s->cgroup_dir < 0) return fail_at(s, PHASE_STAGE1, FAILURE_NO_STEP, errno, "open", dir);
  }
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, s->sock) < 0)
    return fail_at(s, PHASE_STAGE1, FAILURE_NO_STEP, errno, "socketpair", NULL);
  for (int i = 0; i < 2; i++) {
    s->sock[i] = above_preserved(s->sock[i], floor);
    if (s->sock[i] < 0) return fail_at(s, PHASE_STAGE1, FAILURE_NO_STEP, errno, "fcntl(F_DUPFD_CLOEXEC)", NULL);
  }
  return 0;
}

/* Clone stage1 with every signal blocked, so that no handler of the caller (Node's) runs in
 * the child; the caller's mask is restored at once in the parent. */
static pid_t clone_stage1(struct tsrun_spawn *s) {
  struct spawn_fds fds = {
      .sync = s->sock[1],
      .fifo_dir = s->fifo_dir,
      .setns = s->setns_fds,
      .console = console_socket_fd(s->plan),
      .cgroup = s->cgroup_dir,
      .n_setns = s->plan->n_stage1,
      .first_closed = 3u + s->plan->exec.preserve_fds,
  };
  uint64_t all = ~(uint64_t)0, old;
  sys_sigprocmask(SIG_SETMASK, &all, &old);
  long pid = sys_clone_fork(SIGCHLD);
  if (pid == 0) stage1_main(s->plan, &fds);
  int err = errno;
  sys_sigprocmask(SIG_SETMASK, &old, NULL);
  errno = err;
  return (pid_t)pid;
}

static int reap(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) continue;
  return status;
}

/* A child that went away without a word: how it ended (or why reading from it failed). */
static int fail_silent_exit(struct tsrun_spawn *s, uint32_t phase, int recv_rc, int status) {
  if (recv_rc < 0) return fail_at(s, phase, FAILURE_NO_STEP, errno, "recvmsg", NULL);
  fail_at(s, phase, FAILURE_NO_STEP, EPIPE, NULL, NULL);
  s->f->reason = FAILURE_SILENT_EXIT;
  if (WIFSIGNALED(status)) return failure_number(s->f, FAILURE_NUMBER_signal, WTERMSIG(status));
  return failure_number(s->f, FAILURE_NUMBER_exitStatus, WEXITSTATUS(status));
}

/* stage1 -> parent: init's pid, or stage1's failure. stage1 is reaped either way. */
static int learn_init_pid(struct tsrun_spawn *s, pid_t stage1) {
  struct sync_msg msg;
  int rc = sync_recv(s->sock[0], &msg);
  int recv_errno = errno;
  int status = reap(stage1);
  if (rc == 1 && msg.type == MSG_PID && msg.pid > 0) {
    s->init = msg.pid;
    s->init_in_cgroup = msg.in_cgroup == 1;
    return 0;
  }
  if (rc == 1 && msg.type == MSG_FAILURE) {
    *s->f = msg.failure;
    return -1;
  }
  errno = rc == 1 ? EPROTO : recv_errno;
  return fail_silent_exit(s, PHASE_STAGE1, rc == 1 ? -1 : rc, status);
}

/* GO carries init's pid as the parent sees it: the pid in the state hooks read. */
static int send_go(struct tsrun_spawn *s, uint32_t phase) {
  struct sync_msg msg;
  memset(&msg, 0, sizeof msg);
  msg.type = MSG_GO;
  msg.pid = (int32_t)s->init;
  if (sync_send(s->sock[0], &msg) < 0) return fail_at(s, phase, FAILURE_NO_STEP, errno, "sendmsg", "init");
  return 0;
}

/* Where stage1 could not clone init into its v2 directory: the pid written to cgroup.procs. */
static int place_in_cgroup(struct tsrun_spawn *s) {
  const struct cgroup_dir *into = s->plan->clone_into_cgroup;
  if (!into || s->init_in_cgroup) return 0;
  char procs[PATH_MAX], pid[16];
  if ((size_t)snprintf(procs, sizeof procs, "%s/cgroup.procs", into->dir) >= sizeof procs)
    return fail_at(s, PHASE_PARENT, FAILURE_NO_STEP, ENAMETOOLONG, "write", into->dir);
  int n = snprintf(pid, sizeof pid, "%d", (int)s->init);
  s->f->phase = PHASE_PARENT;
  s->f->step = FAILURE_NO_STEP;
  return write_file(procs, pid, (size_t)n, s->f);
}

static int run_parent_steps(struct tsrun_spawn *s) {
  if (place_in_cgroup(s) < 0) return -1;
  for (uint32_t i = 0; i < s->plan->n_parent; i++) {
    s->f->phase = PHASE_PARENT;
    s->f->step = i;
    if (parent_step(&s->plan->parent[i], s->init, s->f) < 0) return -1;
  }
  return send_go(s, PHASE_PARENT);
}

/* Init loaded a filter with an agent and sent its notify fd: hand it to the agent, then let
 * init go on. The plan holds at most one seccomp step, an init step when it has an agent. */
static int pass_to_seccomp_agent(struct tsrun_spawn *s, int notify_fd) {
  const struct tsrun_plan *p = s->plan;
  uint32_t i = 0;
  while (i < p->n_init && !(p->init[i].op == OP_SECCOMP && p->init[i].u.seccomp.listener_path)) i++;
  int rc;
  if (i == p->n_init || notify_fd < 0) rc = fail_at(s, PHASE_INIT, FAILURE_NO_STEP, EPROTO, "recvmsg", "init");
  else {
    s->f->phase = PHASE_INIT;
    s->f->step = i;
    rc = seccomp_agent_send(&p->init[i].u.seccomp, notify_fd, s->init, s->f);
  }
  if (notify_fd >= 0) close(notify_fd);
  if (rc < 0) return -1;
  memset(s->f, 0, sizeof *s->f);
  return send_go(s, PHASE_INIT);
}

/* 0 on READY, 1 when init waits at a parentHooks step, -1 on failure. */
static int await_ready(struct tsrun_spawn *s) {
  struct sync_msg msg;
  int passed;
  int rc;
  while ((rc = sync_recv_fd(s->sock[0], &msg, &passed)) == 1 && msg.type == MSG_SECCOMP)
    if (pass_to_seccomp_agent(s, passed) < 0) return -1;
  if (passed >= 0) close(passed);
  if (rc == 1 && msg.type == MSG_READY) return 0;
  if (rc == 1 && msg.type == MSG_HOOKS) return 1;
  if (rc == 1 && msg.type == MSG_FAILURE) {
    *s->f = msg.failure;
    return -1;
  }
  int recv_errno = errno;
  /* Init is gone (or speaks nonsense): reap it to say how it ended. */
  kill(s->init, SIGKILL);
  int status = reap(s->init);
  s->init = 0;
  errno = rc == 1 ? EPROTO : recv_errno;
  return fail_silent_exit(s, PHASE_INIT, rc == 1 ? -1 : rc, status);
}

static void close_fd(int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

/* A filter that did not compile fails the spawn before any clone: one loaded after READY
 * could only report it on the container's stderr. */
static int check_seccomp(struct tsrun_spawn *s) {
  const struct tsrun_plan *p = s->plan;
  for (uint32_t i = 0; i < p->n_init; i++) {
    s->f->phase = PHASE_INIT;
    s->f->step = i;
    if (p->init[i].op == OP_SECCOMP && seccomp_filter_check(&p->init[i].u.seccomp, s->f) < 0) return -1;
  }
  s->f->phase = PHASE_EXEC;
  s->f->step = 0;
  if (p->exec.seccomp && seccomp_filter_check(&p->exec.seccomp->u.seccomp, s->f) < 0) return -1;
  return 0;
}

/* Kill and reap init after a failure; free the handle. */
static void finish(struct tsrun_spawn *s, int rc) {
  if (rc < 0 && s->init > 0) {
    kill(s->init, SIGKILL);
    reap(s->init);
  }
  close_fd(&s->sock[0]);
  free(s);
}

/* READY (0), paused for hooks (1, *handle set) or failed (-1), from the wait for READY on. */
static int await_outcome(struct tsrun_spawn *s, pid_t *pid, struct tsrun_spawn **handle) {
  int rc = await_ready(s);
  *pid = rc < 0 ? -1 : s->init;
  if (rc == 1) {
    *handle = s;
    return TSRUN_SPAWN_HOOKS;
  }
  finish(s, rc);
  return rc < 0 ? TSRUN_SPAWN_FAILED : TSRUN_SPAWN_READY;
}

int tsrun_spawn_start(const struct tsrun_plan *plan, struct tsrun_failure *failure, pid_t *pid,
                      struct tsrun_spawn **handle) {
  memset(failure, 0, sizeof *failure);
  *pid = -1;
  *handle = NULL;
  struct tsrun_spawn *s = calloc(1, sizeof *s);
  if (!s) {
    failure->step = FAILURE_NO_STEP;
    fail(failure, ENOMEM, "malloc", NULL);
    return TSRUN_SPAWN_FAILED;
  }
  *s = (struct tsrun_spawn){.plan = plan, .f = failure, .fifo_dir = -1, .cgroup_dir = -1, .sock = {-1, -1}, .init = 0};
  if (check_seccomp(s) < 0) {
    finish(s, -1);
    return TSRUN_SPAWN_FAILED;
  }
  memset(failure, 0, sizeof *failure);
  s->setns_fds = malloc(((size_t)plan->n_stage1 + 1) * sizeof *s->setns_fds);
  if (!s->setns_fds) {
    fail_at(s, PHASE_STAGE1, FAILURE_NO_STEP, ENOMEM, "malloc", NULL);
    finish(s, -1);
    return TSRUN_SPAWN_FAILED;
  }
  for (uint32_t i = 0; i < plan->n_stage1; i++) s->setns_fds[i] = -1;

  int rc = open_inherited(s);
  pid_t stage1 = -1;
  if (rc == 0) {
    stage1 = clone_stage1(s);
    if (stage1 < 0) rc = fail_at(s, PHASE_STAGE1, FAILURE_NO_STEP, errno, "clone", "stage1");
  }
  /* Only the children hold these now; the parent's copies would hide their exit (EOF). */
  close_fd(&s->sock[1]);
  close_fd(&s->fifo_dir);
  close_fd(&s->cgroup_dir);
  for (uint32_t i = 0; i < plan->n_stage1; i++) close_fd(&s->setns_fds[i]);
  free(s->setns_fds);
  s->setns_fds = NULL;

  if (rc == 0) rc = learn_init_pid(s, stage1);
  if (rc == 0) rc = run_parent_steps(s);
  if (rc < 0) {
    finish(s, rc);
    return TSRUN_SPAWN_FAILED;
  }
  return await_outcome(s, pid, handle);
}

int tsrun_spawn_resume(struct tsrun_spawn *s, struct tsrun_failure *failure, pid_t *pid, struct tsrun_spawn **handle) {
  memset(failure, 0, sizeof *failure);
  s->f = failure;
  *handle = NULL;
  *pid = -1;
  if (send_go(s, PHASE_INIT) < 0) {
    finish(s, -1);
    return TSRUN_SPAWN_FAILED;
  }
  return await_outcome(s, pid, handle);
}

void tsrun_spawn_abort(struct tsrun_spawn *s) { finish(s, -1); }

pid_t tsrun_spawn(const struct tsrun_plan *plan, struct tsrun_failure *failure) {
  pid_t pid;
  struct tsrun_spawn *handle;
  int rc = tsrun_spawn_start(plan, failure, &pid, &handle);
  if (rc != TSRUN_SPAWN_HOOKS) return rc == TSRUN_SPAWN_READY ? pid : -1;
  /* Nobody here could run the hooks init stopped for. */
  tsrun_spawn_abort(handle);
  failure->phase = PHASE_INIT;
  failure->step = FAILURE_NO_STEP;
  fail_because(failure, EINVAL, FAILURE_HOOKS_NOT_RUNNABLE, NULL, NULL);
  return -1;
}

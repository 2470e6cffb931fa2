/* The parent side of a plan: open what the children need, clone stage1, learn init's pid, run
 * the parent steps, let init go and wait for READY. Runs in the caller (a Node thread or the
 * monitor), so it may allocate; the children it clones never do. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "parent.h"
#include "stage1.h"
#include "sync.h"
#include "sys.h"
#include "tsrun_exec.h"

struct spawn {
  const struct tsrun_plan *plan;
  struct tsrun_failure *f;
  int *setns_fds;
  int fifo_dir;
  int sock[2]; /* [0] the parent's end, [1] the children's */
  pid_t init;
};

static int fail_at(struct spawn *s, uint32_t phase, uint32_t step, int err, const char *what, const char *path) {
  s->f->phase = phase;
  s->f->step = step;
  return fail(s->f, err, what, path);
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

static int open_inherited(struct spawn *s) {
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
static pid_t clone_stage1(struct spawn *s) {
  struct spawn_fds fds = {
      .sync = s->sock[1],
      .fifo_dir = s->fifo_dir,
      .setns = s->setns_fds,
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

/* A child that went away without a word: say how it ended. */
static int fail_silent_exit(struct spawn *s, uint32_t phase, int recv_rc, int status) {
  char why[96];
  if (recv_rc < 0) snprintf(why, sizeof why, "reading from %s: %s", phase_name(phase), strerrorname_np(errno));
  else if (WIFSIGNALED(status)) snprintf(why, sizeof why, "killed by signal %d", WTERMSIG(status));
  else snprintf(why, sizeof why, "exit status %d", WEXITSTATUS(status));
  return fail_at(s, phase, FAILURE_NO_STEP, EPIPE, "exited without reporting:", why);
}

/* stage1 -> parent: init's pid, or stage1's failure. stage1 is reaped either way. */
static int learn_init_pid(struct spawn *s, pid_t stage1) {
  struct sync_msg msg;
  int rc = sync_recv(s->sock[0], &msg);
  int recv_errno = errno;
  int status = reap(stage1);
  if (rc == 1 && msg.type == MSG_PID && msg.pid > 0) {
    s->init = msg.pid;
    return 0;
  }
  if (rc == 1 && msg.type == MSG_FAILURE) {
    *s->f = msg.failure;
    return -1;
  }
  errno = rc == 1 ? EPROTO : recv_errno;
  return fail_silent_exit(s, PHASE_STAGE1, rc == 1 ? -1 : rc, status);
}

static int run_parent_steps(struct spawn *s) {
  for (uint32_t i = 0; i < s->plan->n_parent; i++) {
    s->f->phase = PHASE_PARENT;
    s->f->step = i;
    if (parent_step(&s->plan->parent[i], s->init, s->f) < 0) return -1;
  }
  if (sync_send_type(s->sock[0], MSG_GO) < 0)
    return fail_at(s, PHASE_PARENT, FAILURE_NO_STEP, errno, "sending GO to init", NULL);
  return 0;
}

static int await_ready(struct spawn *s) {
  struct sync_msg msg;
  int rc = sync_recv(s->sock[0], &msg);
  if (rc == 1 && msg.type == MSG_READY) return 0;
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

pid_t tsrun_spawn(const struct tsrun_plan *plan, struct tsrun_failure *failure) {
  memset(failure, 0, sizeof *failure);
  struct spawn s = {.plan = plan, .f = failure, .fifo_dir = -1, .sock = {-1, -1}, .init = 0};
  s.setns_fds = malloc(((size_t)plan->n_stage1 + 1) * sizeof *s.setns_fds);
  if (!s.setns_fds) {
    fail_at(&s, PHASE_STAGE1, FAILURE_NO_STEP, ENOMEM, "malloc", NULL);
    return -1;
  }
  for (uint32_t i = 0; i < plan->n_stage1; i++) s.setns_fds[i] = -1;

  int rc = open_inherited(&s);
  pid_t stage1 = -1;
  if (rc == 0) {
    stage1 = clone_stage1(&s);
    if (stage1 < 0) rc = fail_at(&s, PHASE_STAGE1, FAILURE_NO_STEP, errno, "clone stage1", NULL);
  }
  /* Only the children hold these now; the parent's copies would hide their exit (EOF). */
  close_fd(&s.sock[1]);
  close_fd(&s.fifo_dir);
  for (uint32_t i = 0; i < plan->n_stage1; i++) close_fd(&s.setns_fds[i]);
  free(s.setns_fds);

  if (rc == 0) rc = learn_init_pid(&s, stage1);
  if (rc == 0) rc = run_parent_steps(&s);
  if (rc == 0) rc = await_ready(&s);
  if (rc < 0 && s.init > 0) {
    kill(s.init, SIGKILL);
    reap(s.init);
  }
  close_fd(&s.sock[0]);
  return rc < 0 ? -1 : s.init;
}

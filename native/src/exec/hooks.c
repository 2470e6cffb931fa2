#include "hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "execfinal.h"
#include "fileio.h"
#include "sys.h"
#include "text.h"

/* A default pipe holds 64 KiB; a bigger state gets a pipe made to fit (root may exceed
 * fs.pipe-max-size), so the whole document is written before the hook starts and nothing
 * blocks on a hook that never reads its stdin. */
#define PIPE_DEFAULT_SIZE 65536u

struct hook_io {
  int in[2];  /* the state: the hook reads [0] */
  int out[2]; /* the hook's stdout and stderr: we read [0] */
  int exec_err[2]; /* close-on-exec: the errno of a failed execve, or nothing */
};

static void close_pair(int p[2]) {
  for (int i = 0; i < 2; i++)
    if (p[i] >= 0) close(p[i]);
  p[0] = p[1] = -1;
}

static int write_state(int fd, const struct run_hooks_step *step, pid_t pid) {
  char num[21];
  txt_u64(num, (uint64_t)pid);
  size_t total = step->state_before.len + txt_len(num) + step->state_after.len;
  if (total > PIPE_DEFAULT_SIZE && fcntl(fd, F_SETPIPE_SZ, (int)total) < 0) return -1;
  if (write_all(fd, step->state_before.s, step->state_before.len) < 0) return -1;
  if (write_all(fd, num, txt_len(num)) < 0) return -1;
  return write_all(fd, step->state_after.s, step->state_after.len);
}

_Noreturn static void exec_hook(const struct hook_cmd *h, struct hook_io *io) {
  if (dup2(io->in[0], 0) < 0 || dup2(io->out[1], 1) < 0 || dup2(io->out[1], 2) < 0) _exit(127);
  if (io->exec_err[1] != 3 && dup3(io->exec_err[1], 3, O_CLOEXEC) < 0) _exit(127);
  sys_close_range(4, ~0u, 0);
  signals_reset_default();
  execve(h->path, h->args, h->env);
  int err = errno;
  write_all(3, &err, sizeof err);
  _exit(127);
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Keep the first `quota` bytes of the hook's output, drop the rest. */
static void read_output(int fd, char *buf, size_t quota, size_t *len) {
  char chunk[512];
  ssize_t n;
  while ((n = read(fd, chunk, sizeof chunk)) > 0) {
    size_t room = quota - *len;
    size_t take = (size_t)n < room ? (size_t)n : room;
    memcpy(buf + *len, chunk, take);
    *len += take;
  }
}

/* Wait for `pid` (through `pidfd`) up to the hook's timeout (0: no limit), collecting the step's
 * quota of its output. 1 when it exited in time (status in *status), 0 when the timeout passed
 * (it is then killed with the step's signal and reaped), -1 with errno. */
static int wait_hook(pid_t pid, int pidfd, int out, const struct hook_cmd *h, const struct run_hooks_step *step, int *status,
                     char *buf, size_t *len) {
  uint32_t timeout = h->timeout;
  int64_t deadline = timeout ? now_ms() + (int64_t)timeout * 1000 : 0;
  int in_time = 1;
  for (;;) {
    int wait_ms = -1;
    if (deadline) {
      int64_t left = deadline - now_ms();
      if (left <= 0) {
        in_time = 0;
        break;
      }
      wait_ms = left > 60000 ? 60000 : (int)left;
    }
    struct pollfd fds[2] = {{.fd = pidfd, .events = POLLIN}, {.fd = out, .events = POLLIN}};
    int rc = poll(fds, out >= 0 ? 2 : 1, wait_ms);
    if (rc < 0 && errno != EINTR) return -1;
    if (rc > 0 && out >= 0 && fds[1].revents) read_output(out, buf, step->output_quoted, len);
    if (rc > 0 && fds[0].revents) break;
  }
  if (!in_time) kill(pid, (int)step->kill_signal);
  while (waitpid(pid, status, 0) < 0)
    if (errno != EINTR) return -1;
  if (out >= 0) read_output(out, buf, step->output_quoted, len);
  return in_time;
}

/* The failure of hook `index` (`path`): `syscall` of the runner, or (errno 0, syscall NULL) the
 * hook itself, how it ended saying the rest. */
static int hook_failed(struct tsrun_failure *f, int err, uint32_t index, const char *path, const char *syscall) {
  fail(f, err, syscall, path);
  return failure_number(f, FAILURE_NUMBER_hook, index);
}

static int hook_ended(struct tsrun_failure *f, uint32_t index, const char *path, enum failure_number how, int64_t n,
                      const char *output, size_t output_len) {
  hook_failed(f, 0, index, path, NULL);
  failure_number(f, how, n);
  return failure_output(f, output, output_len);
}

static int syscall_failed(struct tsrun_failure *f, uint32_t index, const char *path, const char *syscall) {
  return hook_failed(f, errno, index, path, syscall);
}

static int run_one(const struct hook_cmd *h, uint32_t index, const struct run_hooks_step *step, pid_t pid,
                   struct tsrun_failure *f) {
  struct hook_io io = {{-1, -1}, {-1, -1}, {-1, -1}};
  if (pipe2(io.in, O_CLOEXEC) < 0 || pipe2(io.out, O_CLOEXEC | O_NONBLOCK) < 0 || pipe2(io.exec_err, O_CLOEXEC) < 0) {
    syscall_failed(f, index, h->path, "pipe2");
    goto fail;
  }
  if (write_state(io.in[1], step, pid) < 0) {
    syscall_failed(f, index, h->path, "write");
    goto fail;
  }
  close(io.in[1]);
  io.in[1] = -1;
  long child = sys_clone_fork(SIGCHLD);
  if (child < 0) {
    syscall_failed(f, index, h->path, "fork");
    goto fail;
  }
  if (child == 0) exec_hook(h, &io);
  close(io.out[1]);
  close(io.exec_err[1]);
  io.out[1] = io.exec_err[1] = -1;
  int pidfd = sys_pidfd_open((pid_t)child, 0);
  if (pidfd < 0) {
    syscall_failed(f, index, h->path, "pidfd_open");
    kill((pid_t)child, SIGKILL);
    waitpid((pid_t)child, NULL, 0);
    goto fail;
  }
  int status = 0;
  char output[PLAN_MAX_HOOK_OUTPUT_QUOTED];
  size_t output_len = 0;
  int rc = wait_hook((pid_t)child, pidfd, io.out[0], h, step, &status, output, &output_len);
  int err = errno, exec_errno = 0;
  int exec_failed = rc > 0 && read(io.exec_err[0], &exec_errno, sizeof exec_errno) == sizeof exec_errno;
  close(pidfd);
  close_pair(io.in);
  close_pair(io.out);
  close_pair(io.exec_err);
  errno = err;
  if (rc < 0) return syscall_failed(f, index, h->path, "wait");
  if (exec_failed) return hook_failed(f, exec_errno, index, h->path, "execve");
  if (rc == 0) return hook_ended(f, index, h->path, FAILURE_NUMBER_timeout, h->timeout, output, output_len);
  if (WIFSIGNALED(status)) return hook_ended(f, index, h->path, FAILURE_NUMBER_signal, WTERMSIG(status), output, output_len);
  if (WEXITSTATUS(status) != 0) return hook_ended(f, index, h->path, FAILURE_NUMBER_exitStatus, WEXITSTATUS(status), output, output_len);
  return 0;
fail:
  err = errno;
  close_pair(io.in);
  close_pair(io.out);
  close_pair(io.exec_err);
  errno = err;
  return -1;
}

int hooks_run(const struct run_hooks_step *step, pid_t pid, struct tsrun_failure *f) {
  for (uint32_t i = 0; i < step->n_hooks; i++)
    if (run_one(&step->hooks[i], i, step, pid, f) < 0) return -1;
  return 0;
}

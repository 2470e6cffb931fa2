#include "execfinal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/close_range.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "hooks.h"
#include "seccomp_compile.h"
#include "sync.h"
#include "sys.h"
#include "text.h"

/* Node ignores SIGPIPE and has handlers and a mask of its own; none of it may reach the
 * container (an ignored signal survives execve). */
void signals_reset_default(void) {
  for (int sig = 1; sig <= KERNEL_NSIG; sig++)
    if (sig != SIGKILL && sig != SIGSTOP) sys_sigaction_default(sig);
  uint64_t none = 0;
  sys_sigprocmask(SIG_SETMASK, &none, NULL);
}

/* The container's stdio is the caller's, which Node keeps close-on-exec and may have made
 * non-blocking: it must survive execve, and a program expects blocking stdio. */
static void prepare_stdio(void) {
  for (int fd = 0; fd <= 2; fd++) {
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0) continue;
    if (fl & O_NONBLOCK) fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    fcntl(fd, F_SETFD, 0);
  }
}

static int limit_fds(uint32_t preserve_fds, struct tsrun_failure *f) {
  unsigned first_closed = 3u + preserve_fds;
  if (sys_close_range(first_closed, ~0u, CLOSE_RANGE_CLOEXEC) < 0) return fail(f, errno, "close_range", NULL);
  for (unsigned fd = 3; fd < first_closed; fd++) fcntl((int)fd, F_SETFD, 0);
  return 0;
}

/* 0 when `path` is a regular file the process may execute, else the errno execve would give. */
static int check_executable(const char *path) {
  struct stat st;
  if (stat(path, &st) < 0) return errno;
  if (!S_ISREG(st.st_mode)) return EACCES;
  if (sys_faccessat2(AT_FDCWD, path, X_OK, AT_EACCESS) < 0) return errno;
  return 0;
}

/* execvp's search: a name with a '/' is used as it is, else each directory of `search_path`
 * in turn ("" meaning the current one); EACCES if something was found but not executable. */
static int lookup(const char *file, const char *search_path, char out[PATH_MAX]) {
  if (file[0] == '\0') return ENOENT;
  if (strchr(file, '/')) {
    if (txt_len(file) >= PATH_MAX) return ENAMETOOLONG;
    int err = check_executable(file);
    if (err == 0) txt_append(out, out + PATH_MAX, file);
    return err;
  }
  int seen_eacces = 0;
  const char *p = search_path;
  for (;;) {
    const char *end = p;
    while (*end && *end != ':') end++;
    char dir[PATH_MAX];
    size_t dir_len = (size_t)(end - p);
    if (dir_len == 0) {
      dir[0] = '.';
      dir_len = 1;
    } else if (dir_len < PATH_MAX) {
      memcpy(dir, p, dir_len);
    }
    if (dir_len + 1 + txt_len(file) < PATH_MAX) {
      dir[dir_len] = '\0';
      char *pos = txt_append(out, out + PATH_MAX, dir);
      pos = txt_append(pos, out + PATH_MAX, "/");
      txt_append(pos, out + PATH_MAX, file);
      int err = check_executable(out);
      if (err == 0) return 0;
      if (err == EACCES) seen_eacces = 1;
    }
    if (*end == '\0') break;
    p = end + 1;
  }
  return seen_eacces ? EACCES : ENOENT;
}

/* After READY nobody listens on the sync socket: say what failed on the container's stderr,
 * `why` (if any) after the errno. `err` 0: `path` says it all; `path` NULL: `what` does. */
_Noreturn static void die_after_ready_because(const char *what, const char *path, int err, const char *why) {
  char msg[3 * PATH_MAX + 512];
  char *end = msg + sizeof msg;
  const char *name = strerrorname_np(err); /* a table lookup: safe here */
  char *pos = txt_append(msg, end, "tsrun: ");
  pos = txt_append(pos, end, what);
  if (path) {
    pos = txt_append(pos, end, " ");
    pos = txt_append(pos, end, path);
  }
  if (err) {
    pos = txt_append(pos, end, ": ");
    pos = txt_append(pos, end, name ? name : "unknown error");
  }
  if (why) {
    pos = txt_append(pos, end, " (");
    pos = txt_append(pos, end, why);
    pos = txt_append(pos, end, ")");
  }
  pos = txt_append(pos, end, "\n");
  write_all(2, msg, (size_t)(pos - msg));
  _exit(127);
}

_Noreturn static void die_after_ready(const char *what, const char *path, int err) {
  die_after_ready_because(what, path, err, NULL);
}

_Noreturn static void die_after_ready_failure(const char *what, const struct tsrun_failure *f) {
  char text[2 * PATH_MAX + 512];
  failure_format(f, text, text + sizeof text);
  die_after_ready(what, text, f->err);
}

static void exit_on_signal(int sig) { _exit(128 + sig); }

/* A created container's init dies of the plan's exitSignals: as pid 1 of its pid namespace it
 * would otherwise ignore `tsrun kill ID` (SIGTERM) until start. glibc's sigaction supplies the
 * restorer the kernel needs for a handler, and is safe here. */
static void exit_on_signals(const struct exec_spec *e) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = exit_on_signal;
  for (uint32_t i = 0; i < e->n_exit_signals; i++) sigaction((int)e->exit_signals[i], &sa, NULL);
}

/* startContainer hooks, in the container after the root change and the credential change. */
static void run_start_hooks(const struct exec_spec *e, pid_t host_pid) {
  if (!e->start_hooks) return;
  struct tsrun_failure f;
  memset(&f, 0, sizeof f);
  if (hooks_run(&e->start_hooks->u.hooks, host_pid, &f) < 0) die_after_ready_failure("startContainer hook", &f);
}

/* The container's resource limits, as late as can be: a limit the user chose (RLIMIT_NOFILE 0,
 * RLIMIT_NPROC 1) must not break the fifo, the hooks or anything else of the runtime's own.
 * Nothing after them opens an fd, forks or maps memory. */
static void set_rlimits(const struct exec_spec *e) {
  for (uint32_t i = 0; i < e->n_rlimits; i++) {
    const struct exec_rlimit *r = &e->rlimits[i];
    if (sys_prlimit((int)r->step.u.rlimit.resource, r->step.u.rlimit.soft, r->step.u.rlimit.hard) < 0)
      die_after_ready(r->message, NULL, errno);
  }
}

/* Wait on the fifo until `start`, run the startContainer hooks, set the limits, then write the
 * byte `start` waits for: so `start` returns after those and fails when one fails (init is gone
 * without the byte). The handlers end at the byte: signals are blocked before it is written
 * and the defaults restored before they are unblocked, so once start has returned a signal
 * meets the container's own dispositions only. */
static void wait_for_start(const struct exec_spec *e, int fifo_dir, pid_t host_pid) {
  exit_on_signals(e);
  int fd;
  do fd = openat(fifo_dir, e->fifo_name, O_WRONLY | O_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) die_after_ready("open exec fifo", e->fifo_name, errno);
  uint64_t all = ~(uint64_t)0;
  sys_sigprocmask(SIG_SETMASK, &all, NULL);
  run_start_hooks(e, host_pid);
  set_rlimits(e);
  if (write_all(fd, "0", 1) < 0) die_after_ready("write exec fifo", e->fifo_name, errno);
  close(fd);
  signals_reset_default();
}

_Noreturn void exec_final(const struct exec_spec *e, const struct spawn_fds *fds, pid_t host_pid) {
  struct tsrun_failure f;
  memset(&f, 0, sizeof f);
  f.phase = PHASE_EXEC;
  signals_reset_default();
  prepare_stdio();
  if (limit_fds(e->preserve_fds, &f) < 0) sync_fail_exit(fds->sync, &f);
  char path[PATH_MAX];
  int err = lookup(e->args[0], e->search_path, path);
  if (err) {
    fail(&f, err, "exec", e->args[0]);
    sync_fail_exit(fds->sync, &f);
  }
  if (sync_send_type(fds->sync, MSG_READY) < 0) _exit(1);
  if (e->fifo_name) wait_for_start(e, fds->fifo_dir, host_pid);
  else {
    run_start_hooks(e, host_pid);
    set_rlimits(e);
  }
  /* Nothing but execve after the filter: the profile need allow nothing else. */
  if (e->seccomp && seccomp_filter_load(&e->seccomp->u.seccomp, NULL, &f) < 0) die_after_ready_failure("load seccomp filter:", &f);
  execve(path, e->args, e->env);
  if (!e->seccomp) die_after_ready("exec", path, errno);
  /* The message may not get out (the profile may deny write, even exit): nothing else can. */
  err = errno;
  char quoted[PATH_MAX + 2];
  char *pos = txt_append(quoted, quoted + sizeof quoted, "\"");
  txt_append(txt_append(pos, quoted + sizeof quoted, path), quoted + sizeof quoted, "\"");
  die_after_ready_because("exec", quoted, err, "after the seccomp filter was loaded: the profile must allow execve");
}

/* `tsrun start`: open the exec fifo for reading, which lets init's blocked open for writing
 * complete; init then writes one byte and goes on to execve. The wait also watches init
 * through a pidfd, so an init that dies first is an error instead of a hang. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "sys.h"
#include "tsrun_exec.h"

static int fail_at(struct tsrun_failure *f, int err, enum failure_reason reason, const char *syscall, const char *path) {
  f->phase = PHASE_RELEASE;
  f->step = FAILURE_NO_STEP;
  fail_because(f, err, reason, syscall, path);
  errno = err;
  return -1;
}

/* 1 when the byte was read, 0 when nothing is there yet, -1 with errno. */
static int read_start_byte(int fd) {
  char byte;
  ssize_t n;
  do n = read(fd, &byte, 1);
  while (n < 0 && errno == EINTR);
  if (n == 1) return 1;
  if (n < 0 && errno == EAGAIN) return 0;
  if (n == 0) errno = EPIPE; /* the writer was there and left without writing */
  return -1;
}

int tsrun_release(const char *fifo_path, pid_t pid, struct tsrun_failure *f) {
  int pidfd = sys_pidfd_open(pid, 0);
  if (pidfd < 0) {
    fail_at(f, errno, FAILURE_NONE, "pidfd_open", NULL);
    return failure_number(f, FAILURE_NUMBER_value, pid);
  }
  int fifo = open(fifo_path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fifo < 0) {
    int e = errno;
    close(pidfd);
    return fail_at(f, e, FAILURE_NONE, "open", fifo_path);
  }
  int rc = -1;
  for (;;) {
    struct pollfd fds[2] = {{.fd = fifo, .events = POLLIN}, {.fd = pidfd, .events = POLLIN}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      fail_at(f, errno, FAILURE_NONE, "poll", fifo_path);
      break;
    }
    /* The fifo first: init may write its byte, exec and exit before we look. */
    int got = read_start_byte(fifo);
    if (got == 1) {
      rc = 0;
      break;
    }
    int read_errno = errno;
    if (fds[1].revents) {
      fail_at(f, ESRCH, FAILURE_INIT_EXITED, NULL, fifo_path);
      failure_number(f, FAILURE_NUMBER_value, pid);
      break;
    }
    /* Without a writer read() says EOF; that only means something once a writer has come and
     * gone (POLLHUP). */
    if (got < 0 && read_errno == EPIPE && (fds[0].revents & POLLHUP)) {
      fail_at(f, EPIPE, FAILURE_INIT_CLOSED_FIFO, NULL, fifo_path);
      failure_number(f, FAILURE_NUMBER_value, pid);
      break;
    }
    if (got < 0 && read_errno != EPIPE) {
      fail_at(f, read_errno, FAILURE_NONE, "read", fifo_path);
      break;
    }
  }
  int e = errno;
  close(fifo);
  close(pidfd);
  errno = e;
  return rc;
}

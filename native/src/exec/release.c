/* `tsrun start`: open the exec fifo for reading, which lets init's blocked open for writing
 * complete; init then writes one byte and goes on to execve. The wait also watches init
 * through a pidfd, so an init that dies first is an error instead of a hang. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sys.h"
#include "tsrun_exec.h"

static int fail_errno(char *err, size_t errlen, int e, const char *what, const char *path) {
  snprintf(err, errlen, "%s %s: %s", what, path, strerrorname_np(e));
  errno = e;
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

int tsrun_release(const char *fifo_path, pid_t pid, char *err, size_t errlen) {
  int pidfd = sys_pidfd_open(pid, 0);
  if (pidfd < 0) {
    int e = errno;
    snprintf(err, errlen, "container init (pid %d): pidfd_open: %s", (int)pid, strerrorname_np(e));
    errno = e;
    return -1;
  }
  int fifo = open(fifo_path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fifo < 0) {
    int e = errno;
    close(pidfd);
    return fail_errno(err, errlen, e, "open exec fifo", fifo_path);
  }
  int rc = -1;
  for (;;) {
    struct pollfd fds[2] = {{.fd = fifo, .events = POLLIN}, {.fd = pidfd, .events = POLLIN}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      fail_errno(err, errlen, errno, "poll exec fifo", fifo_path);
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
      snprintf(err, errlen, "container init (pid %d) exited before it was started (exec fifo %s)", (int)pid,
               fifo_path);
      errno = ESRCH;
      break;
    }
    /* Without a writer read() says EOF; that only means something once a writer has come and
     * gone (POLLHUP). */
    if (got < 0 && read_errno == EPIPE && (fds[0].revents & POLLHUP)) {
      snprintf(err, errlen, "exec fifo %s: closed by container init (pid %d) without the start byte", fifo_path,
               (int)pid);
      errno = EPIPE;
      break;
    }
    if (got < 0 && read_errno != EPIPE) {
      fail_errno(err, errlen, read_errno, "read exec fifo", fifo_path);
      break;
    }
  }
  int e = errno;
  close(fifo);
  close(pidfd);
  errno = e;
  return rc;
}

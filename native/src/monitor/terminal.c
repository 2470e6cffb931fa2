/* The container's terminal (--terminal): the plan's console step makes the pty inside the
 * container and sends its master over a socket pair whose other end the monitor holds; the
 * monitor then reads the master as the container's output, writes stdin to it, and sizes it. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "monitor.h"

/* A connected pair; pair[1] is moved to MON_CONSOLE_FD (where the plan expects it, replacing
 * the placeholder main() reserved there). */
int terminal_prepare(int pair[2]) {
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0) return -1;
  if (pair[1] != MON_CONSOLE_FD) {
    if (dup3(pair[1], MON_CONSOLE_FD, O_CLOEXEC) < 0) {
      int err = errno;
      close(pair[0]);
      close(pair[1]);
      errno = err;
      return -1;
    }
    close(pair[1]);
    pair[1] = MON_CONSOLE_FD;
  }
  return 0;
}

/* The master the console step sent (SCM_RIGHTS), non-blocking and close-on-exec; -1 and errno. */
int terminal_receive(int own_end) {
  char name[64];
  union {
    struct cmsghdr h;
    char buf[CMSG_SPACE(sizeof(int))];
  } control;
  struct iovec iov = {.iov_base = name, .iov_len = sizeof name};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof control.buf};
  ssize_t n;
  do n = recvmsg(own_end, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
  while (n < 0 && errno == EINTR);
  if (n < 0) return -1;
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  if (n == 0 || !c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(sizeof(int))) {
    errno = EPROTO;
    return -1;
  }
  int master;
  memcpy(&master, CMSG_DATA(c), sizeof master);
  int fl = fcntl(master, F_GETFL);
  if (fl < 0 || fcntl(master, F_SETFL, fl | O_NONBLOCK) < 0) {
    int err = errno;
    close(master);
    errno = err;
    return -1;
  }
  return master;
}

int terminal_resize(int master, uint16_t cols, uint16_t rows) {
  struct winsize ws = {.ws_row = rows, .ws_col = cols};
  return ioctl(master, TIOCSWINSZ, &ws);
}

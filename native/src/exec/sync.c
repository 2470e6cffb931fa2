#include "sync.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int sync_send(int fd, const struct sync_msg *msg) {
  ssize_t n;
  do n = send(fd, msg, sizeof *msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0) return -1;
  if ((size_t)n != sizeof *msg) {
    errno = EPROTO;
    return -1;
  }
  return 0;
}

int sync_send_type(int fd, uint32_t type) {
  struct sync_msg msg;
  memset(&msg, 0, sizeof msg);
  msg.type = type;
  return sync_send(fd, &msg);
}

int sync_recv(int fd, struct sync_msg *msg) {
  ssize_t n;
  do n = recv(fd, msg, sizeof *msg, MSG_TRUNC);
  while (n < 0 && errno == EINTR);
  if (n < 0) return -1;
  if (n == 0) return 0;
  if ((size_t)n != sizeof *msg) {
    errno = EPROTO;
    return -1;
  }
  msg->failure.detail[sizeof msg->failure.detail - 1] = '\0';
  return 1;
}

_Noreturn void sync_fail_exit(int fd, const struct tsrun_failure *f) {
  struct sync_msg msg;
  memset(&msg, 0, sizeof msg);
  msg.type = MSG_FAILURE;
  msg.failure = *f;
  sync_send(fd, &msg);
  _exit(1);
}

#include "sync.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* What a send of one sync_msg that returned n comes to: 0 all of it went, -1 (errno; EPROTO for
 * a part of it) not. */
static int sent_whole(ssize_t n) {
  if (n < 0) return -1;
  if ((size_t)n != sizeof(struct sync_msg)) {
    errno = EPROTO;
    return -1;
  }
  return 0;
}

/* What a receive of one sync_msg that returned n comes to: 1 a whole message (its failure's
 * texts terminated), 0 end of stream, -1 (errno; EPROTO for a message of another size) an error. */
static int received_whole(ssize_t n, struct sync_msg *msg) {
  if (n < 0) return -1;
  if (n == 0) return 0;
  if ((size_t)n != sizeof *msg) {
    errno = EPROTO;
    return -1;
  }
  struct tsrun_failure *f = &msg->failure;
  f->syscall[sizeof f->syscall - 1] = f->path[sizeof f->path - 1] = '\0';
#define TERMINATE_TEXT(name, size) f->name[size - 1] = '\0';
  TSRUN_FAILURE_TEXTS(TERMINATE_TEXT)
#undef TERMINATE_TEXT
  return 1;
}

int sync_send(int fd, const struct sync_msg *msg) {
  ssize_t n;
  do n = send(fd, msg, sizeof *msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  return sent_whole(n);
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
  return received_whole(n, msg);
}

ssize_t send_with_fd(int sock, const void *data, size_t len, int passed) {
  struct iovec iov = {(void *)data, len};
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int))];
  } ctl;
  memset(&ctl, 0, sizeof ctl);
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf};
  struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &passed, sizeof passed);
  ssize_t n;
  do n = sendmsg(sock, &mh, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  return n;
}

int sync_send_fd(int fd, uint32_t type, int passed) {
  struct sync_msg msg;
  memset(&msg, 0, sizeof msg);
  msg.type = type;
  return sent_whole(send_with_fd(fd, &msg, sizeof msg, passed));
}

int sync_recv_fd(int fd, struct sync_msg *msg, int *passed) {
  *passed = -1;
  struct iovec iov = {msg, sizeof *msg};
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int))];
  } ctl;
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf};
  ssize_t n;
  do n = recvmsg(fd, &mh, MSG_TRUNC | MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0) return -1;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int)))
      memcpy(passed, CMSG_DATA(c), sizeof *passed);
  return received_whole(n, msg);
}

_Noreturn void sync_fail_exit(int fd, const struct tsrun_failure *f) {
  struct sync_msg msg;
  memset(&msg, 0, sizeof msg);
  msg.type = MSG_FAILURE;
  msg.failure = *f;
  sync_send(fd, &msg);
  _exit(1);
}

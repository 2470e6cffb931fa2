#include "seccomp_agent.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "seccomp_compile.h"
#include "sync.h"

int seccomp_step_run(const struct seccomp_step *step, int sync, struct tsrun_failure *f) {
  int notify_fd = -1;
  if (seccomp_filter_load(step, &notify_fd, f) < 0) return -1;
  if (!step->listener_path) return 0;
  int rc = sync_send_fd(sync, MSG_SECCOMP, notify_fd);
  int err = errno;
  close(notify_fd);
  if (rc < 0) return fail_because(f, err, FAILURE_PARENT, "sendmsg", NULL);
  struct sync_msg msg;
  if (sync_recv(sync, &msg) == 1 && msg.type == MSG_GO) return 0;
  _exit(1);
}

/* The document: parts[0] pid parts[1] pid ... parts[n-1]. malloc'd; NULL with errno. */
static char *join_with_pid(const struct seccomp_step *step, pid_t pid, size_t *len) {
  char num[16];
  int num_len = snprintf(num, sizeof num, "%d", (int)pid);
  size_t total = 0;
  for (uint32_t i = 0; i < step->n_listener_parts; i++) total += strlen(step->listener_parts[i]) + (size_t)num_len;
  char *doc = malloc(total + 1);
  if (!doc) return NULL;
  char *pos = doc;
  for (uint32_t i = 0; i < step->n_listener_parts; i++) {
    if (i > 0) pos = (char *)memcpy(pos, num, (size_t)num_len) + num_len;
    size_t part = strlen(step->listener_parts[i]);
    pos = (char *)memcpy(pos, step->listener_parts[i], part) + part;
  }
  *pos = '\0';
  *len = (size_t)(pos - doc);
  return doc;
}

static int connect_agent(const char *path, struct tsrun_failure *f) {
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  if (strlen(path) >= sizeof addr.sun_path) return fail_because(f, ENAMETOOLONG, FAILURE_SECCOMP_AGENT, "connect", path);
  memcpy(addr.sun_path, path, strlen(path));
  int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return fail(f, errno, "socket", NULL);
  int rc;
  do rc = connect(sock, (struct sockaddr *)&addr, sizeof addr);
  while (rc < 0 && errno == EINTR);
  if (rc < 0) {
    int err = errno;
    close(sock);
    return fail_because(f, err, FAILURE_SECCOMP_AGENT, "connect", path);
  }
  return sock;
}

/* The fd goes with the first bytes; the rest of a long document follows. */
static int send_document(int sock, const char *doc, size_t len, int notify_fd) {
  ssize_t n = send_with_fd(sock, doc, len, notify_fd);
  if (n < 0) return -1;
  for (size_t sent = (size_t)n; sent < len; sent += (size_t)n) {
    do n = send(sock, doc + sent, len - sent, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n < 0) return -1;
  }
  return 0;
}

int seccomp_agent_send(const struct seccomp_step *step, int notify_fd, pid_t pid, struct tsrun_failure *f) {
  size_t len = 0;
  char *doc = join_with_pid(step, pid, &len);
  if (!doc) return fail(f, ENOMEM, "malloc", NULL);
  int sock = connect_agent(step->listener_path, f);
  if (sock < 0) {
    free(doc);
    return -1;
  }
  int rc = send_document(sock, doc, len, notify_fd);
  int err = errno;
  free(doc);
  close(sock);
  if (rc < 0) return fail_because(f, err, FAILURE_SECCOMP_AGENT, "sendmsg", step->listener_path);
  return 0;
}

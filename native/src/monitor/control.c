/* The control socket: accept tsrund's connections, cut their byte streams into frames, send
 * replies and events. A client that does not read what it is sent (its socket buffer is full)
 * is dropped rather than allowed to stall the monitor. */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "monitor.h"

int control_listen(void) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  memcpy(addr.sun_path, MON_SOCKET_FILE, sizeof MON_SOCKET_FILE);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  unlink(MON_SOCKET_FILE); /* a stale socket of a monitor that died */
  /* Mode 0600 from the start: no window in which another user could connect. */
  mode_t old = umask(0177);
  int rc = bind(fd, (struct sockaddr *)&addr, sizeof addr);
  umask(old);
  if (rc < 0 || listen(fd, MON_MAX_CLIENTS) < 0) {
    int err = errno;
    close(fd);
    errno = err;
    return -1;
  }
  return fd;
}

static void drop(struct client *c) {
  if (c->fd >= 0) close(c->fd);
  c->fd = -1;
  c->blocked = 0;
  c->len = 0;
}

void control_send(struct client *c, uint8_t type, const char *payload, size_t len) {
  /* Room for a failure record naming a path (REPLY_FAILURE). */
  unsigned char frame[MON_FRAME_HEADER + 2 * PATH_MAX + 512];
  if (c->fd < 0) return;
  if (len > sizeof frame - MON_FRAME_HEADER) len = sizeof frame - MON_FRAME_HEADER;
  frame[0] = type;
  for (int i = 0; i < 4; i++) frame[1 + i] = (unsigned char)(len >> (8 * i));
  memcpy(frame + MON_FRAME_HEADER, payload, len);
  size_t total = MON_FRAME_HEADER + len;
  ssize_t n;
  do n = send(c->fd, frame, total, MSG_NOSIGNAL | MSG_DONTWAIT);
  while (n < 0 && errno == EINTR);
  if (n != (ssize_t)total) drop(c);
}

void control_broadcast(struct monitor *m, uint8_t type, const char *payload) {
  for (int i = 0; i < MON_MAX_CLIENTS; i++) control_send(&m->clients[i], type, payload, strlen(payload));
}

/* A new client learns the state at once: created, and the exit when it happened already. */
void control_accept(struct monitor *m) {
  for (;;) {
    int fd = accept4(m->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) return; /* EAGAIN, or a connection that went away before it was accepted */
    struct client *c = NULL;
    for (int i = 0; i < MON_MAX_CLIENTS && !c; i++)
      if (m->clients[i].fd < 0) c = &m->clients[i];
    if (!c) {
      close(fd);
      continue;
    }
    c->fd = fd;
    c->len = 0;
    c->blocked = 0;
    control_send(c, EVENT_CREATED, m->created_json, strlen(m->created_json));
    if (m->init_exited) control_send(c, EVENT_EXIT, m->exit_json, strlen(m->exit_json));
  }
}

static uint32_t le32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void control_process(struct monitor *m, struct client *c) {
  size_t off = 0;
  while (c->fd >= 0 && c->len - off >= MON_FRAME_HEADER) {
    uint32_t len = le32(c->buf + off + 1);
    if (len > MON_MAX_PAYLOAD) {
      static const char msg[] = "frame longer than 32768 bytes";
      control_send(c, REPLY_ERROR, msg, sizeof msg - 1);
      drop(c);
      return;
    }
    if (c->len - off < MON_FRAME_HEADER + len) break;
    if (handle_request(m, c, c->buf[off], c->buf + off + MON_FRAME_HEADER, len) == REQUEST_BLOCKED) {
      c->blocked = 1;
      break;
    }
    off += MON_FRAME_HEADER + len;
  }
  if (c->fd < 0 || off == 0) return;
  memmove(c->buf, c->buf + off, c->len - off);
  c->len -= off;
}

void control_read(struct monitor *m, struct client *c) {
  ssize_t n;
  do n = read(c->fd, c->buf + c->len, sizeof c->buf - c->len);
  while (n < 0 && errno == EINTR);
  if (n < 0 && errno == EAGAIN) return;
  if (n <= 0) {
    drop(c);
    return;
  }
  c->len += (size_t)n;
  control_process(m, c);
}

void control_close_all(struct monitor *m) {
  for (int i = 0; i < MON_MAX_CLIENTS; i++) drop(&m->clients[i]);
}

/* The monitor's life after the container was created: one poll() loop over the signalfd
 * (SIGCHLD), the control socket and its clients, the container's output pipes and its stdin. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "monitor.h"
#include "report.h"

#define READ_CHUNK 8192
/* Reads per stream and loop round: a container flooding one stream cannot starve the rest. */
#define READS_PER_ROUND 16
/* Reads when the init exited: what it wrote last is in the pipes already (64 KiB each by
 * default); a process it left behind may write on, so this is bounded too. */
#define READS_AT_EXIT 64

static void read_output(struct monitor *m, int *fd, enum log_stream stream, int max_reads) {
  char buf[READ_CHUNK];
  while (*fd >= 0 && max_reads-- > 0) {
    ssize_t n = read(*fd, buf, sizeof buf);
    if (n > 0) {
      log_output(m, stream, buf, (size_t)n);
      continue;
    }
    if (n < 0 && errno == EINTR) {
      max_reads++;
      continue;
    }
    if (n < 0 && errno == EAGAIN) return;
    close(*fd); /* EOF: every process of the container closed the stream */
    *fd = -1;
    log_stream_ended(m, stream);
  }
}

static void unblock_clients(struct monitor *m) {
  for (int i = 0; i < MON_MAX_CLIENTS; i++) {
    struct client *c = &m->clients[i];
    if (c->fd >= 0 && c->blocked) {
      c->blocked = 0;
      control_process(m, c);
    }
  }
}

static void close_stdin(struct monitor *m) {
  if (m->in_fd >= 0) close(m->in_fd);
  m->in_fd = -1;
  m->in_len = 0;
}

/* Write what is buffered without blocking; the container reads at its own pace. */
static void flush_stdin(struct monitor *m) {
  while (m->in_fd >= 0 && m->in_len > 0) {
    ssize_t n = write(m->in_fd, m->in_buf, m->in_len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n < 0) {
      close_stdin(m); /* EPIPE: nobody in the container holds stdin any more */
      return;
    }
    memmove(m->in_buf, m->in_buf + n, m->in_len - (size_t)n);
    m->in_len -= (size_t)n;
  }
}

static void reply_error(struct client *c, const char *msg) { control_send(c, REPLY_ERROR, msg, strlen(msg)); }

/* A failed system call as REPLY_FAILURE: the failure record of no step, phase monitor. */
static void reply_failure(struct client *c, const char *syscall, const char *path) {
  static char json[2 * PATH_MAX + 512];
  static struct tsrun_failure f;
  f.phase = PHASE_MONITOR;
  f.step = FAILURE_NO_STEP;
  fail_because(&f, errno, FAILURE_NONE, syscall, path);
  size_t n = mon_failure_json(json, sizeof json, &f);
  control_send(c, REPLY_FAILURE, json, n);
}

static void kill_init(struct monitor *m) {
  /* Not reaped yet, so the pid is still the init's. */
  if (!m->init_exited) kill(m->init, SIGKILL);
}

int handle_request(struct monitor *m, struct client *c, uint8_t type, const unsigned char *payload, size_t len) {
  switch (type) {
  case REQ_STDIN:
    if (m->in_fd < 0) {
      reply_error(c, MON_STDIN_CLOSED);
      return REQUEST_DONE;
    }
    if (MON_STDIN_BUFFER - m->in_len < len) return REQUEST_BLOCKED;
    memcpy(m->in_buf + m->in_len, payload, len);
    m->in_len += len;
    flush_stdin(m);
    if (m->in_fd < 0) reply_error(c, MON_STDIN_CLOSED ": no process of the container reads it");
    else control_send(c, REPLY_OK, "", 0);
    return REQUEST_DONE;
  case REQ_CLOSE_STDIN:
    /* The reply says every byte accepted before is in the container's stdin: until the buffer
     * is written the request waits like stdin data that finds the buffer full. */
    flush_stdin(m);
    if (m->in_fd >= 0 && m->in_len > 0) return REQUEST_BLOCKED;
    close_stdin(m);
    control_send(c, REPLY_OK, "", 0);
    return REQUEST_DONE;
  case REQ_RESIZE:
    if (m->pty_fd < 0) reply_error(c, "the container has no terminal");
    else if (len != 4) reply_error(c, "a resize is u16 cols, u16 rows");
    else if (terminal_resize(m->pty_fd, (uint16_t)(payload[0] | payload[1] << 8), (uint16_t)(payload[2] | payload[3] << 8)) < 0) {
      char msg[64];
      const char *name = strerrorname_np(errno);
      snprintf(msg, sizeof msg, "ioctl(TIOCSWINSZ): %s", name ? name : "EUNKNOWN");
      reply_error(c, msg);
    } else control_send(c, REPLY_OK, "", 0);
    return REQUEST_DONE;
  case REQ_REOPEN_LOG:
    if (log_reopen(m) < 0) reply_failure(c, "open", m->log_path);
    else control_send(c, REPLY_OK, "", 0);
    return REQUEST_DONE;
  case REQ_RELEASE:
    m->released = 1;
    kill_init(m);
    control_send(c, REPLY_OK, "", 0);
    return REQUEST_DONE;
  default: {
    char msg[48];
    snprintf(msg, sizeof msg, "unknown request type %u", (unsigned)type);
    reply_error(c, msg);
    return REQUEST_DONE;
  }
  }
}

static void record_exit(struct monitor *m, int status) {
  mon_trace("running, to the init's exit");
  read_output(m, &m->out_fd, LOG_STDOUT, READS_AT_EXIT);
  read_output(m, &m->err_fd, LOG_STDERR, READS_AT_EXIT);
  char at[MON_TIMESTAMP_LEN], sig[12] = "null";
  mon_timestamp(at);
  int code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) {
    snprintf(sig, sizeof sig, "%d", WTERMSIG(status));
    code = 128 + WTERMSIG(status);
  }
  snprintf(m->exit_json, sizeof m->exit_json, "{\"pid\":%d,\"exitStatus\":%d,\"signal\":%s,\"exitedAt\":\"%s\"}",
           (int)m->init, code, sig, at);
  /* Without the file a restarted tsrund could not learn the exit if this monitor died later;
   * there is nothing better to do about a failure than to go on telling connected clients. */
  mon_trace("exit: the output left");
  (void)mon_write_atomic(MON_EXIT_FILE, m->exit_json, strlen(m->exit_json));
  mon_trace("exit: exit.json");
  m->init_exited = 1;
  oom_flush(m, 1); /* an OOM before the exit is told before it */
  control_broadcast(m, EVENT_EXIT, m->exit_json);
}

/* As subreaper the monitor inherits every orphan of the container: reap them all. */
static void reap_children(struct monitor *m) {
  struct signalfd_siginfo si;
  while (read(m->sigfd, &si, sizeof si) == (ssize_t)sizeof si) continue;
  for (;;) {
    int status;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return;
    if (pid == m->init && !m->init_exited) record_exit(m, status);
  }
}

/* After release: the monitor's files go, the log stays (it is tsrund's to keep or remove). */
_Noreturn static void finish(struct monitor *m) {
  control_close_all(m);
  unlink(MON_SOCKET_FILE);
  unlink(MON_STATE_FILE);
  unlink(MON_EXIT_FILE);
  if (m->fifo_path[0]) unlink(m->fifo_path);
  exit(0);
}

enum slot_kind { SLOT_SIGNAL, SLOT_LISTEN, SLOT_STDOUT, SLOT_STDERR, SLOT_STDIN, SLOT_OOM, SLOT_CLIENT };

struct slots {
  struct pollfd fds[6 + MON_MAX_CLIENTS];
  int kind[6 + MON_MAX_CLIENTS];
  int client[6 + MON_MAX_CLIENTS];
  nfds_t n;
};

static void add(struct slots *s, int fd, short events, int kind, int client) {
  if (fd < 0 || events == 0) return;
  s->fds[s->n] = (struct pollfd){.fd = fd, .events = events};
  s->kind[s->n] = kind;
  s->client[s->n] = client;
  s->n++;
}

static void build(struct monitor *m, struct slots *s) {
  s->n = 0;
  add(s, m->sigfd, POLLIN, SLOT_SIGNAL, -1);
  add(s, m->listen_fd, POLLIN, SLOT_LISTEN, -1);
  add(s, m->out_fd, POLLIN, SLOT_STDOUT, -1);
  add(s, m->err_fd, POLLIN, SLOT_STDERR, -1);
  add(s, m->in_fd, m->in_len > 0 ? POLLOUT : 0, SLOT_STDIN, -1);
  add(s, m->oom.fd, POLLIN, SLOT_OOM, -1);
  for (int i = 0; i < MON_MAX_CLIENTS; i++) {
    const struct client *c = &m->clients[i];
    if (c->fd >= 0 && !c->blocked) add(s, c->fd, POLLIN, SLOT_CLIENT, i);
  }
}

_Noreturn void monitor_run(struct monitor *m) {
  struct slots s;
  for (;;) {
    if (m->released && m->init_exited) finish(m);
    build(m, &s);
    if (poll(s.fds, s.n, oom_poll_timeout(m)) < 0) {
      if (errno == EINTR) continue;
      abort(); /* EFAULT/EINVAL/ENOMEM: a bug or the end of the machine's memory */
    }
    for (nfds_t i = 0; i < s.n; i++) {
      if (!s.fds[i].revents) continue;
      switch (s.kind[i]) {
      case SLOT_SIGNAL: reap_children(m); break;
      case SLOT_LISTEN: control_accept(m); break;
      case SLOT_STDOUT: read_output(m, &m->out_fd, LOG_STDOUT, READS_PER_ROUND); break;
      case SLOT_STDERR: read_output(m, &m->err_fd, LOG_STDERR, READS_PER_ROUND); break;
      case SLOT_OOM:
        if (m->oom.fd >= 0) oom_readable(m);
        break;
      case SLOT_STDIN:
        if (s.fds[i].revents & (POLLERR | POLLHUP)) close_stdin(m);
        else flush_stdin(m);
        unblock_clients(m);
        break;
      case SLOT_CLIENT: {
        struct client *c = &m->clients[s.client[i]];
        /* The slot may have been dropped and reused during this round. */
        if (c->fd == s.fds[i].fd && !c->blocked) control_read(m, c);
        break;
      }
      }
    }
    oom_flush(m, 0);
  }
}

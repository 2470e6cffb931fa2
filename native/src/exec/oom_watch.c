/* OOM watches of a memory cgroup: see oom_watch.h. */
#include "oom_watch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "fileio.h"

static int path_in(char *out, const char *dir, const char *file) {
  if ((size_t)snprintf(out, PATH_MAX, "%s/%s", dir, file) < PATH_MAX) return 0;
  errno = ENAMETOOLONG;
  return -1;
}

/* The "oom N" figure of memory.events; 0 when unreadable. */
static unsigned long long events_oom_count(const char *dir) {
  char file[PATH_MAX], buf[1024];
  if (path_in(file, dir, "memory.events") < 0) return 0;
  int fd = open(file, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  for (char *line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
    if (strncmp(line, "oom ", 4) == 0) return strtoull(line + 4, NULL, 10);
  }
  return 0;
}

static int open_control(struct oom_watch *w) {
  char file[PATH_MAX], line[32];
  if (path_in(file, w->dir, "memory.oom_control") < 0) return -1;
  int ocfd = open(file, O_RDONLY | O_CLOEXEC);
  if (ocfd < 0) return -1;
  int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  int ctl = efd >= 0 && path_in(file, w->dir, "cgroup.event_control") == 0 ? open(file, O_WRONLY | O_CLOEXEC) : -1;
  int len = snprintf(line, sizeof line, "%d %d", efd, ocfd);
  int ok = ctl >= 0 && write_all(ctl, line, (size_t)len) == 0;
  int err = errno;
  if (ctl >= 0) close(ctl);
  /* The registration holds its own reference to memory.oom_control. */
  close(ocfd);
  if (!ok) {
    if (efd >= 0) close(efd);
    errno = err;
    return -1;
  }
  w->fd = efd;
  return 0;
}

static int open_events(struct oom_watch *w) {
  char file[PATH_MAX];
  if (path_in(file, w->dir, "memory.events") < 0) return -1;
  int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) return -1;
  if (inotify_add_watch(fd, file, IN_MODIFY) < 0) {
    int err = errno;
    close(fd);
    errno = err;
    return -1;
  }
  w->fd = fd;
  w->count = events_oom_count(w->dir);
  return 0;
}

int oom_watch_open(struct oom_watch *w, int kind, const char *dir) {
  w->kind = kind;
  w->fd = -1;
  w->count = 0;
  if ((size_t)snprintf(w->dir, sizeof w->dir, "%s", dir) >= sizeof w->dir) {
    errno = ENAMETOOLONG;
    return -1;
  }
  if (kind == OOM_WATCH_CONTROL) return open_control(w);
  if (kind == OOM_WATCH_EVENTS) return open_events(w);
  errno = EINVAL;
  return -1;
}

long oom_watch_take(struct oom_watch *w) {
  if (w->kind == OOM_WATCH_CONTROL) {
    uint64_t n;
    if (read(w->fd, &n, sizeof n) != (ssize_t)sizeof n) return 0; /* EAGAIN: nothing after all */
    char ctl[PATH_MAX];
    if (path_in(ctl, w->dir, "cgroup.event_control") < 0 || access(ctl, F_OK) < 0) return -1;
    return (long)n;
  }
  char buf[4096];
  while (read(w->fd, buf, sizeof buf) > 0) continue;
  unsigned long long now = events_oom_count(w->dir);
  long news = now > w->count ? (long)(now - w->count) : 0;
  if (now > w->count) w->count = now;
  return news;
}

void oom_watch_close(struct oom_watch *w) {
  if (w->fd >= 0) close(w->fd);
  w->fd = -1;
}

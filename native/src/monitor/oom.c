/* OOM events of the container's memory cgroup, as they happen (--memory-cgroup DIR):
 *   v1 (DIR/memory.oom_control): an eventfd registered in DIR/cgroup.event_control; the kernel
 *      signals it on each OOM, and once more when the cgroup is removed (that one is no OOM:
 *      cgroup.event_control is gone then).
 *   v2 (DIR/memory.events): inotify on the file, which the kernel marks modified when one of its
 *      counters changes; each increase of its "oom" counter is an OOM.
 * Each OOM is one EVENT_OOM frame (empty payload) to every connected client. Watching is best
 * effort: when it cannot be set up the monitor goes on without it (tsrund still counts OOM kills
 * at exit). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "monitor.h"

static int path_in(char *out, const char *dir, const char *file) {
  return (size_t)snprintf(out, PATH_MAX, "%s/%s", dir, file) < PATH_MAX ? 0 : -1;
}

/* The "oom N" figure of memory.events; 0 when unreadable. */
static unsigned long long v2_oom_count(const char *dir) {
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

static int watch_v1(struct monitor *m, const char *dir) {
  char file[PATH_MAX], line[32];
  if (path_in(file, dir, "memory.oom_control") < 0) return -1;
  int ocfd = open(file, O_RDONLY | O_CLOEXEC);
  if (ocfd < 0) return -1;
  int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  int ok = efd >= 0 && path_in(file, dir, "cgroup.event_control") == 0;
  if (ok) {
    int ctl = open(file, O_WRONLY | O_CLOEXEC);
    int len = snprintf(line, sizeof line, "%d %d", efd, ocfd);
    ok = ctl >= 0 && mon_write_all(ctl, line, (size_t)len) == 0;
    if (ctl >= 0) close(ctl);
  }
  /* The registration holds its own reference to memory.oom_control. */
  close(ocfd);
  if (!ok) {
    if (efd >= 0) close(efd);
    return -1;
  }
  m->oom_fd = efd;
  return 0;
}

static int watch_v2(struct monitor *m, const char *dir) {
  char file[PATH_MAX];
  if (path_in(file, dir, "memory.events") < 0) return -1;
  int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) return -1;
  if (inotify_add_watch(fd, file, IN_MODIFY) < 0) {
    close(fd);
    return -1;
  }
  m->oom_fd = fd;
  m->oom_v2 = 1;
  m->oom_count = v2_oom_count(dir);
  return 0;
}

void oom_watch(struct monitor *m, const char *memory_dir) {
  char file[PATH_MAX];
  if ((size_t)snprintf(m->oom_dir, sizeof m->oom_dir, "%s", memory_dir) >= sizeof m->oom_dir) return;
  if (path_in(file, memory_dir, "memory.oom_control") == 0 && access(file, F_OK) == 0) (void)watch_v1(m, memory_dir);
  else (void)watch_v2(m, memory_dir);
}

static void stop(struct monitor *m) {
  close(m->oom_fd);
  m->oom_fd = -1;
}

void oom_readable(struct monitor *m) {
  if (!m->oom_v2) {
    uint64_t n;
    if (read(m->oom_fd, &n, sizeof n) != (ssize_t)sizeof n) return; /* EAGAIN: nothing after all */
    char ctl[PATH_MAX];
    if (path_in(ctl, m->oom_dir, "cgroup.event_control") < 0 || access(ctl, F_OK) < 0) {
      stop(m); /* the cgroup was removed */
      return;
    }
    while (n-- > 0) control_broadcast(m, EVENT_OOM, "");
    return;
  }
  char buf[4096];
  while (read(m->oom_fd, buf, sizeof buf) > 0) continue;
  unsigned long long now = v2_oom_count(m->oom_dir);
  for (; m->oom_count < now; m->oom_count++) control_broadcast(m, EVENT_OOM, "");
}

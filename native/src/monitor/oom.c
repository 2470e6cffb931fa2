/* OOM events of the container's memory cgroup, as they happen, through the watch tsrund chose
 * (--oom-control or --oom-events DIR; the mechanisms are exec/oom_watch.c's). Each OOM is one
 * EVENT_OOM frame (empty payload) to every connected client. Watching is best effort: when it
 * cannot be set up the monitor goes on without it (tsrund still counts OOM kills at exit). */
#include "monitor.h"

void oom_start(struct monitor *m, int kind, const char *dir) {
  (void)oom_watch_open(&m->oom, kind, dir); /* leaves fd -1 on failure */
}

void oom_readable(struct monitor *m) {
  long n = oom_watch_take(&m->oom);
  if (n < 0) {
    oom_watch_close(&m->oom); /* the cgroup was removed */
    return;
  }
  while (n-- > 0) control_broadcast(m, EVENT_OOM, "");
}

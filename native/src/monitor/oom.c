/* OOM events of the container's memory cgroup, as they happen, through the watch tsrund chose
 * (--oom-control or --oom-events DIR; the mechanisms are exec/oom_watch.c's). An EVENT_OOM frame
 * (empty payload) to every connected client says the cgroup ran out of memory at least once
 * since the previous one: frames are at least MON_OOM_FRAME_INTERVAL_MS apart, and one owed is
 * sent before the exit. Watching is best effort: when it cannot be set up the monitor goes on
 * without it (tsrund still counts OOM kills at exit). */
#include <time.h>

#include "monitor.h"

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void oom_start(struct monitor *m, int kind, const char *dir) {
  (void)oom_watch_open(&m->oom, kind, dir); /* leaves fd -1 on failure */
}

/* Send the owed frame if the interval allows (or `now`: the init exited, it goes at once). */
void oom_flush(struct monitor *m, int now) {
  if (!m->oom_owed) return;
  long long t = now_ms();
  if (!now && t < m->oom_next_ms) return;
  m->oom_owed = 0;
  m->oom_next_ms = t + MON_OOM_FRAME_INTERVAL_MS;
  control_broadcast(m, EVENT_OOM, "");
}

void oom_readable(struct monitor *m) {
  long n = oom_watch_take(&m->oom);
  if (n < 0) {
    oom_watch_close(&m->oom); /* the cgroup was removed */
    return;
  }
  if (n == 0) return;
  m->oom_owed = 1;
  oom_flush(m, 0);
}

/* poll's timeout: until the owed frame may go, else none. */
int oom_poll_timeout(const struct monitor *m) {
  if (!m->oom_owed) return -1;
  long long wait = m->oom_next_ms - now_ms();
  return wait > 0 ? (int)wait : 0;
}

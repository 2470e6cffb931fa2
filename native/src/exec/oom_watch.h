/* Watching a memory cgroup for OOM kills, the one implementation of each kernel mechanism, used
 * by the tsrund monitor (monitor/oom.c) and by the addon (`tsrun events`, addon/eventfd.cc).
 * Which mechanism and which directory is TypeScript's choice (runtime/cgroups/oom.ts):
 *   OOM_WATCH_CONTROL (v1): an eventfd registered in DIR/cgroup.event_control for
 *     DIR/memory.oom_control; the kernel signals it on each OOM, and once more when the cgroup is
 *     removed (that one is no OOM: cgroup.event_control is gone then).
 *   OOM_WATCH_EVENTS (v2): inotify on DIR/memory.events, which the kernel marks modified when one
 *     of its counters changes; each increase of its "oom" counter is an OOM. */
#ifndef TSRUN_OOM_WATCH_H
#define TSRUN_OOM_WATCH_H

#include <limits.h>

#ifdef __cplusplus
extern "C" {
#endif

enum oom_watch_kind { OOM_WATCH_CONTROL = 1, OOM_WATCH_EVENTS = 2 };

struct oom_watch {
  int kind;
  int fd;                   /* readable when there may be news; nonblocking, close-on-exec */
  unsigned long long count; /* OOM_WATCH_EVENTS: the last "oom" figure of memory.events */
  char dir[PATH_MAX];
};

/* Start watching `dir`. Returns 0, or -1 with errno set (nothing left open). */
int oom_watch_open(struct oom_watch *w, int kind, const char *dir);
/* After w->fd polled readable: the number of OOMs since the last call (0 when none after all), or
 * -1 when the cgroup is gone and the watch is over. */
long oom_watch_take(struct oom_watch *w);
void oom_watch_close(struct oom_watch *w);

#ifdef __cplusplus
}
#endif

#endif

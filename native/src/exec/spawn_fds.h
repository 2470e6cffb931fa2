/* File descriptors the parent opens before the first clone and the children inherit. */
#ifndef TSRUN_SPAWN_FDS_H
#define TSRUN_SPAWN_FDS_H

#include <stdint.h>

struct spawn_fds {
  int sync;         /* the children's end of the sync socket pair */
  int fifo_dir;     /* the exec fifo's directory (O_PATH), -1 without a fifo */
  const int *setns; /* per stage1 step: the namespace file of a setns step, else -1 */
  uint32_t n_setns;
  int console;      /* the console socket of a console step, -1 without one */
  int cgroup;       /* the cgroup v2 directory init is cloned into, -1 without one */
  unsigned first_closed; /* 3 + preserveFds: every fd from here on but the above is closed */
};

/* Close every fd >= fds->first_closed except the ones listed above. The caller's fds (Node's
 * epoll, pipes, the parent's end of the socket pair, a state directory fd holding a flock)
 * must not live on in init while it waits for `tsrun start`. Async-signal-safe. */
void spawn_fds_close_others(const struct spawn_fds *fds);

#endif

#include "spawn_fds.h"

#include "sys.h"

static void lower_if_between(unsigned *best, int fd, unsigned from) {
  if (fd >= 0 && (unsigned)fd >= from && (unsigned)fd < *best) *best = (unsigned)fd;
}

/* The smallest kept fd >= from, or ~0u when there is none. */
static unsigned next_kept(const struct spawn_fds *fds, unsigned from) {
  unsigned best = ~0u;
  lower_if_between(&best, fds->sync, from);
  lower_if_between(&best, fds->fifo_dir, from);
  lower_if_between(&best, fds->console, from);
  lower_if_between(&best, fds->cgroup, from);
  for (uint32_t i = 0; i < fds->n_setns; i++) lower_if_between(&best, fds->setns[i], from);
  return best;
}

void spawn_fds_close_others(const struct spawn_fds *fds) {
  unsigned from = fds->first_closed;
  for (;;) {
    unsigned keep = next_kept(fds, from);
    if (keep == ~0u) {
      sys_close_range(from, ~0u, 0);
      return;
    }
    if (keep > from) sys_close_range(from, keep - 1, 0);
    from = keep + 1;
  }
}

#include "procattrs.h"

#include <errno.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <unistd.h>

/* struct sched_attr of sched_setattr(2), SCHED_ATTR_SIZE_VER1 (with the utilization clamps, left 0). */
struct kernel_sched_attr {
  uint32_t size;
  uint32_t sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime;
  uint64_t sched_deadline;
  uint64_t sched_period;
  uint32_t sched_util_min;
  uint32_t sched_util_max;
};

#define IOPRIO_WHO_PROCESS 1
#define IOPRIO_CLASS_SHIFT 13
#define NUMA_NODES_MAX 1024u
#define BITS_PER_WORD (8u * sizeof(unsigned long))

int procattr_personality(uint32_t persona, struct tsrun_failure *f) {
  if (personality(persona) < 0) return fail(f, errno, "personality", NULL);
  return 0;
}

int procattr_scheduler(const struct sched_step *s, struct tsrun_failure *f) {
  struct kernel_sched_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.size = sizeof attr;
  attr.sched_policy = s->policy;
  attr.sched_flags = s->flags;
  attr.sched_nice = s->nice;
  attr.sched_priority = s->priority;
  attr.sched_runtime = s->runtime;
  attr.sched_deadline = s->deadline;
  attr.sched_period = s->period;
  if (syscall(SYS_sched_setattr, 0, &attr, 0) < 0) return fail(f, errno, "sched_setattr", NULL);
  return 0;
}

int procattr_io_priority(uint32_t io_class, uint32_t level, struct tsrun_failure *f) {
  if (syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, (int)(io_class << IOPRIO_CLASS_SHIFT | level)) < 0)
    return fail(f, errno, "ioprio_set", NULL);
  return 0;
}

int procattr_memory_policy(uint32_t mode, const uint32_t *nodes, uint32_t n_nodes, struct tsrun_failure *f) {
  unsigned long mask[NUMA_NODES_MAX / BITS_PER_WORD];
  memset(mask, 0, sizeof mask);
  unsigned long maxnode = 0;
  for (uint32_t i = 0; i < n_nodes; i++) {
    if (nodes[i] >= NUMA_NODES_MAX) {
      fail_because(f, EINVAL, FAILURE_NODE_OUT_OF_RANGE, "set_mempolicy", NULL);
      return failure_number(f, FAILURE_NUMBER_value, nodes[i]);
    }
    mask[nodes[i] / BITS_PER_WORD] |= 1UL << (nodes[i] % BITS_PER_WORD);
    /* The kernel reads maxnode - 1 bits (an off-by-one kept in its ABI): two more than the highest node. */
    if (nodes[i] + 2u > maxnode) maxnode = nodes[i] + 2u;
  }
  if (syscall(SYS_set_mempolicy, (int)mode, n_nodes ? mask : NULL, maxnode) < 0) return fail(f, errno, "set_mempolicy", NULL);
  return 0;
}

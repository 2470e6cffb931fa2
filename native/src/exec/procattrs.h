/* Attributes of the container process that survive execve: execution domain, scheduling, I/O
 * priority and NUMA memory policy (PersonalityStep .. MemoryPolicyStep in runtime/plan/types.ts). */
#ifndef TSRUN_PROCATTRS_H
#define TSRUN_PROCATTRS_H

#include <stdint.h>

#include "failure.h"
#include "plan.h"

int procattr_personality(uint32_t persona, struct tsrun_failure *f);
int procattr_scheduler(const struct sched_step *s, struct tsrun_failure *f);
int procattr_io_priority(uint32_t io_class, uint32_t level, struct tsrun_failure *f);
int procattr_memory_policy(uint32_t mode, const uint32_t *nodes, uint32_t n_nodes, struct tsrun_failure *f);

#endif

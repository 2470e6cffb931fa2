/* The CPU affinity of the process itself (SetAffinityStep). */
#ifndef TSRUN_AFFINITY_H
#define TSRUN_AFFINITY_H

#include "failure.h"
#include "plan.h"

/* sched_setaffinity(0) to exactly the step's CPUs. EINVAL, naming the CPU, when the kernel
 * left one of them out (the host lacks it, it is offline or outside the cpuset). */
int affinity_set(const struct affinity_step *a, struct tsrun_failure *f);

#endif

/* Parent steps: what the caller does once init's pid is known, before init may go on. */
#ifndef TSRUN_PARENT_H
#define TSRUN_PARENT_H

#include <sys/types.h>

#include "failure.h"
#include "plan.h"

int parent_step(const struct plan_step *s, pid_t init_pid, struct tsrun_failure *f);

#endif

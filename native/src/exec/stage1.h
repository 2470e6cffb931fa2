#ifndef TSRUN_STAGE1_H
#define TSRUN_STAGE1_H

#include "plan.h"
#include "spawn_fds.h"

/* The intermediate process: closes the caller's fds it does not need, runs the stage1 steps,
 * clones init (cloneFlags | CLONE_PARENT), tells the parent init's pid and exits. Never
 * returns. */
_Noreturn void stage1_main(const struct tsrun_plan *plan, const struct spawn_fds *fds);

#endif

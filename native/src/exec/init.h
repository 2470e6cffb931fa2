#ifndef TSRUN_INIT_H
#define TSRUN_INIT_H

#include "plan.h"
#include "spawn_fds.h"

/* The container's init: waits for the parent's GO, runs the init steps in order, then the exec
 * spec. Reports the first failure to the parent and exits. Never returns. */
_Noreturn void init_main(const struct tsrun_plan *plan, const struct spawn_fds *fds);

#endif

/* OCI hooks that init runs itself (createContainer, startContainer): each one forked and
 * exec'd with the container state on its stdin, waited for with its timeout. Allocates
 * nothing and takes no lock: it runs in the cloned init. */
#ifndef TSRUN_HOOKS_H
#define TSRUN_HOOKS_H

#include <sys/types.h>

#include "failure.h"
#include "plan.h"

/* Run the hooks of `step` in order; `pid` is init's pid as the host sees it (for the state).
 * 0, or -1 with `f` holding "#<index> <path>: <what happened>" and errno 0 for a hook that
 * failed (exit status, signal, timeout, exec error in its output), or a syscall's errno. */
int hooks_run(const struct run_hooks_step *step, pid_t pid, struct tsrun_failure *f);

#endif

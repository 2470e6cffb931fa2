#ifndef TSRUN_EXECFINAL_H
#define TSRUN_EXECFINAL_H

#include "plan.h"
#include "spawn_fds.h"

#include <sys/types.h>

/* Init's last act, in the order ExecSpec (runtime/plan/types.ts) gives: signals reset, fds
 * 0-2 blocking and not close-on-exec, fds above the preserved ones close-on-exec, args[0] looked up, READY, exec
 * fifo, startContainer hooks (with `host_pid` in their state), the rlimits, the start byte, the
 * seccomp filter, execve: once
 * the filter is loaded nothing but execve (a failure of it is reported naming the filter).
 * Failures before READY are reported to the parent; after it they can only be written to fd 2
 * before _exit(127). Never returns. */
_Noreturn void exec_final(const struct exec_spec *e, const struct spawn_fds *fds, pid_t host_pid);

/* Every signal disposition back to default and the signal mask cleared (before an execve). */
void signals_reset_default(void);

#endif

/* A seccomp agent (SCMP_ACT_NOTIFY, linux.seccomp.listenerPath): init passes the notify fd of
 * its filter to the parent, the parent sends it on to the agent with the containerProcessState
 * document (runtime-spec runtime.md). */
#ifndef TSRUN_SECCOMP_AGENT_H
#define TSRUN_SECCOMP_AGENT_H

#include <sys/types.h>

#include "failure.h"
#include "plan.h"

/* Init's seccomp step: load the filter; with an agent, send the notify fd to the parent as
 * MSG_SECCOMP on `sync` and wait for its MSG_GO (the agent has the fd by then), so that a
 * notified syscall init makes afterwards has someone to answer it. 0, or -1 with `f` filled;
 * _exit(1) when the parent gives up (it reports the failure itself). */
int seccomp_step_run(const struct seccomp_step *step, int sync, struct tsrun_failure *f);

/* The parent's part: connect to step->listener_path and send the document (the parts joined
 * with `pid`) with `notify_fd` attached, then close the connection. The caller keeps
 * `notify_fd`. Runs in the caller (allocates). 0, or -1 with `f` filled. */
int seccomp_agent_send(const struct seccomp_step *step, int notify_fd, pid_t pid, struct tsrun_failure *f);

#endif

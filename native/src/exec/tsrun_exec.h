/* The plan executor's public interface, shared by the Node addon and the tsrund monitor. */
#ifndef TSRUN_EXEC_H
#define TSRUN_EXEC_H

#include <stddef.h>
#include <sys/types.h>

#include "failure.h"
#include "plan.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Execute `plan` (parent side, see spawn.c). Returns init's pid once init reported READY (it
 * then waits on the exec fifo, or has gone on to execve), or -1 with `*failure` filled in; on
 * failure no process it started is left, reaped included. Init is the caller's child
 * (CLONE_PARENT): the caller reaps it. Blocks the calling thread until READY or failure. */
pid_t tsrun_spawn(const struct tsrun_plan *plan, struct tsrun_failure *failure);

/* The same, stopping where init waits at a parentHooks step for the caller to run the
 * runtime-namespace hooks (prestart, createRuntime). Returns TSRUN_SPAWN_READY (init's pid in
 * *pid), TSRUN_SPAWN_FAILED (`*failure` filled, nothing left), or TSRUN_SPAWN_HOOKS: init (*pid)
 * waits, and *handle must go to tsrun_spawn_resume (the hooks succeeded) or tsrun_spawn_abort
 * (they failed: init is killed and reaped). `plan` must live until the spawn has ended. */
enum { TSRUN_SPAWN_FAILED = -1, TSRUN_SPAWN_READY = 0, TSRUN_SPAWN_HOOKS = 1 };
struct tsrun_spawn;
int tsrun_spawn_start(const struct tsrun_plan *plan, struct tsrun_failure *failure, pid_t *pid,
                      struct tsrun_spawn **handle);
/* Let init go on from its parentHooks step; returns as tsrun_spawn_start does. */
int tsrun_spawn_resume(struct tsrun_spawn *handle, struct tsrun_failure *failure, pid_t *pid,
                       struct tsrun_spawn **again);
void tsrun_spawn_abort(struct tsrun_spawn *handle);

/* Let an init waiting on its exec fifo go on to execve (see release.c). 0, or -1 with `*failure`
 * filled (phase PHASE_RELEASE) and errno set. */
int tsrun_release(const char *fifo_path, pid_t pid, struct tsrun_failure *failure);

#ifdef __cplusplus
}
#endif

#endif

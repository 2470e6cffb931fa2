/* What the executor reports when a step fails (PlanFailure in runtime/plan/types.ts). */
#ifndef TSRUN_FAILURE_H
#define TSRUN_FAILURE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum tsrun_phase { PHASE_STAGE1 = 0, PHASE_PARENT = 1, PHASE_INIT = 2, PHASE_EXEC = 3 };

/* `step` of a failure that belongs to no step of the phase (e.g. the clone of init). */
#define FAILURE_NO_STEP UINT32_MAX
#define FAILURE_DETAIL_MAX 512

struct tsrun_failure {
  uint32_t phase; /* enum tsrun_phase */
  uint32_t step;
  int32_t err;
  char detail[FAILURE_DETAIL_MAX]; /* "<syscall> <path>", NUL-terminated */
};

/* Record `err` with the detail "<what> <path>" (path may be NULL). Returns -1, so that a step
 * can `return fail(...)`. Async-signal-safe. */
int fail(struct tsrun_failure *f, int err, const char *what, const char *path);

/* "stage1", "parent", "init", "exec". */
const char *phase_name(uint32_t phase);

#ifdef __cplusplus
}
#endif

#endif

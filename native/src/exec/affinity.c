#include "affinity.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>


/* The raw call: glibc's wrapper may not be async-signal-safe in every version. */
static int sys_sched_setaffinity(const cpu_set_t *set) {
  return (int)syscall(SYS_sched_setaffinity, 0, sizeof *set, set);
}

static int sys_sched_getaffinity(cpu_set_t *set) {
  /* The kernel returns the bytes it wrote (the rest of `set` stays as zeroed by the caller). */
  return syscall(SYS_sched_getaffinity, 0, sizeof *set, set) < 0 ? -1 : 0;
}

int affinity_set(const struct affinity_step *a, struct tsrun_failure *f) {
  cpu_set_t want, got;
  CPU_ZERO(&want);
  for (uint32_t i = 0; i < a->n_cpus; i++) CPU_SET(a->cpus[i], &want);
  if (sys_sched_setaffinity(&want) < 0) {
    /* EINVAL: the kernel found no CPU of the set it could use. */
    if (errno == EINVAL)
      return fail_because(f, EINVAL, FAILURE_CPUS_UNAVAILABLE, "sched_setaffinity", NULL);
    return fail(f, errno, "sched_setaffinity", NULL);
  }
  CPU_ZERO(&got);
  if (sys_sched_getaffinity(&got) < 0) return fail(f, errno, "sched_getaffinity", NULL);
  for (uint32_t i = 0; i < a->n_cpus; i++) {
    if (CPU_ISSET(a->cpus[i], &got)) continue;
    fail_because(f, EINVAL, FAILURE_CPU_UNAVAILABLE, "sched_setaffinity", NULL);
    return failure_number(f, FAILURE_NUMBER_value, a->cpus[i]);
  }
  return 0;
}

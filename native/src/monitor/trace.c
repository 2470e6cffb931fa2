/*
 * Phase times for the benchmarks (supervisor/shared/trace.ts): with TSRUND_TRACE=<file> in the
 * environment (tsrund's, which the monitor inherits) each phase appends one JSON line
 * {"phase","subject","ms"} to that file, O_APPEND, one write each; without it nothing is timed.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "monitor.h"

static int trace_fd = -1;
static const char *trace_subject;
static struct timespec last;

static double ms_since(const struct timespec *t, struct timespec *now) {
  clock_gettime(CLOCK_MONOTONIC, now);
  return (double)(now->tv_sec - t->tv_sec) * 1e3 + (double)(now->tv_nsec - t->tv_nsec) / 1e6;
}

void mon_trace_start(const char *subject) {
  const char *file = getenv("TSRUND_TRACE");
  clock_gettime(CLOCK_MONOTONIC, &last);
  if (!file || !*file) return;
  int fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return;
  /* Above the report and console fds, whose numbers the monitor assigns itself. */
  trace_fd = fcntl(fd, F_DUPFD_CLOEXEC, MON_CONSOLE_FD + 8);
  close(fd);
  trace_subject = subject;
}

void mon_trace(const char *phase) {
  if (trace_fd < 0) return;
  struct timespec now;
  double ms = ms_since(&last, &now);
  last = now;
  char subject[PATH_MAX + 16], line[2 * PATH_MAX];
  mon_json_string(subject, sizeof subject, trace_subject);
  int n = snprintf(line, sizeof line, "{\"phase\":\"monitor (C): %s\",\"subject\":%s,\"ms\":%.3f}\n", phase, subject, ms);
  if (n > 0 && (size_t)n < sizeof line) (void)mon_write_all(trace_fd, line, (size_t)n);
}

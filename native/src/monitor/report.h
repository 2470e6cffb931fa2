/* The failure record as the JSON object of the monitor's start-up report. */
#ifndef TSRUN_MONITOR_REPORT_H
#define TSRUN_MONITOR_REPORT_H

#include <stddef.h>

#include "failure.h"

/* {"phase":"init","step":3,...}: the fields failure_visit gives, as PlanFailure
 * (runtime/plan/types.ts) reads them, into `out` (`cap` bytes, NUL-terminated; a text too long
 * is cut). Returns the length. */
size_t mon_failure_json(char *out, size_t cap, const struct tsrun_failure *f);

#endif

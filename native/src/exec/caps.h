/* Capability sets of init. */
#ifndef TSRUN_CAPS_H
#define TSRUN_CAPS_H

#include <stdint.h>

#include "failure.h"

/* Drop from the bounding set every capability 0..last_cap whose bit is not in `keep`. */
int caps_drop_bounding(uint64_t keep, uint32_t last_cap, struct tsrun_failure *f);

/* capset() the three sets (v3), then make the ambient set exactly `ambient`. */
int caps_set(uint64_t effective, uint64_t permitted, uint64_t inheritable, uint64_t ambient,
             struct tsrun_failure *f);

#endif

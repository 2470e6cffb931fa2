/* The decoded init plan (runtime/plan/types.ts in C). Everything lives in memory the decoder
 * allocated before any clone, so the children only read it. The wire format is described at
 * the top of plan.c; the structs, one per record and step kind of the contract
 * (runtime/plan/contract/steps.json), are generated into generated/plan_types.h. */
#ifndef TSRUN_PLAN_H
#define TSRUN_PLAN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#include "generated/plan_types.h"

/* Far more than any real plan; bounds what a malformed length can make the decoder allocate. */
#define PLAN_MAX_BYTES (64u << 20)

/* Decode `len` bytes. Returns the plan, or NULL with a one-line reason in `err`. */
struct tsrun_plan *plan_decode(const uint8_t *buf, size_t len, char *err, size_t errlen);
void plan_free(struct tsrun_plan *plan);

/* The name a step op has in types.ts ("mount"), for messages. */
const char *plan_op_name(uint8_t op);

#ifdef __cplusplus
}
#endif

#endif

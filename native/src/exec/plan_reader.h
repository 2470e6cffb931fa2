/* The plan decoder's reading primitives (plan.c), shared with the decoder generated from the
 * contract (generated/plan_decode.c). Every reader stops at the first failure: later reads
 * return zeroes and `failed` stays set with the first reason in `err`. */
#ifndef TSRUN_PLAN_READER_H
#define TSRUN_PLAN_READER_H

#include <stddef.h>
#include <stdint.h>

#include "plan.h"

struct reader {
  const uint8_t *buf;
  size_t len, pos;
  struct plan_arena *arena;
  char *err;
  size_t errlen;
  int failed;
};

/* Fails the decode: "malformed plan at byte <pos>: <what>". Returns -1. */
int plan_bad(struct reader *r, const char *what);
/* Zeroed memory that lives as long as the plan; NULL (and the decode failed) when out of memory. */
void *plan_alloc(struct reader *r, size_t size);

uint8_t rd_u8(struct reader *r, const char *what);
uint32_t rd_u32(struct reader *r, const char *what);
uint64_t rd_u64(struct reader *r, const char *what);
uint8_t rd_bool(struct reader *r, const char *what);
/* A string with its length; `may_hold_nul` for file contents only. */
struct plan_str rd_bytes(struct reader *r, const char *what, int may_hold_nul);
const char *rd_str(struct reader *r, const char *what);
const char *rd_optstr(struct reader *r, const char *what);
/* A count of items that take at least `min_item` bytes each, checked against what is left. */
uint32_t rd_count(struct reader *r, size_t min_item, const char *what);
/* A list of steps allowed in `phase` (enum plan_phase). */
const struct plan_step *plan_read_steps(struct reader *r, uint32_t *count, int phase);

/* Generated from the contract (generated/plan_decode.c). */
void plan_read_step(struct reader *r, struct plan_step *s, int phase);
void plan_read_plan(struct reader *r, struct tsrun_plan *p);

#endif

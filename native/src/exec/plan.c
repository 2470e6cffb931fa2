/*
 * Plan wire format (written by runtime/native/encode.ts)
 * ======================================================
 *
 * All integers are little-endian. Types:
 *   u8, u32, u64   fixed-size unsigned integers (an i32 travels as a u32, two's complement)
 *   bool           u8, 0 or 1
 *   enum           u8, one of the values the contract lists
 *   str            u32 byte length, then that many bytes (UTF-8, no terminator). A str used as a
 *                  path or name must not contain a NUL byte; file contents (`bytes`) may.
 *   optstr         bool present, then a str when present (null in the plan when absent)
 *   list<T>        u32 count, then count T
 *   record         its fields in order; an optional or nullable one: bool present, then them
 *   step           u8 op, then the step's fields in order
 *
 * Plan: "TSRP" (4 bytes of magic), u32 version, then the fields of InitPlan in order: stage1,
 * cloneFlags, parent, init, createModes, exec. Nothing may follow.
 *
 * Which steps, records and fields there are, their order, op codes, phases and bounds is the
 * contract runtime/plan/contract/steps.json; the decoder of its fields is generated from it
 * (generated/plan_decode.c), and so is the encoder, so both check the same bounds. This file
 * holds the primitives and what the decoder derives: the BPF of a seccomp step, the binary
 * form of network addresses.
 *
 * An op not allowed in its phase, an unknown op, a value outside its bounds, a bad enum or bool
 * value, a length running past the end, trailing bytes or a wrong magic/version make the whole
 * plan invalid.
 */
#include "plan.h"

#include "plan_reader.h"
#include "seccomp_compile.h"

#include <arpa/inet.h>
#include <linux/filter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A bump allocator in chunks, so the whole plan is freed at once. */
struct arena_chunk {
  struct arena_chunk *next;
  size_t used, size;
  _Alignas(16) unsigned char mem[];
};

struct plan_arena {
  struct arena_chunk *head;
};

#define ARENA_CHUNK_MIN 65536u

static void *arena_alloc(struct plan_arena *a, size_t size) {
  size = (size + 15u) & ~(size_t)15u;
  struct arena_chunk *c = a->head;
  if (!c || c->size - c->used < size) {
    size_t want = size > ARENA_CHUNK_MIN ? size : ARENA_CHUNK_MIN;
    c = malloc(sizeof *c + want);
    if (!c) return NULL;
    c->next = a->head;
    c->used = 0;
    c->size = want;
    a->head = c;
  }
  void *p = c->mem + c->used;
  c->used += size;
  memset(p, 0, size);
  return p;
}

static void arena_free(struct plan_arena *a) {
  struct arena_chunk *c = a->head;
  while (c) {
    struct arena_chunk *next = c->next;
    free(c);
    c = next;
  }
  free(a);
}

int plan_bad(struct reader *r, const char *what) {
  if (!r->failed) snprintf(r->err, r->errlen, "malformed plan at byte %zu: %s", r->pos, what);
  r->failed = 1;
  return -1;
}

void *plan_alloc(struct reader *r, size_t size) {
  void *p = arena_alloc(r->arena, size);
  if (!p) plan_bad(r, "out of memory");
  return p;
}

static int need(struct reader *r, size_t n, const char *what) {
  if (r->failed) return -1;
  if (r->len - r->pos < n) return plan_bad(r, what);
  return 0;
}

uint8_t rd_u8(struct reader *r, const char *what) {
  if (need(r, 1, what)) return 0;
  return r->buf[r->pos++];
}

uint32_t rd_u32(struct reader *r, const char *what) {
  if (need(r, 4, what)) return 0;
  const uint8_t *p = r->buf + r->pos;
  r->pos += 4;
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint64_t rd_u64(struct reader *r, const char *what) {
  uint64_t lo = rd_u32(r, what);
  uint64_t hi = rd_u32(r, what);
  return lo | hi << 32;
}

uint8_t rd_bool(struct reader *r, const char *what) {
  uint8_t v = rd_u8(r, what);
  if (v > 1) plan_bad(r, what);
  return v;
}

struct plan_str rd_bytes(struct reader *r, const char *what, int may_hold_nul) {
  struct plan_str out = {"", 0};
  uint32_t n = rd_u32(r, what);
  if (need(r, n, what)) return out;
  const uint8_t *src = r->buf + r->pos;
  if (!may_hold_nul && memchr(src, 0, n)) {
    plan_bad(r, what);
    return out;
  }
  char *s = plan_alloc(r, (size_t)n + 1);
  if (!s) return out;
  memcpy(s, src, n);
  r->pos += n;
  out.s = s;
  out.len = n;
  return out;
}

const char *rd_str(struct reader *r, const char *what) { return rd_bytes(r, what, 0).s; }

const char *rd_optstr(struct reader *r, const char *what) {
  return rd_bool(r, what) ? rd_str(r, what) : NULL;
}

uint32_t rd_count(struct reader *r, size_t min_item, const char *what) {
  uint32_t n = rd_u32(r, what);
  if (!r->failed && (size_t)n * min_item > r->len - r->pos) plan_bad(r, what);
  return r->failed ? 0 : n;
}

const struct plan_step *plan_read_steps(struct reader *r, uint32_t *count, int phase) {
  uint32_t n = rd_count(r, 1, "step count");
  struct plan_step *steps = plan_alloc(r, (size_t)n * sizeof *steps + 1);
  for (uint32_t i = 0; steps && i < n && !r->failed; i++) plan_read_step(r, &steps[i], phase);
  *count = n;
  return steps;
}

/* A program the caller compiled before from this same description, as struct sock_filter[]. */
static void take_program(struct reader *r, struct seccomp_step *sc) {
  struct sock_filter *bpf = plan_alloc(r, (size_t)sc->n_program * sizeof *bpf);
  if (!bpf) return;
  for (uint32_t i = 0; i < sc->n_program; i++) {
    const struct bpf_instruction *in = &sc->program[i];
    bpf[i] = (struct sock_filter){.code = (uint16_t)in->code, .jt = in->jt, .jf = in->jf, .k = in->k};
  }
  sc->bpf = bpf;
  sc->bpf_len = sc->n_program;
}

/* The description, then its BPF: compiled here, in the caller, since init may not allocate
 * (unless the plan carries the program already). */
void plan_finish_seccomp(struct reader *r, struct seccomp_step *sc) {
  if (sc->n_program > 0) {
    take_program(r, sc);
    return;
  }
  struct seccomp_bpf bpf;
  struct tsrun_failure *failure = plan_alloc(r, sizeof *failure);
  if (!failure) return;
  if (seccomp_compile(sc, &bpf, failure) < 0) {
    sc->compile_failure = failure;
    return;
  }
  void *copy = plan_alloc(r, bpf.size);
  if (copy) memcpy(copy, bpf.data, bpf.size);
  sc->bpf = copy;
  sc->bpf_len = (uint32_t)(bpf.size / SECCOMP_BPF_INSN_SIZE);
  free(bpf.data);
}

/* The text of an address in the binary form RTM_NEWADDR takes (the family is AF_INET or
 * AF_INET6 on the wire already). */
void plan_finish_net_address(struct reader *r, struct net_address *a) {
  if (inet_pton(a->family, a->local_text, a->local) != 1) plan_bad(r, "address local");
  a->has_peer = a->peer_text != NULL;
  if (!r->failed && a->peer_text && inet_pton(a->family, a->peer_text, a->peer) != 1) plan_bad(r, "address peer");
  a->has_broadcast = a->broadcast_text != NULL;
  if (!r->failed && a->broadcast_text && inet_pton(AF_INET, a->broadcast_text, a->broadcast) != 1)
    plan_bad(r, "address broadcast");
}

struct tsrun_plan *plan_decode(const uint8_t *buf, size_t len, char *err, size_t errlen) {
  struct plan_arena *arena = calloc(1, sizeof *arena);
  if (!arena) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  struct reader r = {.buf = buf, .len = len, .arena = arena, .err = err, .errlen = errlen};
  struct tsrun_plan *p = plan_alloc(&r, sizeof *p);
  if (p && len > PLAN_MAX_BYTES) plan_bad(&r, "plan larger than 64 MiB");
  else if (p && need(&r, 4, "magic") == 0 && memcmp(buf, PLAN_MAGIC, 4) != 0) plan_bad(&r, "bad magic");
  if (!r.failed) {
    r.pos = 4;
    if (rd_u32(&r, "version") != PLAN_VERSION && !r.failed) {
      r.pos -= 4;
      plan_bad(&r, "unsupported version");
    }
  }
  if (!r.failed) {
    p->arena = arena;
    plan_read_plan(&r, p);
  }
  if (!r.failed && r.pos != r.len) plan_bad(&r, "trailing bytes");
  if (r.failed) {
    arena_free(arena);
    return NULL;
  }
  return p;
}

void plan_free(struct tsrun_plan *plan) {
  if (plan) arena_free(plan->arena);
}

#include "report.h"

#include <stdio.h>

#include "monitor.h"

struct json_out {
  char *out;
  size_t cap, len;
};

static void key(struct json_out *j, const char *name) {
  if (j->len + 1 >= j->cap) return;
  j->len += (size_t)snprintf(j->out + j->len, j->cap - j->len, "%s\"%s\":", j->len > 1 ? "," : "", name);
  if (j->len >= j->cap) j->len = j->cap - 1;
}

static void text(void *ctx, const char *name, const char *value) {
  struct json_out *j = ctx;
  key(j, name);
  j->len += mon_json_string(j->out + j->len, j->cap - j->len, value);
}

static void number(void *ctx, const char *name, int64_t value) {
  struct json_out *j = ctx;
  key(j, name);
  if (j->len + 1 >= j->cap) return;
  j->len += (size_t)snprintf(j->out + j->len, j->cap - j->len, "%lld", (long long)value);
  if (j->len >= j->cap) j->len = j->cap - 1;
}

size_t mon_failure_json(char *out, size_t cap, const struct tsrun_failure *f) {
  struct json_out j = {out, cap, 1};
  out[0] = '{';
  out[1] = '\0';
  const struct failure_visitor visitor = {text, number};
  failure_visit(f, &visitor, &j);
  if (j.len + 2 > cap) j.len = cap - 2; /* room for the brace, even when cut */
  out[j.len++] = '}';
  out[j.len] = '\0';
  return j.len;
}

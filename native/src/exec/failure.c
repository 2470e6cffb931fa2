#include "failure.h"

#include <string.h>

#include "text.h"

static void set_text(char *dst, size_t size, const char *src) {
  dst[0] = '\0';
  if (src) txt_append(dst, dst + size, src);
}

int fail_because(struct tsrun_failure *f, int err, enum failure_reason reason, const char *syscall, const char *path) {
  f->err = err;
  f->reason = (uint32_t)reason;
  f->numbers_set = 0;
#define CLEAR_TEXT(name, size) f->name[0] = '\0';
  TSRUN_FAILURE_TEXTS(CLEAR_TEXT)
#undef CLEAR_TEXT
  set_text(f->syscall, sizeof f->syscall, syscall);
  set_text(f->path, sizeof f->path, path);
  return -1;
}

int fail(struct tsrun_failure *f, int err, const char *syscall, const char *path) {
  return fail_because(f, err, FAILURE_NONE, syscall, path);
}

void failure_clear(struct tsrun_failure *f) {
  (void)fail(f, 0, NULL, NULL);
}

int failure_number(struct tsrun_failure *f, enum failure_number which, int64_t value) {
  f->numbers[which] = value;
  f->numbers_set |= 1u << which;
  return -1;
}

int failure_path2(struct tsrun_failure *f, const char *path) {
  set_text(f->path2, sizeof f->path2, path);
  return -1;
}

int failure_output(struct tsrun_failure *f, const char *data, uint64_t len) {
  if (len > sizeof f->output - 1) len = sizeof f->output - 1;
  /* Bytes as they came, but a NUL would end the text early: it reads as a space. */
  for (uint64_t i = 0; i < len; i++) f->output[i] = data[i] ? data[i] : ' ';
  f->output[len] = '\0';
  return -1;
}

const char *phase_name(uint32_t phase) {
  switch (phase) {
  case PHASE_STAGE1: return "stage1";
  case PHASE_PARENT: return "parent";
  case PHASE_INIT: return "init";
  case PHASE_EXEC: return "exec";
  case PHASE_MONITOR: return "monitor";
  case PHASE_RELEASE: return "release";
  default: return "unknown";
  }
}

const char *failure_reason_name(uint32_t reason) {
#define REASON_NAME(id, name) name,
  static const char *const names[] = {TSRUN_FAILURE_REASONS(REASON_NAME)};
#undef REASON_NAME
  return reason < sizeof names / sizeof names[0] ? names[reason] : "";
}

const char *failure_number_name(uint32_t which) {
#define NUMBER_NAME(name) #name,
  static const char *const names[] = {TSRUN_FAILURE_NUMBERS(NUMBER_NAME)};
#undef NUMBER_NAME
  return which < FAILURE_NUMBERS ? names[which] : "";
}

void failure_visit(const struct tsrun_failure *f, const struct failure_visitor *v, void *ctx) {
  const char *code = strerrorname_np(f->err);
  v->text(ctx, "phase", phase_name(f->phase));
  v->number(ctx, "step", f->step == FAILURE_NO_STEP ? -1 : (int64_t)f->step);
  v->number(ctx, "errno", f->err);
  v->text(ctx, "code", f->err == 0 ? "" : code ? code : "EUNKNOWN");
  v->text(ctx, "syscall", f->syscall);
  v->text(ctx, "path", f->path);
#define VISIT_EXTRA_TEXT(name, size) \
  if (f->name[0]) v->text(ctx, #name, f->name);
  TSRUN_FAILURE_TEXTS(VISIT_EXTRA_TEXT)
#undef VISIT_EXTRA_TEXT
  for (uint32_t i = 0; i < FAILURE_NUMBERS; i++)
    if (f->numbers_set & (1u << i)) v->number(ctx, failure_number_name(i), f->numbers[i]);
  if (f->reason != FAILURE_NONE) v->text(ctx, "reason", failure_reason_name(f->reason));
}

/* The visitor of failure_format: "name value" pairs after the syscall and path. */
struct format_ctx {
  char *pos, *end;
  int fields;
};

static void format_text(void *ctx, const char *name, const char *value) {
  struct format_ctx *c = ctx;
  c->pos = txt_append(c->pos, c->end, c->fields++ ? ", " : " (");
  c->pos = txt_append(c->pos, c->end, name);
  c->pos = txt_append(c->pos, c->end, " \"");
  c->pos = txt_append(c->pos, c->end, value);
  c->pos = txt_append(c->pos, c->end, "\"");
}

static void format_number(void *ctx, const char *name, int64_t value) {
  struct format_ctx *c = ctx;
  char num[21];
  c->pos = txt_append(c->pos, c->end, c->fields++ ? ", " : " (");
  c->pos = txt_append(c->pos, c->end, name);
  c->pos = txt_append(c->pos, c->end, " ");
  if (value < 0) c->pos = txt_append(c->pos, c->end, "-");
  c->pos = txt_append(c->pos, c->end, txt_u64(num, value < 0 ? -(uint64_t)value : (uint64_t)value));
}

/* The fields failure_visit gives besides the ones the line starts with. */
static void format_extra_text(void *ctx, const char *name, const char *value) {
  if (value[0] && strcmp(name, "phase") && strcmp(name, "code") && strcmp(name, "syscall") && strcmp(name, "path"))
    format_text(ctx, name, value);
}

static void format_extra_number(void *ctx, const char *name, int64_t value) {
  if (strcmp(name, "step") && strcmp(name, "errno")) format_number(ctx, name, value);
}

char *failure_format(const struct tsrun_failure *f, char *pos, char *end) {
  pos = txt_append(pos, end, f->syscall);
  if (f->path[0]) {
    pos = txt_append(pos, end, f->syscall[0] ? " " : "");
    pos = txt_append(pos, end, f->path);
  }
  struct format_ctx c = {pos, end, 0};
  const struct failure_visitor extras = {format_extra_text, format_extra_number};
  failure_visit(f, &extras, &c);
  if (c.fields) c.pos = txt_append(c.pos, end, ")");
  return c.pos;
}

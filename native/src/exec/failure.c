#include "failure.h"

#include "text.h"

int fail(struct tsrun_failure *f, int err, const char *what, const char *path) {
  char *end = f->detail + sizeof f->detail;
  char *pos = txt_append(f->detail, end, what);
  if (path) {
    pos = txt_append(pos, end, " ");
    txt_append(pos, end, path);
  }
  f->err = err;
  return -1;
}

const char *phase_name(uint32_t phase) {
  switch (phase) {
  case PHASE_STAGE1: return "stage1";
  case PHASE_PARENT: return "parent";
  case PHASE_INIT: return "init";
  case PHASE_EXEC: return "exec";
  default: return "unknown";
  }
}

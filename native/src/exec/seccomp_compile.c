#include "seccomp_compile.h"

#include <errno.h>
#include <linux/filter.h>
#include <seccomp.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sys.h"

static int add_arches(scmp_filter_ctx ctx, const struct seccomp_step *step, struct tsrun_failure *f) {
  for (uint32_t i = 0; i < step->n_arches; i++) {
    int rc = seccomp_arch_add(ctx, step->arches[i]);
    /* -EEXIST: the native architecture, which the filter has from the start. */
    if (rc < 0 && rc != -EEXIST) {
      fail(f, -rc, "seccomp_arch_add", NULL);
      return failure_number(f, FAILURE_NUMBER_value, step->arches[i]);
    }
  }
  return 0;
}

static int add_rules(scmp_filter_ctx ctx, const struct seccomp_step *step, struct tsrun_failure *f) {
  for (uint32_t i = 0; i < step->n_rules; i++) {
    const struct seccomp_rule *rule = &step->rules[i];
    int nr = seccomp_syscall_resolve_name(rule->syscall);
    /* A syscall newer than this libseccomp: the plan says whether that skips the rule. */
    if (nr == __NR_SCMP_ERROR && step->unknown_syscalls == UNKNOWN_SYSCALLS_SKIP) continue;
    if (nr == __NR_SCMP_ERROR) return fail(f, EINVAL, "seccomp_syscall_resolve_name", rule->syscall);
    struct scmp_arg_cmp cmp[6];
    for (uint32_t j = 0; j < rule->n_conditions; j++) {
      const struct seccomp_condition *c = &rule->conditions[j];
      cmp[j] = (struct scmp_arg_cmp){.arg = c->index, .op = c->op, .datum_a = c->value, .datum_b = c->value_two};
    }
    int rc = seccomp_rule_add_array(ctx, rule->action, nr, rule->n_conditions, cmp);
    if (rc < 0) {
      return fail(f, -rc, "seccomp_rule_add", rule->syscall);
    }
  }
  return 0;
}

/* libseccomp writes BPF to an fd only (2.5): a memfd, read back whole. */
static int export_bpf(scmp_filter_ctx ctx, struct seccomp_bpf *out, struct tsrun_failure *f) {
  int fd = memfd_create("tsrun-seccomp", MFD_CLOEXEC);
  if (fd < 0) return fail(f, errno, "memfd_create", NULL);
  int rc = 0;
  struct stat st;
  int exported = seccomp_export_bpf(ctx, fd);
  if (exported < 0) {
    rc = fail(f, -exported, "seccomp_export_bpf", NULL);
  } else if (fstat(fd, &st) < 0) {
    rc = fail(f, errno, "fstat", "memfd");
  } else if (st.st_size <= 0 || st.st_size % SECCOMP_BPF_INSN_SIZE) {
    fail_because(f, EPROTO, FAILURE_FILTER_SIZE, "seccomp_export_bpf", NULL);
    rc = failure_number(f, FAILURE_NUMBER_value, st.st_size);
  } else if (!(out->data = malloc((size_t)st.st_size))) {
    rc = fail(f, ENOMEM, "malloc", NULL);
  } else if (pread(fd, out->data, (size_t)st.st_size, 0) != st.st_size) {
    rc = fail(f, errno ? errno : EIO, "pread", "memfd");
    free(out->data);
    out->data = NULL;
  } else {
    out->size = (size_t)st.st_size;
  }
  close(fd);
  return rc;
}

int seccomp_compile(const struct seccomp_step *step, struct seccomp_bpf *out, struct tsrun_failure *f) {
  out->data = NULL;
  out->size = 0;
  errno = 0;
  scmp_filter_ctx ctx = seccomp_init(step->default_action);
  if (!ctx) return fail(f, EINVAL, "seccomp_init", NULL);
  int rc = add_arches(ctx, step, f);
  if (rc == 0) rc = add_rules(ctx, step, f);
  if (rc == 0) rc = export_bpf(ctx, out, f);
  seccomp_release(ctx);
  return rc;
}

int seccomp_filter_check(const struct seccomp_step *step, struct tsrun_failure *f) {
  if (!step->bpf) {
    /* The compile's failure, at the step being checked. */
    uint32_t phase = f->phase, at = f->step;
    *f = *step->compile_failure;
    f->phase = phase;
    f->step = at;
    return -1;
  }
  if (step->bpf_len > BPF_MAXINSNS) {
    fail_because(f, E2BIG, FAILURE_FILTER_TOO_LONG, NULL, NULL);
    return failure_number(f, FAILURE_NUMBER_value, step->bpf_len);
  }
  return 0;
}

int seccomp_filter_load(const struct seccomp_step *step, int *listener, struct tsrun_failure *f) {
  if (seccomp_filter_check(step, f) < 0) return -1;
  struct sock_fprog prog = {.len = (unsigned short)step->bpf_len, .filter = (struct sock_filter *)step->bpf};
  long rc = sys_seccomp(SECCOMP_SET_MODE_FILTER, step->flags, &prog);
  if (rc < 0) return fail(f, errno, "seccomp(SECCOMP_SET_MODE_FILTER)", NULL);
  if (step->flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) {
    *listener = (int)rc;
    return 0;
  }
  /* A positive result is a thread TSYNC could not synchronise (init has no other thread). */
  if (rc != 0) return fail(f, EBUSY, "seccomp(SECCOMP_SET_MODE_FILTER)", NULL);
  return 0;
}

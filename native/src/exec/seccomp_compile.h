/* A SeccompStep compiled to BPF with libseccomp. Runs in the caller (it allocates), never in a
 * cloned child. */
#ifndef TSRUN_SECCOMP_COMPILE_H
#define TSRUN_SECCOMP_COMPILE_H

#include <linux/seccomp.h>
#include <stddef.h>

#include "failure.h"
#include "plan.h"

/* The size of one struct sock_filter instruction. */
#define SECCOMP_BPF_INSN_SIZE 8u

struct seccomp_bpf {
  void *data; /* struct sock_filter[], malloc'd: the caller frees it */
  size_t size; /* bytes */
};

/* 0 with `out` filled, or -1 with `f` filled (the failing call and its subject).
 * Rules naming a syscall libseccomp does not know are skipped. */
int seccomp_compile(const struct seccomp_step *step, struct seccomp_bpf *out, struct tsrun_failure *f);

/* Load the filter the decoder compiled (in init: raw syscalls only). A step that did not
 * compile fails with the compile error. 0, or -1 with `f` filled. With
 * SECCOMP_FILTER_FLAG_NEW_LISTENER in the step's flags, *listener is the notify fd (`listener`
 * must then not be NULL). */
int seccomp_filter_load(const struct seccomp_step *step, int *listener, struct tsrun_failure *f);

/* 0 when `step` compiled and fits in one filter, else -1 with `f` filled as seccomp_filter_load
 * would: the parent checks this before any clone. */
int seccomp_filter_check(const struct seccomp_step *step, struct tsrun_failure *f);

#endif

/* A SeccompStep compiled to BPF with libseccomp. Runs in the caller (it allocates), never in a
 * cloned child. */
#ifndef TSRUN_SECCOMP_COMPILE_H
#define TSRUN_SECCOMP_COMPILE_H

#include <stddef.h>

#include "plan.h"

/* The size of one struct sock_filter instruction. */
#define SECCOMP_BPF_INSN_SIZE 8u

struct seccomp_bpf {
  void *data; /* struct sock_filter[], malloc'd: the caller frees it */
  size_t size; /* bytes */
};

/* 0 with `out` filled, or a positive errno with the failing call and its subject in `detail`.
 * Rules naming a syscall libseccomp does not know are skipped. */
int seccomp_compile(const struct seccomp_step *step, struct seccomp_bpf *out, char *detail, size_t detail_len);

#endif

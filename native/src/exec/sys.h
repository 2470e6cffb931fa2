/* Raw system calls glibc either lacks or wraps in ways a cloned child must avoid: glibc's
 * setresuid/setresgid/setgroups broadcast to every thread glibc believes exists (the threads of
 * Node, which the child does not have), and its sigaction refuses glibc's reserved signals. */
#ifndef TSRUN_SYS_H
#define TSRUN_SYS_H

#include <linux/openat2.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

/* The kernel's struct sigaction for rt_sigaction (not glibc's). */
struct kernel_sigaction {
  void (*handler)(int);
  unsigned long flags;
  void (*restorer)(void);
  uint64_t mask;
};

#define KERNEL_SIGSET_SIZE 8
#define KERNEL_NSIG 64

static inline long sys_clone_fork(unsigned long flags) {
  /* Fork semantics: no new stack (the child runs on a copy of ours), no CLONE_VM. */
  return syscall(SYS_clone, flags, 0, 0, 0, 0);
}

/* Fork semantics, as sys_clone_fork, with the child born in the cgroup v2 directory `cgroup_fd`. */
static inline long sys_clone3_fork_into_cgroup(uint64_t flags, int exit_signal, int cgroup_fd) {
  struct clone_args args;
  memset(&args, 0, sizeof args);
  args.flags = flags | CLONE_INTO_CGROUP;
  args.exit_signal = (uint64_t)exit_signal;
  args.cgroup = (uint64_t)cgroup_fd;
  return syscall(SYS_clone3, &args, sizeof args);
}

static inline int sys_openat2(int dirfd, const char *path, uint64_t flags, uint64_t resolve) {
  struct open_how how = {.flags = flags, .mode = 0, .resolve = resolve};
  return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

static inline int sys_pivot_root(const char *new_root, const char *put_old) {
  return (int)syscall(SYS_pivot_root, new_root, put_old);
}

static inline int sys_close_range(unsigned first, unsigned last, unsigned flags) {
  return (int)syscall(SYS_close_range, first, last, flags);
}

static inline int sys_setresuid(uid_t r, uid_t e, uid_t s) { return (int)syscall(SYS_setresuid, r, e, s); }
static inline int sys_setresgid(gid_t r, gid_t e, gid_t s) { return (int)syscall(SYS_setresgid, r, e, s); }
static inline int sys_setgroups(size_t n, const gid_t *gids) { return (int)syscall(SYS_setgroups, n, gids); }

static inline int sys_prlimit(int resource, uint64_t soft, uint64_t hard) {
  uint64_t lim[2] = {soft, hard};
  return (int)syscall(SYS_prlimit64, 0, resource, lim, 0);
}

static inline int sys_faccessat2(int dirfd, const char *path, int mode, int flags) {
  return (int)syscall(SYS_faccessat2, dirfd, path, mode, flags);
}

/* Positive (a thread id) when SECCOMP_FILTER_FLAG_TSYNC could not synchronise a thread. */
static inline long sys_seccomp(unsigned op, unsigned flags, void *args) { return syscall(SYS_seccomp, op, flags, args); }

static inline int sys_sigaction_default(int sig) {
  struct kernel_sigaction sa = {.handler = SIG_DFL};
  return (int)syscall(SYS_rt_sigaction, sig, &sa, 0, KERNEL_SIGSET_SIZE);
}

static inline int sys_sigprocmask(int how, const uint64_t *set, uint64_t *old) {
  return (int)syscall(SYS_rt_sigprocmask, how, set, old, KERNEL_SIGSET_SIZE);
}

static inline int sys_pidfd_open(pid_t pid, unsigned flags) { return (int)syscall(SYS_pidfd_open, pid, flags); }

#endif

/**
 * Strict allow-list seccomp profiles (default deny) for tests and conformance cases: exactly what
 * a static busybox `sh -c` needs, plus what a runtime written in Go (runc) calls after loading
 * the filter, and none of the syscalls newer than the profiles of 2020 and before (close_range,
 * faccessat2, openat2, clone3...). Names are those of x86_64, where they were traced.
 */
import type { Config } from './bundle';

export type Seccomp = NonNullable<Config['linux']['seccomp']>;

/** The architectures a filter on this host lists, as runc's default profile does. */
export const HOST_ARCHITECTURES: Partial<Record<string, Seccomp['architectures']>> = {
  x64: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
  arm64: ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'],
};

/** The host whose syscall names the lists below use (they were traced there). */
export const ALLOW_LISTS_ARCH = 'x64';

/** `busybox sh -c 'echo …'` (static), traced with strace: start-up, the echo, exit. */
export const BUSYBOX_ECHO = [
  'arch_prctl', 'brk', 'execve', 'exit_group', 'getpid', 'getppid', 'getrandom', 'getuid', 'mprotect', 'newfstatat',
  'prctl', 'prlimit64', 'readlink', 'rseq', 'rt_sigaction', 'set_robust_list', 'set_tid_address', 'uname', 'write',
];

/** What `echo … > FILE` adds to it. */
export const BUSYBOX_REDIRECT = ['openat', 'fcntl', 'dup2', 'close'];

/** What `busybox sleep` adds. */
export const BUSYBOX_SLEEP = ['clock_nanosleep', 'nanosleep'];

/**
 * What runc 1.1's init (Go) calls between loading the filter and execve, traced with strace: the
 * Go scheduler, its sweep of /proc/self/fd, credentials and capabilities (without
 * no_new_privs), the exec fifo. Without close_range or faccessat2, which it falls back from.
 */
export const GO_RUNTIME_INIT = [
  'futex', 'rt_sigprocmask', 'rt_sigreturn', 'sigaltstack', 'sched_yield', 'nanosleep', 'mmap', 'munmap', 'madvise',
  'clone', 'gettid', 'tgkill', 'exit', 'epoll_ctl', 'epoll_pwait', 'fstatfs', 'getdents64', 'openat', 'close', 'read',
  'fcntl', 'fstat', 'chdir', 'getcwd', 'capget', 'capset', 'setgroups', 'setgid', 'setuid',
];

/** A default-deny profile (SCMP_ACT_ERRNO, `errnoRet` or EPERM) allowing exactly `names`. */
export function allowListProfile(names: readonly string[], defaultErrnoRet?: number): Seccomp {
  return {
    defaultAction: 'SCMP_ACT_ERRNO',
    ...(defaultErrnoRet === undefined ? {} : { defaultErrnoRet }),
    architectures: HOST_ARCHITECTURES[process.arch],
    syscalls: [{ names: [...new Set(names)].sort() as [string, ...string[]], action: 'SCMP_ACT_ALLOW' }],
  };
}

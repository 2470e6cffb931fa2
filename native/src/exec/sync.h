/* Messages between the parent, stage1 and init over the SOCK_SEQPACKET pair made before the
 * first clone. One message per send, each a whole struct sync_msg:
 *   stage1 -> parent   MSG_PID (init's pid as the parent sees it, and whether init was born in
 *                      plan->clone_into_cgroup) or MSG_FAILURE
 *   parent -> init     MSG_GO once the parent steps are done, with init's pid as the parent
 *                      sees it (for the state hooks read)
 *   init   -> parent   MSG_HOOKS at a parentHooks step; the parent answers MSG_GO when the
 *                      runtime-namespace hooks succeeded, or kills init
 *   init   -> parent   MSG_READY just before the exec fifo / execve, or MSG_FAILURE
 *   init   -> parent   MSG_SECCOMP with the notify fd of a filter with an agent (SCM_RIGHTS),
 *                      right after loading it; the parent answers MSG_GO once the agent has
 *                      the fd, or kills init */
#ifndef TSRUN_SYNC_H
#define TSRUN_SYNC_H

#include <stdint.h>
#include <sys/types.h>

#include "failure.h"

enum sync_type { MSG_PID = 1, MSG_GO = 2, MSG_READY = 3, MSG_FAILURE = 4, MSG_HOOKS = 5, MSG_SECCOMP = 6 };

struct sync_msg {
  uint32_t type; /* enum sync_type */
  int32_t pid;   /* MSG_PID, MSG_GO */
  uint32_t in_cgroup; /* MSG_PID: 1 when init was cloned into plan->clone_into_cgroup */
  struct tsrun_failure failure; /* MSG_FAILURE */
};

/* Send one message (retrying EINTR, never raising SIGPIPE). 0 or -1 with errno. */
int sync_send(int fd, const struct sync_msg *msg);
int sync_send_type(int fd, uint32_t type);

/* Receive one message. 1 on a message, 0 when the peer is gone (EOF), -1 with errno; a message
 * of the wrong size is EPROTO. */
int sync_recv(int fd, struct sync_msg *msg);

/* One sendmsg of `len` bytes of `data` with the fd `passed` attached (SCM_RIGHTS), retrying
 * EINTR, never raising SIGPIPE: the bytes sent, or -1 with errno. Async-signal-safe. */
ssize_t send_with_fd(int sock, const void *data, size_t len, int passed);

/* sync_send_type with `passed` attached. Async-signal-safe. */
int sync_send_fd(int fd, uint32_t type, int passed);

/* sync_recv that also takes an fd attached to the message: *passed is it (close-on-exec), or
 * -1 when the message carries none. */
int sync_recv_fd(int fd, struct sync_msg *msg, int *passed);

/* Send `f` as MSG_FAILURE and _exit(1): how stage1 and init end on a failure. */
_Noreturn void sync_fail_exit(int fd, const struct tsrun_failure *f);

#endif

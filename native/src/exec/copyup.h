/* tmpcopyup (MountStep.copyUp): a tmpfs mounted over a directory of the root starts with that
 * directory's tree. The directory is opened before the mount covers it; once the tmpfs is
 * mounted, everything beneath is copied in: regular files (data, hard links become copies),
 * directories, symlinks, device nodes, fifos and sockets, each with its owner, mode and
 * timestamps; the tmpfs root takes the directory's own owner, mode and timestamps. No
 * allocation: getdents64 and path buffers live on the stack, the tree depth is bounded. */
#ifndef TSRUN_COPYUP_H
#define TSRUN_COPYUP_H

#include "failure.h"

/* Open the directory at `target_fd` (an O_PATH fd of the mount target) for reading, before
 * anything is mounted on it. `target` names it in failures. Returns the fd or -1. */
int copyup_open_source(int target_fd, const char *target, struct tsrun_failure *f);

/* Copy the tree of `source` (from copyup_open_source, closed here) into the directory now
 * mounted at `target` beneath `rootfd`. Failures name the syscall ("copy-up mknodat") and the
 * path in the container. */
int copyup_into(int source, int rootfd, const char *target, struct tsrun_failure *f);

#endif

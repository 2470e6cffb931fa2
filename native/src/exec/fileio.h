/* Writing whole buffers to existing files (stage1, parent and init steps). Async-signal-safe. */
#ifndef TSRUN_FILEIO_H
#define TSRUN_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

#include "failure.h"

/* write() all of `data`, retrying short writes and EINTR. 0 or -1 with errno. */
int write_all(int fd, const void *data, size_t len);

/* Open `path` O_WRONLY (never creating it) and write `data` in one go: the way /proc and
 * cgroup files want to be written. 0, or -1 with `f` filled. */
int write_file(const char *path, const char *data, size_t len, struct tsrun_failure *f);

#endif

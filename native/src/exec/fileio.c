#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

int write_all(int fd, const void *data, size_t len) {
  const char *p = data;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

int write_file(const char *path, const char *data, size_t len, struct tsrun_failure *f) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return fail(f, errno, "open", path);
  int rc = write_all(fd, data, len);
  int err = errno;
  close(fd);
  return rc < 0 ? fail(f, err, "write", path) : 0;
}

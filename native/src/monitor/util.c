#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "monitor.h"

int mon_write_all(int fd, const void *data, size_t len) {
  const char *p = data;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

/* Temp file, rename: a reader (a restarted tsrund) sees the whole record or none. Not fsynced:
 * the task dir is under tsrund's --state, which describes processes that end with the machine (a
 * tmpfs by default; supervisor/shared/atomic-file.ts writeStateFile). Relative to the working
 * directory (the task dir). */
int mon_write_atomic(const char *name, const char *data, size_t len) {
  char tmp[NAME_MAX + 1];
  if ((size_t)snprintf(tmp, sizeof tmp, ".%s.tmp", name) >= sizeof tmp) {
    errno = ENAMETOOLONG;
    return -1;
  }
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  int rc = mon_write_all(fd, data, len);
  int err = errno;
  close(fd);
  if (rc == 0) rc = rename(tmp, name);
  if (rc < 0) {
    err = errno;
    unlink(tmp);
    errno = err;
    return -1;
  }
  return 0;
}

size_t mon_json_string(char *out, size_t cap, const char *s) {
  static const char hex[] = "0123456789abcdef";
  size_t n = 0;
  if (cap < 3) return 0;
  out[n++] = '"';
  for (; *s && n + 8 < cap; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') {
      out[n++] = '\\';
      out[n++] = (char)c;
    } else if (c < 0x20) {
      memcpy(out + n, "\\u00", 4);
      out[n + 4] = hex[c >> 4];
      out[n + 5] = hex[c & 15];
      n += 6;
    } else {
      out[n++] = (char)c;
    }
  }
  out[n++] = '"';
  out[n] = '\0';
  return n;
}

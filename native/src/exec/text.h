/* String helpers the children may use: no allocation, no locale, no locks (async-signal-safe). */
#ifndef TSRUN_TEXT_H
#define TSRUN_TEXT_H

#include <stddef.h>
#include <stdint.h>

size_t txt_len(const char *s);

/* Append `src` at `pos`, never writing past `end` - 1, keeping the result NUL-terminated.
 * Returns the new end of the string (for chaining). */
char *txt_append(char *pos, char *end, const char *src);

/* `v` in decimal into `buf` (at least 21 bytes); returns buf. */
char *txt_u64(char *buf, uint64_t v);

/* "/proc/self/fd/<fd>" into `buf` (at least 32 bytes); returns buf. */
char *txt_fd_path(char *buf, int fd);

#endif

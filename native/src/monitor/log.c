/* The container's output in the CRI log format, one record per line:
 *   2026-11-23T12:00:00.123456789Z stdout F hello
 * F ends a line; P is a part of a line whose end has not come yet (the data read so far ended
 * without a newline). Readers join P records with the next F record of the same stream. Parts
 * are written at once, never held back, so a prompt without a newline shows up in the log. */
#include <string.h>
#include <time.h>

#include "monitor.h"

/* RFC 3339 with nanoseconds, UTC, fixed width (as containerd writes CRI logs). */
void mon_timestamp(char out[MON_TIMESTAMP_LEN]) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  size_t n = strftime(out, MON_TIMESTAMP_LEN, "%Y-%m-%dT%H:%M:%S", &tm);
  long ns = ts.tv_nsec;
  out[n++] = '.';
  for (int i = 8; i >= 0; i--, ns /= 10) out[n + (size_t)i] = (char)('0' + ns % 10);
  n += 9;
  out[n++] = 'Z';
  out[n] = '\0';
}

/* Large enough for one record of a whole read (loop.c reads at most 8 KiB at a time). */
static char records[16384];
static size_t used;

static void flush(int log_fd) {
  /* A full disk loses output, never the monitor. */
  if (used > 0) (void)mon_write_all(log_fd, records, used);
  used = 0;
}

static void append(const void *data, size_t len) {
  memcpy(records + used, data, len);
  used += len;
}

void log_chunk(int log_fd, const char *stream, const char *data, size_t len) {
  char ts[MON_TIMESTAMP_LEN];
  mon_timestamp(ts);
  size_t ts_len = strlen(ts), stream_len = strlen(stream);
  const char *p = data, *end = data + len;
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t line = nl ? (size_t)(nl - p) : (size_t)(end - p);
    size_t need = ts_len + 1 + stream_len + 3 + line + 1;
    if (used + need > sizeof records) flush(log_fd);
    if (need > sizeof records) {
      /* Only a caller reading more than the buffer holds gets here: cut the line. */
      line = sizeof records - (need - line);
      nl = NULL;
    }
    append(ts, ts_len);
    append(" ", 1);
    append(stream, stream_len);
    append(nl ? " F " : " P ", 3);
    append(p, line);
    append("\n", 1);
    p += line + (nl ? 1 : 0);
  }
  flush(log_fd);
}

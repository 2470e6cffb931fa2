/* The container's output in the CRI log format, one record per line:
 *   2026-11-23T12:00:00.123456789Z stdout F hello
 * F ends a line; P is a part of a line whose end has not come yet (the data read so far ended
 * without a newline). Readers join P records with the next F record of the same stream. Parts
 * are written at once, never held back, so a prompt without a newline shows up in the log.
 *
 * Rotation (REQ_REOPEN_LOG): kubelet renames the log away and asks for a new one at LOG_PATH.
 * Every record is written whole before the next read, so a switch never cuts a record; a line
 * whose start the old file holds (its last record a P) ends in the old file too. Its rest is in
 * the pipe already when the line was written at once and the read only cut it, so the next read
 * of that stream up to its first newline goes to the old file, the rest to the new one. */
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

/* Returns 1 when the data ended without a newline (its last record is a P). */
static int log_chunk(int log_fd, const char *stream, const char *data, size_t len) {
  char ts[MON_TIMESTAMP_LEN];
  mon_timestamp(ts);
  size_t ts_len = strlen(ts), stream_len = strlen(stream);
  const char *p = data, *end = data + len;
  int partial = 0;
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
    if (p == end) partial = !nl;
  }
  flush(log_fd);
  return partial;
}

static const char *const stream_names[] = {"stdout", "stderr"};

static void release_held(struct monitor *m, enum log_stream stream) {
  m->held[stream] = 0;
  if (m->held_log_fd >= 0 && !m->held[LOG_STDOUT] && !m->held[LOG_STDERR]) {
    close(m->held_log_fd);
    m->held_log_fd = -1;
  }
}

void log_output(struct monitor *m, enum log_stream stream, const char *data, size_t len) {
  const char *name = stream_names[stream];
  if (m->held[stream]) {
    const char *nl = memchr(data, '\n', len);
    size_t head = nl ? (size_t)(nl - data) + 1 : len;
    m->partial[stream] = log_chunk(m->held_log_fd, name, data, head);
    release_held(m, stream);
    data += head;
    len -= head;
  }
  if (len > 0) m->partial[stream] = log_chunk(m->log_fd, name, data, len);
}

void log_stream_ended(struct monitor *m, enum log_stream stream) {
  m->partial[stream] = 0;
  if (m->held[stream]) release_held(m, stream);
}

int log_reopen(struct monitor *m) {
  int fd = open(m->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  /* A line still open in the log before the previous reopen ends where it is. */
  if (m->held_log_fd >= 0) close(m->held_log_fd);
  m->held_log_fd = -1;
  m->held[LOG_STDOUT] = m->partial[LOG_STDOUT];
  m->held[LOG_STDERR] = m->partial[LOG_STDERR];
  if (m->held[LOG_STDOUT] || m->held[LOG_STDERR]) m->held_log_fd = m->log_fd;
  else close(m->log_fd);
  m->log_fd = fd;
  return 0;
}

/* tsrun-monitor's state and the pieces its files share (the protocol is described in main.c). */
#ifndef TSRUN_MONITOR_H
#define TSRUN_MONITOR_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "oom_watch.h"
#include "protocol.h" /* the constants shared with tsrund, generated */

#define MON_REPORT_HOOKS_FORMAT "{\"" MON_REPORT_KEY_RUNTIME_HOOKS "\":{\"pid\":%d}}"
#define MON_REPORT_ABORTED "{\"" MON_REPORT_KEY_ABORTED "\":true}"

/* At most one 'O' frame per this many ms: v1 signals every failed charge, hundreds per kill on a
 * busy host, and a client given a frame for each one overflows its socket (and is dropped). */
#define MON_OOM_FRAME_INTERVAL_MS 100

struct client {
  int fd; /* -1: a free slot */
  /* Its next frame is stdin data that the stdin buffer has no room for yet: not read on. */
  int blocked;
  size_t len;
  unsigned char buf[MON_FRAME_HEADER + MON_MAX_PAYLOAD];
};

struct monitor {
  pid_t init;
  int init_exited;
  int released;
  char created_json[64]; /* {"pid":N,"monitorPid":M} */
  char exit_json[192];   /* the exit record, once init exited */
  char fifo_path[PATH_MAX]; /* the plan's exec fifo, "" without one */
  int sigfd, listen_fd;
  int out_fd, err_fd; /* read ends of the container's stdout and stderr pipes; -1 after EOF */
  const char *log_path; /* LOG_PATH: opened anew on REQ_REOPEN_LOG */
  int log_fd;
  /* Per stream (enum log_stream): the last record written to the log was a part (P) of a line. */
  int partial[2];
  /* After a reopen, the previous log while a stream's line begun there has not ended (held[s]);
   * -1 when no stream holds it (log.c). */
  int held_log_fd;
  int held[2];
  int in_fd; /* write end of the container's stdin pipe (or the pty master); -1 when there is none or it was closed */
  int pty_fd; /* the terminal's master (--terminal), kept for resizing; -1 without one */
  struct oom_watch oom; /* OOM notifications of the container's memory cgroup (oom.c); fd -1: none */
  int oom_owed;          /* an OOM came too soon after the last 'O' frame: one is owed (oom.c) */
  long long oom_next_ms; /* CLOCK_MONOTONIC ms before which no further 'O' frame goes out */
  size_t in_len;
  unsigned char in_buf[MON_STDIN_BUFFER];
  struct client clients[MON_MAX_CLIENTS];
};

/* How a request ended (handle_request). */
enum request_result { REQUEST_DONE = 0, REQUEST_BLOCKED = 1 };

/* loop.c */
_Noreturn void monitor_run(struct monitor *m);
int handle_request(struct monitor *m, struct client *c, uint8_t type, const unsigned char *payload, size_t len);

/* control.c: the unix socket and its frames. */
int control_listen(void);
void control_accept(struct monitor *m);
void control_read(struct monitor *m, struct client *c);
void control_process(struct monitor *m, struct client *c);
void control_send(struct client *c, uint8_t type, const char *payload, size_t len);
void control_broadcast(struct monitor *m, uint8_t type, const char *payload);
void control_close_all(struct monitor *m);

/* terminal.c: the container's pty (--terminal). */
int terminal_prepare(int pair[2]);
int terminal_receive(int own_end);
int terminal_resize(int master, uint16_t cols, uint16_t rows);

/* oom.c: OOM events of the container's memory cgroup, sent to clients as EVENT_OOM frames. */
void oom_start(struct monitor *m, int kind, const char *dir);
void oom_readable(struct monitor *m);
void oom_flush(struct monitor *m, int now);
int oom_poll_timeout(const struct monitor *m);

/* log.c: container output as CRI log records. */
#define MON_TIMESTAMP_LEN 40
enum log_stream { LOG_STDOUT = 0, LOG_STDERR = 1 };
void mon_timestamp(char out[MON_TIMESTAMP_LEN]);
void log_output(struct monitor *m, enum log_stream stream, const char *data, size_t len);
/* The stream reached EOF: a line it left open in the previous log ends there as it is. */
void log_stream_ended(struct monitor *m, enum log_stream stream);
/* REQ_REOPEN_LOG: LOG_PATH opened anew (O_APPEND, created 0600); 0, or -1 with errno and the log unchanged. */
int log_reopen(struct monitor *m);

/* trace.c: phase times for the benchmarks, when TSRUND_TRACE names a file. mon_trace records
 * the time since the previous call (or mon_trace_start). */
void mon_trace_start(const char *subject);
void mon_trace(const char *phase);

/* util.c */
int mon_write_all(int fd, const void *data, size_t len);
int mon_write_atomic(const char *name, const char *data, size_t len);
/* `s` as a JSON string literal (quotes included) into `out`; the length written, truncating. */
size_t mon_json_string(char *out, size_t cap, const char *s);

#endif

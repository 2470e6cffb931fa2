/*
 * tsrun-monitor: tsrund's per-container monitor (conmon-like). tsrund starts one per container;
 * it runs the init plan through the same executor as tsrun (native/src/exec), is the init's
 * parent and the subreaper of the container's orphans, writes the container's output to a log,
 * feeds its stdin, and records its exit. It does not depend on tsrund: it survives tsrund's
 * death and restart, and a restarted tsrund reattaches through the files and socket below.
 *
 * Usage: tsrun-monitor [--stdin] [--terminal] [--oom-control DIR | --oom-events DIR] TASK_DIR LOG_PATH
 *   (paths absolute; fd 3: the report channel, a socket pair)
 *   --stdin          keep the container's stdin (a pipe, or the terminal's input): requests 'i', 'c'
 *   --terminal       the plan has a console step naming fd 4 (MON_CONSOLE_FD): the monitor
 *                    puts one end of a socket pair there, receives the pty master on the other
 *                    once the plan ran, logs what the master reads as "stdout", writes stdin to
 *                    it, and sizes it (request 'r'). Without it a plan with a console step fails.
 *   --oom-control / --oom-events  the container's memory cgroup directory, and how to watch it
 *                    for OOM events as they happen (v1 / v2, exec/oom_watch.h; tsrund chooses)
 *
 * The same executable runs a process exec'd into a running container (tsrund's Tasks.Exec): the
 * plan is an exec plan (runtime/plan/exec-plan.ts: it joins the container's namespaces and
 * cgroups, no exec fifo), TASK_DIR the exec's own directory, LOG_PATH its own log; everything
 * below applies to it as to an init ("init" meaning the process the plan started).
 *
 * Start-up (tsrund: supervisor/tasks/monitor.ts):
 *   1. tsrund writes the encoded plan (runtime/native/encode.ts) to TASK_DIR/plan.bin and runs
 *      the monitor with fd 3 one end of a socket pair.
 *   2. The monitor forks twice around setsid() (its first two processes exit at once), so the
 *      monitor is in a session of its own and nobody's child but the init's parent.
 *   3. It reads and removes plan.bin, becomes child subreaper, opens the log (O_APPEND, 0600),
 *      creates TASK_DIR/monitor.sock (0600), and runs the plan with the container's stdio
 *      connected to pipes it holds (stdin: a pipe with --stdin, else /dev/null). The init is the
 *      monitor's child (CLONE_PARENT from stage1) and waits on the exec fifo, if the plan has one,
 *      until tsrund releases it (runtime/native releaseInit).
 *      With --terminal the console step sent the master before the spawn returned.
 *      When init stops at the plan's parentHooks step, the monitor writes
 *        {"runtimeHooks":{"pid":N}}
 *      to fd 3 and reads one byte back: tsrund ran the prestart and createRuntime hooks and
 *      answers 'g' (init goes on) or, when one failed, 'a' (EOF too: tsrund went away).
 *   4. It writes one line to fd 3 and closes it:
 *        {"pid":N,"monitorPid":M}                        the init is created
 *        {"failure":{"phase","step","errno","code","syscall","path",...}}  a step failed (PlanFailure)
 *        {"error":{"phase":"monitor",...}}                the monitor itself could not go on (the
 *                                                         same record, of no plan step)
 *        {"aborted":true}                                 tsrund answered 'a'; init was killed
 *      On success TASK_DIR/monitor.json holds {"pid":N,"monitorPid":M} too (written
 *      atomically). After a failure nothing the monitor made is left: no process, no socket, no
 *      plan.bin, no log file it created, no exec fifo; the monitor exits 1.
 *
 * Log (LOG_PATH), CRI format, one record per line (see log.c):
 *   2026-11-23T12:00:00.123456789Z stdout F a whole line
 *   2026-11-23T12:00:00.123456789Z stderr P part of a line
 *
 * Exit: when the init exits the monitor reads what is left in the output pipes, writes
 * TASK_DIR/exit.json atomically:
 *   {"pid":N,"exitStatus":S,"signal":G|null,"exitedAt":"<RFC 3339, ns>"}
 * (S is the exit code, or 128+G when signal G ended the init, as runc and containerd report it),
 * then sends it to every connected client. It stays (reaping orphans, logging output of
 * processes the init left behind) until tsrund releases it, so a tsrund that was down when the
 * container exited finds the exit later, in the socket's greeting or in exit.json.
 *
 * Control socket TASK_DIR/monitor.sock: SOCK_STREAM, mode 0600, up to 8 clients. Frames both
 * ways: u8 type, u32 little-endian payload length (at most 32768), payload.
 *   monitor -> client, events:
 *     'C' created  payload {"pid":N,"monitorPid":M}; the first frame on every connection
 *     'X' exit     payload the exit record; on exit, and right after 'C' when the init exited before
 *     'O' oom      empty; the memory cgroup (--oom-control, --oom-events) ran out of memory at least
 *                  once since the previous 'O': as it happens, at most one per 100 ms (one owed
 *                  goes before 'X'). Not repeated to a client that connects later.
 *   client -> monitor, requests; each answered in order by 'k' (ok, empty), 'e' (error, a line) or
 *   'f' (a failed system call: the failure record as JSON):
 *     'i' stdin data     the bytes to write to the container's stdin. Buffered up to 64 KiB; past
 *                        that the monitor stops reading the client until the container reads on.
 *     'c' close stdin    answered once what is buffered was written to the container's stdin
 *                        and it was closed (until then the client is not read on, as for 'i'
 *                        with a full buffer); with a terminal the monitor stops writing to it,
 *                        the terminal itself stays. Data after it: 'e' "stdin is closed".
 *     'r' resize pty     u16 cols, u16 rows (LE): TIOCSWINSZ on the master; 'e' without --terminal
 *     'l' reopen log     open LOG_PATH anew (O_APPEND; created 0600 if it is not there) and
 *                        log there from now on; answered once it is open. A line whose start
 *                        the previous file holds ends there (log.c). The open's failure is
 *                        answered 'f': the failure record (phase "monitor", step -1, syscall
 *                        "open", path LOG_PATH, errno), and the log stays the one it was.
 *     'x' release        tsrund is done with the task (Delete): the monitor kills the init with
 *                        SIGKILL if it still runs, waits for its exit record, removes
 *                        monitor.sock, monitor.json, exit.json and the exec fifo, and exits 0.
 *                        The log file stays.
 * A client that does not read its frames (a full socket buffer) is disconnected.
 *
 * File descriptors: everything the monitor opens is close-on-exec, and stage1 closes every fd
 * above 2 before the init exists (spawn_fds.c), keeping only the console socket (fd 4), which the
 * console step closes; the container gets only its three stdio fds.
 * The plan's preserveFds must be 0: tsrund has no fds to pass on.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "monitor.h"
#include "report.h"
#include "tsrun_exec.h"

static struct monitor mon;
static const char *log_path;
static int log_created;

static void write_report(const char *line) {
  (void)mon_write_all(MON_REPORT_FD, line, strlen(line));
  (void)mon_write_all(MON_REPORT_FD, "\n", 1);
}

static void report(const char *line) {
  write_report(line);
  close(MON_REPORT_FD);
}

/* Undo what start-up made so far, say why, and exit. The report channel is left for exit to
 * close: its EOF then comes after the process let go of its memory and command line, so whoever
 * reads the report finds no monitor process left. */
_Noreturn static void give_up(const char *json_line) {
  if (mon.listen_fd >= 0) unlink(MON_SOCKET_FILE);
  if (log_created) unlink(log_path);
  if (mon.fifo_path[0]) unlink(mon.fifo_path);
  write_report(json_line);
  exit(1);
}

/* {"<key>":<the failure record>}: "failure" for a plan step's, "error" for the monitor's own. */
_Noreturn static void give_up_record(const char *key, const struct tsrun_failure *f) {
  static char line[8 * (2 * PATH_MAX + 512)];
  int n = snprintf(line, sizeof line, "{\"%s\":", key);
  n += (int)mon_failure_json(line + n, sizeof line - (size_t)n - 1, f);
  memcpy(line + n, "}", 2);
  give_up(line);
}

_Noreturn static void give_up_because(enum failure_reason reason, const char *syscall, const char *path) {
  static struct tsrun_failure f;
  f.phase = PHASE_MONITOR;
  f.step = FAILURE_NO_STEP;
  fail_because(&f, errno, reason, syscall, path);
  give_up_record("error", &f);
}

_Noreturn static void give_up_errno(const char *syscall, const char *path) {
  give_up_because(FAILURE_NONE, syscall, path);
}

_Noreturn static void give_up_failure(const struct tsrun_failure *f) {
  give_up_record("failure", f);
}

static void usage(void) {
  fprintf(stderr, "usage: tsrun-monitor [--stdin] [--terminal] [--oom-control DIR | --oom-events DIR] TASK_DIR LOG_PATH (absolute paths; fd 3: the report pipe)\n");
  exit(2);
}

struct options {
  int with_stdin, terminal, oom_kind;
  const char *oom_dir, *task_dir, *log_path;
};

static struct options parse_args(int argc, char **argv) {
  struct options o = {0};
  int i = 1;
  for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
    if (strcmp(argv[i], "--stdin") == 0) o.with_stdin = 1;
    else if (strcmp(argv[i], "--terminal") == 0) o.terminal = 1;
    else if ((strcmp(argv[i], "--oom-control") == 0 || strcmp(argv[i], "--oom-events") == 0) && i + 1 < argc && argv[i + 1][0] == '/') {
      o.oom_kind = strcmp(argv[i], "--oom-control") == 0 ? OOM_WATCH_CONTROL : OOM_WATCH_EVENTS;
      o.oom_dir = argv[++i];
    }
    else usage();
  }
  if (argc - i != 2 || argv[i][0] != '/' || argv[i + 1][0] != '/') usage();
  o.task_dir = argv[i];
  o.log_path = argv[i + 1];
  return o;
}

/* Fork, setsid, fork: the monitor leads no session and no process group, and its parent exits.
 * The first process reaps the second, so no zombie is left to whoever adopts it. */
static void detach(void) {
  pid_t pid = fork();
  if (pid < 0) give_up_errno("fork", NULL);
  if (pid > 0) {
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) continue;
    _exit(0);
  }
  if (setsid() < 0) give_up_errno("setsid", NULL);
  pid = fork();
  if (pid < 0) give_up_errno("fork", NULL);
  if (pid > 0) _exit(0);
}

static struct tsrun_plan *load_plan(void) {
  int fd = open(MON_PLAN_FILE, O_RDONLY | O_CLOEXEC);
  if (fd < 0) give_up_errno("open", MON_PLAN_FILE);
  struct stat st;
  if (fstat(fd, &st) < 0) give_up_errno("fstat", MON_PLAN_FILE);
  if (st.st_size > (off_t)PLAN_MAX_BYTES) {
    errno = EFBIG;
    give_up_errno("read", MON_PLAN_FILE);
  }
  size_t size = (size_t)st.st_size, got = 0;
  uint8_t *buf = malloc(size ? size : 1);
  if (!buf) give_up_errno("malloc", NULL);
  while (got < size) {
    ssize_t n = read(fd, buf + got, size - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = EIO;
      give_up_errno("read", MON_PLAN_FILE);
    }
    got += (size_t)n;
  }
  close(fd);
  unlink(MON_PLAN_FILE);
  char err[256];
  struct tsrun_plan *plan = plan_decode(buf, size, err, sizeof err);
  free(buf);
  if (!plan) {
    static struct tsrun_failure f;
    f.phase = PHASE_MONITOR;
    f.step = FAILURE_NO_STEP;
    fail_because(&f, EINVAL, FAILURE_MALFORMED_PLAN, NULL, MON_PLAN_FILE);
    failure_output(&f, err, strlen(err));
    give_up_record("error", &f);
  }
  return plan;
}

static void open_log(void) {
  mon.log_fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (mon.log_fd >= 0) log_created = 1;
  else if (errno == EEXIST) mon.log_fd = open(log_path, O_WRONLY | O_APPEND | O_CLOEXEC);
  if (mon.log_fd < 0) give_up_errno("open", log_path);
}

/* SIGCHLD through a signalfd; SIGPIPE off (a client or the stdin pipe may go away). The init
 * gets default dispositions and an empty mask back from the executor (execfinal.c). */
static void setup_signals(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  if (sigprocmask(SIG_BLOCK, &set, NULL) < 0) give_up_errno("sigprocmask", NULL);
  mon.sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (mon.sigfd < 0) give_up_errno("signalfd", NULL);
  signal(SIGPIPE, SIG_IGN);
}

static void make_pipe(int p[2], int nonblocking_end) {
  if (pipe2(p, O_CLOEXEC) < 0) give_up_errno("pipe2", NULL);
  int fl = fcntl(p[nonblocking_end], F_GETFL);
  if (fl < 0 || fcntl(p[nonblocking_end], F_SETFL, fl | O_NONBLOCK) < 0) give_up_errno("fcntl(O_NONBLOCK)", NULL);
}

static void set_stdio(int in, int out, int err) {
  if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) give_up_errno("dup2", NULL);
}

/* Init waits at its parentHooks step: tsrund runs prestart and createRuntime in its namespaces
 * and answers on the report channel. 1: they succeeded; 0: they failed, or tsrund went away. */
static int runtime_hooks_ran(pid_t init) {
  char line[64];
  int n = snprintf(line, sizeof line, MON_REPORT_HOOKS_FORMAT "\n", (int)init);
  if (mon_write_all(MON_REPORT_FD, line, (size_t)n) < 0) return 0;
  char answer;
  ssize_t got;
  do got = read(MON_REPORT_FD, &answer, 1);
  while (got < 0 && errno == EINTR);
  return got == 1 && answer == MON_HOOKS_RESUME;
}

/* tsrun_spawn, pausing for the runtime-namespace hooks as often as init stops for them. On an
 * abort (*aborted set) init is killed and reaped, as on a failure. */
static pid_t spawn_with_hooks(const struct tsrun_plan *plan, struct tsrun_failure *failure, int *aborted) {
  pid_t pid;
  struct tsrun_spawn *paused;
  int rc = tsrun_spawn_start(plan, failure, &pid, &paused);
  while (rc == TSRUN_SPAWN_HOOKS) {
    if (!runtime_hooks_ran(pid)) {
      tsrun_spawn_abort(paused);
      *aborted = 1;
      return -1;
    }
    rc = tsrun_spawn_resume(paused, failure, &pid, &paused);
  }
  return rc == TSRUN_SPAWN_READY ? pid : -1;
}

/* Run the plan with the container's stdio on fds 0-2 (the executor hands those on), then put
 * /dev/null back there and keep only the monitor's ends of the pipes. With a terminal the
 * console step replaces the stdio by the pty's slave: the monitor keeps the master instead. */
static pid_t spawn_container(const struct tsrun_plan *plan, const struct options *o, int devnull) {
  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1}, console[2] = {-1, -1};
  if (o->terminal) {
    if (terminal_prepare(console) < 0) give_up_because(FAILURE_CONSOLE_SOCKET, "socketpair", NULL);
  } else {
    make_pipe(out, 0);
    make_pipe(err, 0);
    if (o->with_stdin) make_pipe(in, 1);
  }
  set_stdio(in[0] >= 0 ? in[0] : devnull, out[1] >= 0 ? out[1] : devnull, err[1] >= 0 ? err[1] : devnull);
  struct tsrun_failure failure;
  int aborted = 0;
  pid_t pid = spawn_with_hooks(plan, &failure, &aborted);
  set_stdio(devnull, devnull, devnull);
  if (out[1] >= 0) close(out[1]);
  if (err[1] >= 0) close(err[1]);
  if (in[0] >= 0) close(in[0]);
  if (console[1] >= 0) close(console[1]);
  mon.out_fd = out[0];
  mon.err_fd = err[0];
  mon.in_fd = in[1];
  if (pid < 0) {
    if (console[0] >= 0) close(console[0]);
    if (aborted) give_up(MON_REPORT_ABORTED);
    give_up_failure(&failure);
  }
  if (o->terminal) {
    mon.pty_fd = terminal_receive(console[0]);
    close(console[0]);
    if (mon.pty_fd < 0 || (mon.out_fd = dup(mon.pty_fd)) < 0 || (o->with_stdin && (mon.in_fd = dup(mon.pty_fd)) < 0)) {
      int e = errno;
      kill(pid, SIGKILL);
      errno = e;
      give_up_because(FAILURE_CONSOLE_SOCKET, "recvmsg", NULL);
    }
  }
  return pid;
}

/* The plan's console step and --terminal go together, on MON_CONSOLE_FD. */
static void check_console(const struct tsrun_plan *plan, int terminal) {
  int fd = -1;
  for (uint32_t i = 0; i < plan->n_init; i++)
    if (plan->init[i].op == OP_CONSOLE) fd = plan->init[i].u.console.socket_fd;
  if (terminal ? fd == MON_CONSOLE_FD : fd < 0) return;
  errno = EINVAL;
  give_up_because(terminal ? FAILURE_PLAN_LACKS_CONSOLE : FAILURE_PLAN_HAS_CONSOLE, NULL, MON_PLAN_FILE);
}

static void remember_fifo(const struct tsrun_plan *plan) {
  if (!plan->exec.fifo_name) return;
  size_t n = (size_t)snprintf(mon.fifo_path, sizeof mon.fifo_path, "%s/%s", plan->exec.fifo_dir, plan->exec.fifo_name);
  if (n >= sizeof mon.fifo_path) mon.fifo_path[0] = '\0';
}

int main(int argc, char **argv) {
  struct options o = parse_args(argc, argv);
  log_path = mon.log_path = o.log_path;
  mon_trace_start(o.task_dir);
  if (fcntl(MON_REPORT_FD, F_SETFD, FD_CLOEXEC) < 0) usage();

  mon.listen_fd = mon.sigfd = mon.out_fd = mon.err_fd = mon.log_fd = mon.in_fd = mon.pty_fd = mon.oom.fd = mon.held_log_fd = -1;
  for (int i = 0; i < MON_MAX_CLIENTS; i++) mon.clients[i].fd = -1;

  detach();
  mon_trace("detach (fork, setsid, fork)");
  umask(077);
  /* Above the console fd's number, which the socket pair takes with --terminal. */
  int opened = open("/dev/null", O_RDWR | O_CLOEXEC);
  int devnull = opened < 0 ? -1 : fcntl(opened, F_DUPFD_CLOEXEC, MON_CONSOLE_FD + 1);
  if (opened >= 0) close(opened);
  if (devnull < 0) give_up_errno("open", "/dev/null");
  set_stdio(devnull, devnull, devnull);
  /* Hold the console fd's number until the socket pair takes it, so nothing else lands there. */
  if (o.terminal && dup3(devnull, MON_CONSOLE_FD, O_CLOEXEC) < 0) give_up_errno("dup3", "/dev/null");
  if (chdir(o.task_dir) < 0) give_up_errno("chdir", o.task_dir);

  struct tsrun_plan *plan = load_plan();
  mon_trace("read and decode the plan");
  remember_fifo(plan);
  if (plan->exec.preserve_fds != 0) {
    errno = EINVAL;
    give_up_because(FAILURE_PLAN_PRESERVES_FDS, NULL, MON_PLAN_FILE);
  }
  check_console(plan, o.terminal);
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) give_up_errno("prctl(PR_SET_CHILD_SUBREAPER)", NULL);
  setup_signals();
  open_log();
  mon.listen_fd = control_listen();
  if (mon.listen_fd < 0) give_up_errno("listen", MON_SOCKET_FILE);
  mon_trace("signals, log, control socket");

  mon.init = spawn_container(plan, &o, devnull);
  mon_trace("clone and init steps, to the exec fifo");
  plan_free(plan);
  close(devnull);
  if (o.oom_dir) oom_start(&mon, o.oom_kind, o.oom_dir);

  snprintf(mon.created_json, sizeof mon.created_json, "{\"pid\":%d,\"monitorPid\":%d}", (int)mon.init, (int)getpid());
  if (mon_write_atomic(MON_STATE_FILE, mon.created_json, strlen(mon.created_json)) < 0) {
    int err = errno;
    kill(mon.init, SIGKILL);
    errno = err;
    give_up_errno("write", MON_STATE_FILE);
  }
  mon_trace("monitor.json");
  report(mon.created_json);
  monitor_run(&mon);
}

/*
 * tsrun-init: the init tsrund puts before a container's command for --init (docker's
 * docker-init, which is tini). Usage: tsrun-init [--] COMMAND [ARG...].
 *
 * As pid 1 of the container it runs COMMAND as its child, in a process group of its own (the
 * terminal's foreground group when stdin is one, so ^C reaches it), passes SIGTERM, SIGINT,
 * SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and SIGWINCH on to the child's pid (tini's default: not to
 * its group), reaps every process that is reparented to it, and exits with the child's status:
 * its exit code, or 128+N when signal N ended it. Its own failures exit 127 (COMMAND not found
 * or not executable, as a shell says) or 125 (the init could not start it), with a message on
 * stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const int FORWARDED[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};
#define NFORWARDED (sizeof(FORWARDED) / sizeof(FORWARDED[0]))

enum { EXIT_INIT_FAILED = 125, EXIT_NOT_RUN = 127 };

static void die(const char *what) {
  fprintf(stderr, "tsrun-init: %s: %s\n", what, strerror(errno));
  exit(EXIT_INIT_FAILED);
}

/* In the child: its own process group, the terminal's foreground when there is one, the
 * signal mask the init inherited, then the command. */
static void run_child(char **argv, const sigset_t *inherited) {
  if (setpgid(0, 0) < 0) die("setpgid");
  if (isatty(STDIN_FILENO)) {
    /* The caller is now in a background group: SIGTTOU on tcsetpgrp unless ignored. */
    signal(SIGTTOU, SIG_IGN);
    if (tcsetpgrp(STDIN_FILENO, getpgrp()) < 0 && errno != ENOTTY) die("tcsetpgrp");
    signal(SIGTTOU, SIG_DFL);
  }
  if (sigprocmask(SIG_SETMASK, inherited, NULL) < 0) die("sigprocmask");
  execvp(argv[0], argv);
  int err = errno;
  fprintf(stderr, "tsrun-init: exec %s: %s\n", argv[0], strerror(err));
  _exit(err == ENOENT || err == EACCES || err == ENOEXEC ? EXIT_NOT_RUN : EXIT_INIT_FAILED);
}

/* Reap every exited child; returns 1 once `child` was among them, its status in *status. */
static int reap(pid_t child, int *status) {
  int found = 0;
  for (;;) {
    int st;
    pid_t pid = waitpid(-1, &st, WNOHANG);
    if (pid == 0) return found;
    if (pid < 0) {
      if (errno == EINTR) continue;
      if (errno == ECHILD) return found;
      die("waitpid");
    }
    if (pid == child) {
      *status = st;
      found = 1;
    }
  }
}

int main(int argc, char **argv) {
  int first = 1;
  if (first < argc && strcmp(argv[first], "--") == 0) first++;
  if (first >= argc) {
    fprintf(stderr, "usage: tsrun-init [--] COMMAND [ARG...]\n");
    return EXIT_INIT_FAILED;
  }

  /* Every signal the init handles is blocked and taken with sigwaitinfo: none is lost between
   * the fork and the loop, and none interrupts it half-way. */
  sigset_t handled, inherited;
  sigemptyset(&handled);
  sigaddset(&handled, SIGCHLD);
  for (size_t i = 0; i < NFORWARDED; i++) sigaddset(&handled, FORWARDED[i]);
  if (sigprocmask(SIG_BLOCK, &handled, &inherited) < 0) die("sigprocmask");

  pid_t child = fork();
  if (child < 0) die("fork");
  if (child == 0) run_child(argv + first, &inherited);

  int status = 0;
  for (;;) {
    siginfo_t info;
    int sig = sigwaitinfo(&handled, &info);
    if (sig < 0) {
      if (errno == EINTR) continue;
      die("sigwaitinfo");
    }
    if (sig != SIGCHLD) {
      /* The child may be gone already (its exit not reaped yet): nothing to tell it then. */
      if (kill(child, sig) < 0 && errno != ESRCH) die("kill");
      continue;
    }
    if (reap(child, &status)) break;
  }
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

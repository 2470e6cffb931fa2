/*
 * tsrun-pause: pid 1 of a pod sandbox (the Kubernetes "pause" container). It holds the pod's
 * namespaces open by living: it does nothing but wait for signals. SIGINT and SIGTERM end it
 * with status 0; SIGCHLD reaps whatever exited (with a shared pid namespace, the pod's orphans
 * are reparented to it). Usage: tsrun-pause (no arguments; -v prints its name and exits).
 *
 * Static: it is bind-mounted into a root of its own that holds no libc.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void reap(int sig) {
  (void)sig;
  int saved = errno;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
  errno = saved;
}

static void leave(int sig) {
  (void)sig;
  _exit(0);
}

static int on(int sig, void (*handler)(int)) {
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = handler;
  /* SA_NOCLDSTOP: a stopped child is not news; SA_RESTART: nothing here is interrupted. */
  sa.sa_flags = SA_RESTART | (sig == SIGCHLD ? SA_NOCLDSTOP : 0);
  sigemptyset(&sa.sa_mask);
  return sigaction(sig, &sa, NULL);
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "-v") == 0) {
    puts("tsrun-pause");
    return 0;
  }
  if (argc > 1) {
    fprintf(stderr, "usage: tsrun-pause (it takes no arguments)\n");
    return 2;
  }
  if (on(SIGINT, leave) < 0 || on(SIGTERM, leave) < 0 || on(SIGCHLD, reap) < 0) {
    fprintf(stderr, "tsrun-pause: sigaction: %s\n", strerror(errno));
    return 1;
  }
  for (;;) pause();
}

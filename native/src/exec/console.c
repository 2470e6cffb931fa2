#include "console.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <termios.h>
#include <unistd.h>

#include "sync.h"
#include "text.h"

#define PTMX "/dev/ptmx"
#define DEV_CONSOLE "/dev/console"

/* SCM_RIGHTS with the name runc sends (containerd and conmon read the fd, not the name). */
static int send_master(int sock, int master, struct tsrun_failure *f) {
  static const char name[] = PTMX;
  if (send_with_fd(sock, name, sizeof name - 1, master) < 0) return fail_because(f, errno, FAILURE_CONSOLE_SOCKET, "sendmsg", NULL);
  return 0;
}

/* runc binds the init's terminal onto /dev/console (made as an empty file when missing). */
static int mount_console(const char *slave_path, struct tsrun_failure *f) {
  int fd = open(DEV_CONSOLE, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0 && errno != EEXIST) return fail(f, errno, "open(O_CREAT)", DEV_CONSOLE);
  if (fd >= 0) close(fd);
  if (mount(slave_path, DEV_CONSOLE, NULL, MS_BIND, NULL) < 0) return fail(f, errno, "mount", DEV_CONSOLE);
  return 0;
}

static int fail_closing(struct tsrun_failure *f, int err, const char *what, const char *path, int fd1, int fd2) {
  if (fd1 >= 0) close(fd1);
  if (fd2 >= 0) close(fd2);
  return fail(f, err, what, path);
}

/* The slave as fds 0, 1 and 2, then the controlling terminal of the new session. */
static int slave_as_stdio(int slave, struct tsrun_failure *f) {
  for (int fd = 0; fd <= 2; fd++)
    if (fd != slave && dup2(slave, fd) < 0) {
      fail_closing(f, errno, "dup2", NULL, slave, -1);
      return failure_number(f, FAILURE_NUMBER_value, fd);
    }
  if (slave > 2) close(slave);
  if (ioctl(0, TIOCSCTTY, 0) < 0) return fail(f, errno, "ioctl(TIOCSCTTY)", NULL);
  return 0;
}

int console_setup(const struct console_step *c, struct tsrun_failure *f) {
  if (setsid() < 0) return fail(f, errno, "setsid", NULL);
  int master = open(PTMX, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) return fail(f, errno, "open", PTMX);
  int unlock = 0;
  unsigned int n = 0;
  if (ioctl(master, TIOCSPTLCK, &unlock) < 0) return fail_closing(f, errno, "ioctl(TIOCSPTLCK)", PTMX, master, -1);
  if (ioctl(master, TIOCGPTN, &n) < 0) return fail_closing(f, errno, "ioctl(TIOCGPTN)", PTMX, master, -1);
  char slave_path[32];
  char num[21];
  txt_append(txt_append(slave_path, slave_path + sizeof slave_path, "/dev/pts/"), slave_path + sizeof slave_path,
             txt_u64(num, n));
  if (c->width && c->height) {
    struct winsize ws = {.ws_row = c->height, .ws_col = c->width};
    if (ioctl(master, TIOCSWINSZ, &ws) < 0) return fail_closing(f, errno, "ioctl(TIOCSWINSZ)", slave_path, master, -1);
  }
  /* The peer of this very master: no path lookup that a mount could redirect. */
  int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) return fail_closing(f, errno, "ioctl(TIOCGPTPEER)", slave_path, master, -1);
  /* The process's user owns its terminal; the group stays devpts' (tty), as runc leaves it. */
  if (fchown(slave, c->uid, (gid_t)-1) < 0) return fail_closing(f, errno, "fchown", slave_path, master, slave);
  if ((c->mount_console && mount_console(slave_path, f) < 0) || send_master(c->socket_fd, master, f) < 0) {
    close(master);
    close(slave);
    return -1;
  }
  close(master);
  close(c->socket_fd);
  return slave_as_stdio(slave, f);
}

int console_socket_fd(const struct tsrun_plan *plan) {
  for (uint32_t i = 0; i < plan->n_init; i++)
    if (plan->init[i].op == OP_CONSOLE) return plan->init[i].u.console.socket_fd;
  return -1;
}

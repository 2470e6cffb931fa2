/* Id-mapped bind mounts. mount_setattr(2) takes the mapping as a user namespace fd: a child
 * made only to own a new user namespace carries it, and lives until that namespace is open.
 * The mount is a detached clone (open_tree) until move_mount puts it on the target, since the
 * kernel id-maps only mounts that were never attached. */
#include "idmap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sys.h"
#include "text.h"

static int write_proc(int procdir, const char *name, const char *data, struct tsrun_failure *f) {
  int fd = openat(procdir, name, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return fail_because(f, errno, FAILURE_ID_MAPPING_HELPER, "openat", name);
  size_t len = txt_len(data);
  ssize_t n = write(fd, data, len);
  int err = errno;
  close(fd);
  if (n < 0) return fail_because(f, err, FAILURE_ID_MAPPING_HELPER, "write", name);
  return (size_t)n == len ? 0 : fail_because(f, EIO, FAILURE_SHORT_WRITE, "write", name);
}

/* A user namespace with the mapping, as an fd; -1 on failure. The child shares our fd table
 * and opens its own /proc directory there: a pid is no name for it in the /proc we see when
 * we are in a new pid namespace. We write the maps ourselves, as the kernel wants the writer
 * privileged over the parent namespace. */
static int mapping_userns(const struct mount_step *m, struct tsrun_failure *f) {
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) < 0) return fail_because(f, errno, FAILURE_ID_MAPPING_HELPER, "pipe2", NULL);
  long pid = sys_clone_fork(CLONE_NEWUSER | CLONE_FILES | SIGCHLD);
  if (pid < 0) {
    int err = errno;
    close(pipefd[0]);
    close(pipefd[1]);
    return fail_because(f, err, FAILURE_ID_MAPPING_HELPER, "clone(CLONE_NEWUSER)", NULL);
  }
  if (pid == 0) {
    int dir = open("/proc/self", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (write(pipefd[1], &dir, sizeof dir) != sizeof dir) _exit(1);
    for (;;) pause();
  }
  int procdir = -1, fd = -1;
  ssize_t n = read(pipefd[0], &procdir, sizeof procdir);
  close(pipefd[0]);
  close(pipefd[1]);
  if (n != sizeof procdir || procdir < 0) {
    fail_because(f, n < 0 ? errno : EIO, FAILURE_ID_MAPPING_HELPER, "open", "/proc/self");
  } else if (write_proc(procdir, "uid_map", m->idmap_uid_map, f) == 0 && write_proc(procdir, "setgroups", "deny", f) == 0 &&
             write_proc(procdir, "gid_map", m->idmap_gid_map, f) == 0) {
    fd = openat(procdir, "ns/user", O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail_because(f, errno, FAILURE_ID_MAPPING_HELPER, "openat", "ns/user");
  }
  if (procdir >= 0) close(procdir);
  kill((pid_t)pid, SIGKILL);
  while (waitpid((pid_t)pid, NULL, 0) < 0 && errno == EINTR) continue;
  return fd;
}

int idmap_mount(const struct mount_step *m, int target_fd, struct tsrun_failure *f) {
  int userns = mapping_userns(m, f);
  if (userns < 0) return -1;
  unsigned clone_flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | ((m->flags & MS_REC) ? AT_RECURSIVE : 0);
  int tree = (int)syscall(SYS_open_tree, AT_FDCWD, m->source, clone_flags);
  if (tree < 0) {
    int err = errno;
    close(userns);
    return fail(f, err, "open_tree", m->source);
  }
  struct mount_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.attr_set = MOUNT_ATTR_IDMAP;
  attr.userns_fd = (uint64_t)userns;
  unsigned setattr_flags = AT_EMPTY_PATH | (m->idmap_recursive ? AT_RECURSIVE : 0);
  int rc = (int)syscall(SYS_mount_setattr, tree, "", setattr_flags, &attr, sizeof attr);
  int err = errno;
  close(userns);
  if (rc < 0) {
    close(tree);
    return fail(f, err, "mount_setattr(MOUNT_ATTR_IDMAP)", m->source);
  }
  rc = (int)syscall(SYS_move_mount, tree, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
  err = errno;
  close(tree);
  if (rc == 0) return 0;
  fail(f, err, "move_mount", m->target);
  return failure_path2(f, m->source);
}

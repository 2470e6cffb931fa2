#include "mount.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "inroot.h"
#include "sys.h"
#include "text.h"

#define ATIME_FLAGS (MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME)

/* The per-mount flags the kernel locks in a user namespace, as statfs reports them: a bind
 * remount must repeat them or fail with EPERM. Atime flags only when the step sets none. */
static unsigned long locked_flags(const struct statfs *st, unsigned long wanted) {
  unsigned long add = 0;
  if (st->f_flags & ST_RDONLY) add |= MS_RDONLY;
  if (st->f_flags & ST_NOSUID) add |= MS_NOSUID;
  if (st->f_flags & ST_NODEV) add |= MS_NODEV;
  if (st->f_flags & ST_NOEXEC) add |= MS_NOEXEC;
  if (!(wanted & ATIME_FLAGS)) {
    if (st->f_flags & ST_NOATIME) add |= MS_NOATIME;
    if (st->f_flags & ST_NODIRATIME) add |= MS_NODIRATIME;
    if (st->f_flags & ST_RELATIME) add |= MS_RELATIME;
  }
  return add;
}

static int skip_missing(const struct mount_step *m, int err, struct tsrun_failure *f) {
  if (err == ENOENT && m->ignore_missing) {
    f->err = 0;
    f->detail[0] = '\0';
    return 1;
  }
  return 0;
}

int mount_step(const struct mount_step *m, int rootfd, struct tsrun_failure *f) {
  const char *target = m->target;
  char fd_path[32];
  int target_fd = -1;
  if (m->in_root || m->create != CREATE_NONE) {
    /* A plain target to create is created beneath "/" with the same walk. */
    int base = m->in_root ? rootfd : open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (base < 0 && !m->in_root) return fail(f, errno, "open", "/");
    target_fd = inroot_open(base, m->target, m->create, f);
    if (!m->in_root) close(base);
    if (target_fd < 0) return skip_missing(m, f->err, f) ? 0 : -1;
    /* Mount onto what was resolved, not onto a path that could be swapped for a symlink. */
    if (m->in_root) target = txt_fd_path(fd_path, target_fd);
  }
  unsigned long flags = m->flags;
  if ((flags & (MS_BIND | MS_REMOUNT)) == (MS_BIND | MS_REMOUNT)) {
    struct statfs st;
    int rc = target_fd >= 0 ? fstatfs(target_fd, &st) : statfs(target, &st);
    if (rc < 0) {
      int err = errno;
      if (target_fd >= 0) close(target_fd);
      return skip_missing(m, err, f) ? 0 : fail(f, err, "statfs", m->target);
    }
    flags |= locked_flags(&st, flags);
  }
  int rc = mount(m->source, target, m->fstype, flags, m->data);
  int err = errno;
  if (target_fd >= 0) close(target_fd);
  if (rc == 0 || skip_missing(m, err, f)) return 0;
  return fail(f, err, "mount", m->target);
}

static int reopen_root(int *rootfd, struct tsrun_failure *f) {
  int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fail(f, errno, "open", "/");
  close(*rootfd);
  *rootfd = fd;
  return 0;
}

int root_pivot(int *rootfd, struct tsrun_failure *f) {
  if (*rootfd < 0) return fail(f, EINVAL, "no openRoot step before", "pivot_root");
  if (fchdir(*rootfd) < 0) return fail(f, errno, "fchdir", "(root)");
  /* The old root ends up stacked on the new one at "/": make it a slave so that detaching it
   * cannot propagate an unmount anywhere, then detach it. */
  if (sys_pivot_root(".", ".") < 0) return fail(f, errno, "pivot_root", ".");
  if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0) return fail(f, errno, "mount rslave", "(old root)");
  if (umount2(".", MNT_DETACH) < 0) return fail(f, errno, "umount2", "(old root)");
  if (chdir("/") < 0) return fail(f, errno, "chdir", "/");
  return reopen_root(rootfd, f);
}

int root_move(int *rootfd, struct tsrun_failure *f) {
  if (*rootfd < 0) return fail(f, EINVAL, "no openRoot step before", "moveRoot");
  if (fchdir(*rootfd) < 0) return fail(f, errno, "fchdir", "(root)");
  if (mount(".", "/", NULL, MS_MOVE, NULL) < 0) return fail(f, errno, "mount MS_MOVE", "/");
  if (chroot(".") < 0) return fail(f, errno, "chroot", ".");
  if (chdir("/") < 0) return fail(f, errno, "chdir", "/");
  return reopen_root(rootfd, f);
}

int mask_path(const char *path, struct tsrun_failure *f) {
  struct stat st;
  if (stat(path, &st) < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return 0;
    return fail(f, errno, "stat", path);
  }
  int rc = S_ISDIR(st.st_mode) ? mount("tmpfs", path, "tmpfs", MS_RDONLY, NULL)
                               : mount("/dev/null", path, NULL, MS_BIND, NULL);
  return rc < 0 ? fail(f, errno, "mount", path) : 0;
}

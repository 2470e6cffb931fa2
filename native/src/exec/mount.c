#include "mount.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "copyup.h"
#include "idmap.h"
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
    failure_clear(f);
    return 1;
  }
  return 0;
}

int mount_step(const struct mount_step *m, int rootfd, const struct create_modes *modes, struct tsrun_failure *f) {
  const char *target = m->target;
  char fd_path[32];
  int target_fd = -1;
  if (m->directory_only && inroot_require_directory(rootfd, m->target, f) < 0) return -1;
  if (m->in_root || m->create != CREATE_NONE) {
    /* A plain target to create is created beneath "/" with the same walk. */
    int base = m->in_root ? rootfd : open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (base < 0 && !m->in_root) return fail(f, errno, "open", "/");
    target_fd = inroot_create(base, m->target, m->create, modes, f);
    if (!m->in_root) close(base);
    if (target_fd < 0) return skip_missing(m, f->err, f) ? 0 : -1;
    /* No mount covers the container's root, whatever a symlink of the rootfs says. */
    if (m->in_root && inroot_refuse_root(rootfd, target_fd, m->target, f) < 0) {
      close(target_fd);
      return -1;
    }
    /* Mount onto what was resolved, not onto a path that could be swapped for a symlink. */
    if (m->in_root) target = txt_fd_path(fd_path, target_fd);
  }
  /* The decoder allows copyUp and idmap only with inRoot, so target_fd is open here. */
  if (m->idmap_uid_map) {
    int rc = idmap_mount(m, target_fd, f);
    close(target_fd);
    return rc;
  }
  int copy_source = m->copy_up ? copyup_open_source(target_fd, m->target, f) : -1;
  if (m->copy_up && copy_source < 0) {
    close(target_fd);
    return -1;
  }
  unsigned long flags = m->flags;
  if ((flags & (MS_BIND | MS_REMOUNT)) == (MS_BIND | MS_REMOUNT)) {
    struct statfs st;
    int rc = target_fd >= 0 ? fstatfs(target_fd, &st) : statfs(target, &st);
    if (rc < 0) {
      int err = errno;
      if (target_fd >= 0) close(target_fd);
      if (copy_source >= 0) close(copy_source);
      return skip_missing(m, err, f) ? 0 : fail(f, err, "statfs", m->target);
    }
    flags |= locked_flags(&st, flags);
  }
  int rc = mount(m->source, target, m->fstype, flags, m->data);
  int err = errno;
  if (target_fd >= 0) close(target_fd);
  if (copy_source >= 0) {
    if (rc == 0) return copyup_into(copy_source, rootfd, m->target, f);
    close(copy_source);
  }
  if (rc == 0 || skip_missing(m, err, f)) return 0;
  return fail(f, err, "mount", m->target);
}

static int sys_mount_setattr(int dirfd, const char *path, unsigned flags, struct mount_attr *attr) {
  return (int)syscall(SYS_mount_setattr, dirfd, path, flags, attr, sizeof *attr);
}

int mount_setattr_step(const struct mount_setattr_step *m, int rootfd, struct tsrun_failure *f) {
  int fd = m->in_root ? inroot_open(rootfd, m->target, f) : open(m->target, O_PATH | O_CLOEXEC);
  if (fd < 0) return m->in_root ? -1 : fail(f, errno, "open", m->target);
  struct mount_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.attr_set = m->attr_set;
  attr.attr_clr = m->attr_clr;
  int rc;
  do rc = sys_mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr);
  while (rc < 0 && errno == EINTR);
  int err = errno;
  close(fd);
  return rc < 0 ? fail(f, err, "mount_setattr", m->target) : 0;
}

static int reopen_root(int *rootfd, struct tsrun_failure *f) {
  int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fail(f, errno, "open", "/");
  close(*rootfd);
  *rootfd = fd;
  return 0;
}

int root_pivot(int *rootfd, struct tsrun_failure *f) {
  if (*rootfd < 0) return fail_because(f, EINVAL, FAILURE_NO_OPEN_ROOT, "pivot_root", NULL);
  int oldroot = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (oldroot < 0) return fail_because(f, errno, FAILURE_OLD_ROOT, "open", "/");
  if (fchdir(*rootfd) < 0) {
    close(oldroot);
    return fail_because(f, errno, FAILURE_NEW_ROOT, "fchdir", NULL);
  }
  /* The old root ends up stacked on the new one at "/": make it a slave so that detaching it
   * cannot propagate an unmount anywhere, then detach it. Through the old root's own fd: "." of
   * the new root's directory names the new root to mount(2), and MS_REC there would turn every
   * mount of the container (an rshared bind among them) into a slave. */
  if (sys_pivot_root(".", ".") < 0 || fchdir(oldroot) < 0) {
    int err = errno;
    close(oldroot);
    return fail(f, err, "pivot_root", ".");
  }
  close(oldroot);
  if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0) return fail_because(f, errno, FAILURE_OLD_ROOT, "mount(MS_SLAVE|MS_REC)", NULL);
  if (umount2(".", MNT_DETACH) < 0) return fail_because(f, errno, FAILURE_OLD_ROOT, "umount2(MNT_DETACH)", NULL);
  if (chdir("/") < 0) return fail(f, errno, "chdir", "/");
  return reopen_root(rootfd, f);
}

int root_move(int *rootfd, struct tsrun_failure *f) {
  if (*rootfd < 0) return fail_because(f, EINVAL, FAILURE_NO_OPEN_ROOT, "mount(MS_MOVE)", NULL);
  if (fchdir(*rootfd) < 0) return fail_because(f, errno, FAILURE_NEW_ROOT, "fchdir", NULL);
  if (mount(".", "/", NULL, MS_MOVE, NULL) < 0) return fail(f, errno, "mount(MS_MOVE)", "/");
  if (chroot(".") < 0) return fail(f, errno, "chroot", ".");
  if (chdir("/") < 0) return fail(f, errno, "chdir", "/");
  return reopen_root(rootfd, f);
}

int root_chroot(int *rootfd, struct tsrun_failure *f) {
  if (*rootfd < 0) return fail_because(f, EINVAL, FAILURE_NO_OPEN_ROOT, "chroot", NULL);
  if (fchdir(*rootfd) < 0) return fail_because(f, errno, FAILURE_NEW_ROOT, "fchdir", NULL);
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

#include "copyup.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "inroot.h"
#include "plan.h"
#include "text.h"

/* Each level holds two fds and about 1.2 KiB of stack (the getdents64 buffer): bounded so that
 * a deep tree or a bind-mount cycle fails cleanly instead of exhausting either. */
#define COPYUP_MAX_DEPTH 64
#define DIRENT_BUF_SIZE 1024
#define DATA_BUF_SIZE 4096
#define PERMISSION_BITS 07777
#define NEW_ENTRY_MODE 0700

struct linux_dirent64 {
  uint64_t d_ino;
  int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

/* The container path of the entry being copied, for failures. */
struct copy_path {
  char buf[PATH_MAX];
  size_t len;
};

static int fail_at(struct tsrun_failure *f, int err, const char *syscall, const struct copy_path *p) {
  return fail_because(f, err, FAILURE_COPY_UP, syscall, p->len ? p->buf : "/");
}

static int fail_below(struct tsrun_failure *f, int err, enum failure_reason reason, const struct copy_path *p) {
  return fail_because(f, err, reason, NULL, p->len ? p->buf : "/");
}

/* Append "/name"; returns the length to restore, or -1 when the path would not fit. */
static long path_push(struct copy_path *p, const char *name) {
  size_t n = txt_len(name);
  if (p->len + 1 + n >= sizeof p->buf) return -1;
  size_t old = p->len;
  p->buf[p->len++] = '/';
  for (size_t i = 0; i < n; i++) p->buf[p->len++] = name[i];
  p->buf[p->len] = '\0';
  return (long)old;
}

static void path_pop(struct copy_path *p, size_t len) {
  p->len = len;
  p->buf[len] = '\0';
}

static int is_dot_or_dotdot(const char *name) {
  return name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'));
}

/* read/write for a source sendfile cannot splice from. Kept out of the recursive frames. */
static __attribute__((noinline)) int copy_data_rw(int in, int out, const char **what) {
  char buf[DATA_BUF_SIZE];
  for (;;) {
    ssize_t n = read(in, buf, sizeof buf);
    if (n == 0) return 0;
    if (n < 0) {
      if (errno == EINTR) continue;
      *what = "read";
      return -1;
    }
    for (ssize_t done = 0; done < n;) {
      ssize_t w = write(out, buf + done, (size_t)(n - done));
      if (w < 0) {
        if (errno == EINTR) continue;
        *what = "write";
        return -1;
      }
      done += w;
    }
  }
}

static int copy_data(int in, int out, const char **what) {
  for (;;) {
    ssize_t n = sendfile(out, in, NULL, 1 << 30);
    if (n > 0) continue;
    if (n == 0) return 0;
    if (errno == EINTR) continue;
    /* Both offsets moved with what was sent: read/write carries on from there. */
    if (errno == EINVAL || errno == ENOSYS) return copy_data_rw(in, out, what);
    *what = "sendfile";
    return -1;
  }
}

static __attribute__((noinline)) int copy_file(int src, int dst, const char *name, const struct copy_path *p,
                                               struct tsrun_failure *f) {
  int in = openat(src, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
  if (in < 0) return fail_at(f, errno, "open", p);
  int out = openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, NEW_ENTRY_MODE);
  if (out < 0) {
    int err = errno;
    close(in);
    return fail_at(f, err, "openat(O_CREAT)", p);
  }
  const char *what = NULL;
  int rc = copy_data(in, out, &what);
  int err = errno;
  close(in);
  close(out);
  return rc < 0 ? fail_at(f, err, what, p) : 0;
}

static __attribute__((noinline)) int copy_symlink(int src, int dst, const char *name, const struct copy_path *p,
                                                  struct tsrun_failure *f) {
  char target[PATH_MAX];
  ssize_t n = readlinkat(src, name, target, sizeof target);
  if (n < 0) return fail_at(f, errno, "readlinkat", p);
  if ((size_t)n >= sizeof target) return fail_at(f, ENAMETOOLONG, "readlinkat", p);
  target[n] = '\0';
  return symlinkat(target, dst, name) < 0 ? fail_at(f, errno, "symlinkat", p) : 0;
}

/* Owner first: chown clears set-id bits, which the mode then restores. */
static int copy_attributes(int dst, const char *name, const struct stat *st, const struct copy_path *p,
                           struct tsrun_failure *f) {
  if (fchownat(dst, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
    return fail_at(f, errno, "fchownat", p);
  /* A symlink has no mode of its own; anything else here was just made by us, not a link. */
  if (!S_ISLNK(st->st_mode) && fchmodat(dst, name, st->st_mode & PERMISSION_BITS, 0) < 0)
    return fail_at(f, errno, "fchmodat", p);
  const struct timespec times[2] = {st->st_atim, st->st_mtim};
  if (utimensat(dst, name, times, AT_SYMLINK_NOFOLLOW) < 0) return fail_at(f, errno, "utimensat", p);
  return 0;
}

static int copy_tree(int src, int dst, struct copy_path *p, int depth, struct tsrun_failure *f);

static int copy_dir(int src, int dst, const char *name, struct copy_path *p, int depth, struct tsrun_failure *f) {
  if (mkdirat(dst, name, NEW_ENTRY_MODE) < 0) return fail_at(f, errno, "mkdirat", p);
  int from = openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (from < 0) return fail_at(f, errno, "open", p);
  int to = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (to < 0) {
    int err = errno;
    close(from);
    return fail_at(f, err, "open", p);
  }
  int rc = copy_tree(from, to, p, depth + 1, f);
  close(from);
  close(to);
  return rc;
}

static int copy_entry(int src, int dst, const char *name, struct copy_path *p, int depth, struct tsrun_failure *f) {
  struct stat st;
  if (fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) < 0) return fail_at(f, errno, "fstatat", p);
  int rc;
  switch (st.st_mode & S_IFMT) {
  case S_IFREG: rc = copy_file(src, dst, name, p, f); break;
  case S_IFDIR: rc = copy_dir(src, dst, name, p, depth, f); break;
  case S_IFLNK: rc = copy_symlink(src, dst, name, p, f); break;
  default: /* character and block devices, fifos, sockets */
    rc = mknodat(dst, name, (st.st_mode & S_IFMT) | NEW_ENTRY_MODE, st.st_rdev) < 0
             ? fail_at(f, errno, "mknodat", p)
             : 0;
  }
  return rc < 0 ? -1 : copy_attributes(dst, name, &st, p, f);
}

static int copy_tree(int src, int dst, struct copy_path *p, int depth, struct tsrun_failure *f) {
  if (depth > COPYUP_MAX_DEPTH) return fail_below(f, ELOOP, FAILURE_COPY_UP_TOO_DEEP, p);
  char buf[DIRENT_BUF_SIZE] __attribute__((aligned(8)));
  for (;;) {
    long n = syscall(SYS_getdents64, src, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_at(f, errno, "getdents64", p);
    if (n == 0) return 0;
    for (long off = 0; off < n;) {
      const struct linux_dirent64 *d = (const struct linux_dirent64 *)(buf + off);
      off += d->d_reclen;
      if (is_dot_or_dotdot(d->d_name)) continue;
      long saved = path_push(p, d->d_name);
      if (saved < 0) return fail_below(f, ENAMETOOLONG, FAILURE_COPY_UP_PATH_TOO_LONG, p);
      int rc = copy_entry(src, dst, d->d_name, p, depth, f);
      path_pop(p, (size_t)saved);
      if (rc < 0) return -1;
    }
  }
}

int copyup_open_source(int target_fd, const char *target, struct tsrun_failure *f) {
  /* "." of the O_PATH fd: the directory itself, before any mount covers it. */
  int fd = openat(target_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  return fd < 0 ? fail_because(f, errno, FAILURE_COPY_UP, "open", target) : fd;
}

int copyup_into(int source, int rootfd, const char *target, struct tsrun_failure *f) {
  struct copy_path p;
  p.buf[0] = '\0';
  /* "/" itself adds nothing in front of "/name". */
  p.len = (size_t)(txt_append(p.buf, p.buf + sizeof p.buf, target[0] == '/' && target[1] == '\0' ? "" : target) - p.buf);
  struct stat st;
  int dst = -1;
  int rc = fstat(source, &st) < 0 ? fail_because(f, errno, FAILURE_COPY_UP, "fstat", target) : 0;
  if (rc == 0) {
    /* Resolved again from the root: the walk now ends on the new mount. */
    int mounted = inroot_open(rootfd, target, f);
    rc = mounted < 0 ? -1 : 0;
    if (rc == 0) {
      dst = openat(mounted, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (dst < 0) rc = fail_because(f, errno, FAILURE_COPY_UP, "open", target);
      close(mounted);
    }
  }
  if (rc == 0) rc = copy_tree(source, dst, &p, 0, f);
  if (rc == 0 && fchown(dst, st.st_uid, st.st_gid) < 0) rc = fail_because(f, errno, FAILURE_COPY_UP, "fchown", target);
  if (rc == 0 && fchmod(dst, st.st_mode & PERMISSION_BITS) < 0) rc = fail_because(f, errno, FAILURE_COPY_UP, "fchmod", target);
  if (rc == 0) {
    const struct timespec times[2] = {st.st_atim, st.st_mtim};
    if (futimens(dst, times) < 0) rc = fail_because(f, errno, FAILURE_COPY_UP, "futimens", target);
  }
  if (dst >= 0) close(dst);
  close(source);
  return rc;
}

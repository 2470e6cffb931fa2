#include "inroot.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "plan.h"
#include "sys.h"

#define RESOLVE_BENEATH_ROOT (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)

static int resolve(int rootfd, const char *path, int extra_flags) {
  return sys_openat2(rootfd, path, (uint64_t)(O_PATH | O_CLOEXEC | extra_flags), RESOLVE_BENEATH_ROOT);
}

static int no_root(const char *path, struct tsrun_failure *f) {
  return fail_because(f, EINVAL, FAILURE_NO_OPEN_ROOT, NULL, path);
}

/* Copy `path` into `buf` as "a/b/c": no leading, trailing or repeated slashes, no "." parts.
 * "" stands for the root itself. */
static int normalize(const char *path, char buf[PATH_MAX], struct tsrun_failure *f) {
  size_t n = 0;
  const char *p = path;
  while (*p) {
    while (*p == '/') p++;
    const char *start = p;
    while (*p && *p != '/') p++;
    size_t len = (size_t)(p - start);
    if (len == 0 || (len == 1 && start[0] == '.')) continue;
    if (n + len + 2 > PATH_MAX) return fail(f, ENAMETOOLONG, "resolve", path);
    if (n > 0) buf[n++] = '/';
    for (size_t i = 0; i < len; i++) buf[n++] = start[i];
  }
  buf[n] = '\0';
  return 0;
}

/* Make the entry `name` in `dirfd`: the last component as `kind` says, any other a directory. */
static int make_entry(int dirfd, const char *name, int kind, mode_t mode) {
  if (kind == CREATE_FILE) {
    /* O_EXCL: a dangling symlink in the way is EEXIST, never followed out of the root. */
    int fd = openat(dirfd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0) return -1;
    close(fd);
    return 0;
  }
  return mkdirat(dirfd, name, mode);
}

/* Resolve the normalized `buf` beneath the root, creating missing components one at a time:
 * each prefix is resolved from the root again, so a symlink met on the way is followed inside
 * it. The last component is made as `last_kind` with `last_mode`. Returns an O_PATH fd. */
static int walk_create(int rootfd, char *buf, int last_kind, mode_t last_mode, mode_t parent_mode, int last_flags,
                       struct tsrun_failure *f) {
  if (buf[0] == '\0') {
    int fd = resolve(rootfd, "/", last_flags);
    return fd < 0 ? fail(f, errno, "openat2", "/") : fd;
  }
  int parent = resolve(rootfd, "/", O_DIRECTORY);
  if (parent < 0) return fail(f, errno, "openat2", "/");
  mode_t old_umask = umask(0);
  char *component = buf;
  for (;;) {
    char *slash = component;
    while (*slash && *slash != '/') slash++;
    int last = *slash == '\0';
    *slash = '\0';
    int flags = last ? last_flags : O_DIRECTORY;
    int fd = resolve(rootfd, buf, flags);
    if (fd < 0 && errno == ENOENT) {
      int kind = last ? last_kind : CREATE_DIR;
      if (make_entry(parent, component, kind, last ? last_mode : parent_mode) < 0 && errno != EEXIST) {
        fail(f, errno, kind == CREATE_FILE ? "openat(O_CREAT)" : "mkdirat", buf);
        break;
      }
      fd = resolve(rootfd, buf, flags);
    }
    if (fd < 0) {
      fail(f, errno, "openat2", buf);
      break;
    }
    close(parent);
    parent = fd;
    if (last) {
      umask(old_umask);
      return fd;
    }
    *slash = '/';
    component = slash + 1;
  }
  umask(old_umask);
  close(parent);
  return -1;
}

int inroot_open(int rootfd, const char *path, struct tsrun_failure *f) {
  if (rootfd < 0) return no_root(path, f);
  int fd = resolve(rootfd, path, 0);
  return fd < 0 ? fail(f, errno, "openat2", path) : fd;
}

int inroot_create(int rootfd, const char *path, int create, const struct create_modes *modes, struct tsrun_failure *f) {
  if (create == CREATE_NONE) return inroot_open(rootfd, path, f);
  if (rootfd < 0) return no_root(path, f);
  char buf[PATH_MAX];
  if (normalize(path, buf, f) < 0) return -1;
  uint32_t mode = create == CREATE_FILE ? modes->file : modes->dir;
  return walk_create(rootfd, buf, create, (mode_t)mode, (mode_t)modes->dir, 0, f);
}

int inroot_require_directory(int rootfd, const char *path, struct tsrun_failure *f) {
  if (rootfd < 0) return no_root(path, f);
  int fd = resolve(rootfd, path, O_NOFOLLOW);
  if (fd < 0) return errno == ENOENT ? 0 : fail(f, errno, "openat2", path);
  struct stat st;
  int rc = fstat(fd, &st);
  int err = errno;
  close(fd);
  if (rc < 0) return fail(f, err, "fstat", path);
  return S_ISDIR(st.st_mode) ? 0 : fail_because(f, ENOTDIR, FAILURE_NOT_DIRECTORY, NULL, path);
}

/* Every component of `path` is "." or "..": it names the root itself. */
static int names_root(const char *path) {
  for (const char *p = path; *p;) {
    while (*p == '/') p++;
    const char *start = p;
    while (*p && *p != '/') p++;
    size_t len = (size_t)(p - start);
    if (len > 2 || (len > 0 && (start[0] != '.' || (len == 2 && start[1] != '.')))) return 0;
  }
  return 1;
}

int inroot_refuse_root(int rootfd, int fd, const char *path, struct tsrun_failure *f) {
  if (names_root(path)) return 0;
  struct stat root, st;
  if (fstat(rootfd, &root) < 0) return fail(f, errno, "fstat", "/");
  if (fstat(fd, &st) < 0) return fail(f, errno, "fstat", path);
  if (root.st_dev != st.st_dev || root.st_ino != st.st_ino) return 0;
  return fail_because(f, ELOOP, FAILURE_CONTAINER_ROOT, NULL, path);
}

int inroot_mkdir(int rootfd, const char *path, uint32_t mode, const struct create_modes *modes, struct tsrun_failure *f) {
  if (rootfd < 0) return no_root(path, f);
  char buf[PATH_MAX];
  if (normalize(path, buf, f) < 0) return -1;
  int fd = walk_create(rootfd, buf, CREATE_DIR, (mode_t)mode, (mode_t)modes->dir, O_DIRECTORY, f);
  if (fd < 0) return -1;
  close(fd);
  return 0;
}

/* Resolve (creating) the directory that holds `path`'s last component; that component is left
 * in `*name`, pointing into `buf`. */
static int open_parent(int rootfd, const char *path, char buf[PATH_MAX], const char **name, const struct create_modes *modes,
                       struct tsrun_failure *f) {
  if (rootfd < 0) return no_root(path, f);
  if (normalize(path, buf, f) < 0) return -1;
  char *last_slash = NULL;
  for (char *p = buf; *p; p++)
    if (*p == '/') last_slash = p;
  const char *base = last_slash ? last_slash + 1 : buf;
  if (base[0] == '\0' || (base[0] == '.' && base[1] == '.' && base[2] == '\0'))
    return fail_because(f, EINVAL, FAILURE_NO_FILE_NAME, NULL, path);
  if (!last_slash) {
    *name = base;
    int fd = resolve(rootfd, "/", O_DIRECTORY);
    return fd < 0 ? fail(f, errno, "openat2", "/") : fd;
  }
  *last_slash = '\0';
  *name = base;
  return walk_create(rootfd, buf, CREATE_DIR, (mode_t)modes->dir, (mode_t)modes->dir, O_DIRECTORY, f);
}

int inroot_mknod(int rootfd, const char *path, uint32_t mode, uint32_t major, uint32_t minor, uint32_t uid,
                 uint32_t gid, const struct create_modes *modes, struct tsrun_failure *f) {
  char buf[PATH_MAX];
  const char *name;
  int dir = open_parent(rootfd, path, buf, &name, modes, f);
  if (dir < 0) return -1;
  mode_t old_umask = umask(0);
  int rc = mknodat(dir, name, (mode_t)mode, makedev(major, minor));
  int err = errno;
  umask(old_umask);
  if (rc < 0) fail(f, err, "mknodat", path);
  else if (fchownat(dir, name, (uid_t)uid, (gid_t)gid, AT_SYMLINK_NOFOLLOW) < 0) rc = fail(f, errno, "fchownat", path);
  close(dir);
  return rc < 0 ? -1 : 0;
}

int inroot_symlink(int rootfd, const char *path, const char *link_to, int ignore_existing, const struct create_modes *modes,
                   struct tsrun_failure *f) {
  char buf[PATH_MAX];
  const char *name;
  int dir = open_parent(rootfd, path, buf, &name, modes, f);
  if (dir < 0) return -1;
  int rc = symlinkat(link_to, dir, name);
  if (rc < 0 && errno == EEXIST && ignore_existing) rc = 0;
  else if (rc < 0) fail(f, errno, "symlinkat", path);
  close(dir);
  return rc < 0 ? -1 : 0;
}

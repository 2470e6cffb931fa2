/* Paths inside the container root: resolved beneath the root directory fd with openat2
 * RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS, so ".." and symlinks (even absolute ones, even one
 * pointing at the host's /etc) stay inside the root; missing components are created one at a
 * time beneath the directory just resolved. All failures name the component that failed. */
#ifndef TSRUN_INROOT_H
#define TSRUN_INROOT_H

#include <stdint.h>

#include "failure.h"

struct create_modes;

/* Open `path` beneath `rootfd` as an O_PATH fd. */
int inroot_open(int rootfd, const char *path, struct tsrun_failure *f);

/* inroot_open, making a missing target first as `create` (enum create_kind) says, with its
 * missing parents, in the modes of the plan. */
int inroot_create(int rootfd, const char *path, int create, const struct create_modes *modes, struct tsrun_failure *f);

/* 0 when `path` beneath the root is missing or a directory itself (not a symlink to one), else
 * ENOTDIR naming it. */
int inroot_require_directory(int rootfd, const char *path, struct tsrun_failure *f);

/* -1 (ELOOP naming `path`) when `fd`, which `path` resolved to, is the root itself while `path`
 * names something below it (a symlink to "/" or ".." on the way), else 0. */
int inroot_refuse_root(int rootfd, int fd, const char *path, struct tsrun_failure *f);

/* mkdir -p beneath the root; the last directory gets `mode`, parents modes->dir. An existing
 * directory is fine. The umask does not apply. */
int inroot_mkdir(int rootfd, const char *path, uint32_t mode, const struct create_modes *modes, struct tsrun_failure *f);

/* mknod + chown beneath the root (parents created); an existing entry is EEXIST. The umask does
 * not apply. */
int inroot_mknod(int rootfd, const char *path, uint32_t mode, uint32_t major, uint32_t minor, uint32_t uid,
                 uint32_t gid, const struct create_modes *modes, struct tsrun_failure *f);

/* symlink beneath the root (parents created); an existing entry is EEXIST unless
 * `ignore_existing`. */
int inroot_symlink(int rootfd, const char *path, const char *link_to, int ignore_existing, const struct create_modes *modes,
                   struct tsrun_failure *f);

#endif

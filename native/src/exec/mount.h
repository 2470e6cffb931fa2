/* Mount steps and root changes of init. */
#ifndef TSRUN_MOUNT_H
#define TSRUN_MOUNT_H

#include "failure.h"
#include "plan.h"

/* A MountStep. `rootfd` is the open root (-1 before openRoot). */
int mount_step(const struct mount_step *m, int rootfd, const struct create_modes *modes, struct tsrun_failure *f);

/* A MountSetattrStep: mount_setattr(2) with AT_RECURSIVE on the mount at the target. */
int mount_setattr_step(const struct mount_setattr_step *m, int rootfd, struct tsrun_failure *f);

/* pivot_root into *rootfd and detach the old root; *rootfd becomes the new "/". */
int root_pivot(int *rootfd, struct tsrun_failure *f);

/* MS_MOVE *rootfd onto "/" and chroot into it; *rootfd becomes the new "/". */
int root_move(int *rootfd, struct tsrun_failure *f);
/* Without a mount namespace of the container's own: chroot into the open root. Nothing is
 * mounted or moved, so the namespace's other processes keep their root. */
int root_chroot(int *rootfd, struct tsrun_failure *f);

/* A read-only empty tmpfs over a directory, /dev/null over anything else; missing is fine. */
int mask_path(const char *path, struct tsrun_failure *f);

#endif

/* Id-mapped bind mounts (MountStep.idmap). */
#ifndef TSRUN_IDMAP_H
#define TSRUN_IDMAP_H

#include "failure.h"
#include "plan.h"

/* Clone m->source detached, give it the mapping of m->idmap_uid_map/gid_map and move it onto
 * `target_fd` (the resolved target). The mount is attached only there, in the caller's mount
 * namespace. */
int idmap_mount(const struct mount_step *m, int target_fd, struct tsrun_failure *f);

#endif

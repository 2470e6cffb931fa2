/* Credentials of init. Raw syscalls: glibc's setxid wrappers would signal Node's threads. */
#ifndef TSRUN_CREDS_H
#define TSRUN_CREDS_H

#include <stdint.h>

#include "failure.h"

/* setresgid(0,0,0) and setresuid(0,0,0), in a new user namespace once its maps are written. */
int creds_become_root(struct tsrun_failure *f);

/* setgroups (when `setgroups`), setresgid, setresuid, keeping capabilities (PR_SET_KEEPCAPS). */
int creds_set_user(uint32_t uid, uint32_t gid, const uint32_t *gids, uint32_t n_gids, int setgroups,
                   struct tsrun_failure *f);

#endif

/* The container's own session keyring (JoinSessionKeyringStep). */
#ifndef TSRUN_KEYRING_H
#define TSRUN_KEYRING_H

#include <stdint.h>

#include "failure.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Join (making it when missing) the session keyring `name` (NULL: a new anonymous one) and add
 * `perm_set` to its permissions. A kernel without keys (ENOSYS) is no failure. */
int keyring_join_session(const char *name, uint32_t perm_set, struct tsrun_failure *f);

#ifdef __cplusplus
}
#endif

#endif

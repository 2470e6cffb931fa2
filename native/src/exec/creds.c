#include "creds.h"

#include <errno.h>
#include <sys/prctl.h>

#include "sys.h"

static int fail_id(struct tsrun_failure *f, const char *what, uint32_t id) {
  fail(f, errno, what, NULL);
  return failure_number(f, FAILURE_NUMBER_value, id);
}

int creds_become_root(struct tsrun_failure *f) {
  if (sys_setresgid(0, 0, 0) < 0) return fail_id(f, "setresgid", 0);
  if (sys_setresuid(0, 0, 0) < 0) return fail_id(f, "setresuid", 0);
  return 0;
}

int creds_set_user(uint32_t uid, uint32_t gid, const uint32_t *gids, uint32_t n_gids, int setgroups,
                   struct tsrun_failure *f) {
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) return fail(f, errno, "prctl(PR_SET_KEEPCAPS)", NULL);
  if (setgroups && sys_setgroups(n_gids, (const gid_t *)gids) < 0) return fail(f, errno, "setgroups", NULL);
  if (sys_setresgid(gid, gid, gid) < 0) return fail_id(f, "setresgid", gid);
  if (sys_setresuid(uid, uid, uid) < 0) return fail_id(f, "setresuid", uid);
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) return fail(f, errno, "prctl(PR_SET_KEEPCAPS)", NULL);
  return 0;
}

#include "caps.h"

#include <errno.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>


static int fail_cap(struct tsrun_failure *f, const char *what, uint32_t cap) {
  fail(f, errno, what, NULL);
  return failure_number(f, FAILURE_NUMBER_value, cap);
}

int caps_drop_bounding(uint64_t keep, uint32_t last_cap, struct tsrun_failure *f) {
  for (uint32_t cap = 0; cap <= last_cap; cap++) {
    if (keep >> cap & 1) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) return fail_cap(f, "prctl(PR_CAPBSET_DROP)", cap);
  }
  return 0;
}

int caps_set(uint64_t effective, uint64_t permitted, uint64_t inheritable, uint64_t ambient,
             struct tsrun_failure *f) {
  struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {
      {(uint32_t)effective, (uint32_t)permitted, (uint32_t)inheritable},
      {(uint32_t)(effective >> 32), (uint32_t)(permitted >> 32), (uint32_t)(inheritable >> 32)},
  };
  if (syscall(SYS_capset, &header, data) < 0) return fail(f, errno, "capset", NULL);
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
    return fail(f, errno, "prctl(PR_CAP_AMBIENT_CLEAR_ALL)", NULL);
  for (uint32_t cap = 0; cap < 64; cap++) {
    if (!(ambient >> cap & 1)) continue;
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0) return fail_cap(f, "prctl(PR_CAP_AMBIENT_RAISE)", cap);
  }
  return 0;
}

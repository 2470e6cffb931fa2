#include "keyring.h"

#include <errno.h>
#include <linux/keyctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static long keyctl(int cmd, unsigned long a2, unsigned long a3, unsigned long a4) {
  return syscall(SYS_keyctl, cmd, a2, a3, a4, 0UL);
}

/* The permission mask of a KEYCTL_DESCRIBE text, "type;uid;gid;perm;description" (perm in hex). */
static int describe_perm(const char *desc, long len, uint32_t *perm) {
  int field = 0;
  long i = 0;
  for (; i < len && field < 3; i++) {
    if (desc[i] == ';') field++;
  }
  uint32_t value = 0;
  int digits = 0;
  for (; i < len && desc[i] != ';'; i++, digits++) {
    char c = desc[i];
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0 || digits == 8) return -1;
    value = value << 4 | (uint32_t)d;
  }
  if (field != 3 || digits == 0) return -1;
  *perm = value;
  return 0;
}

int keyring_join_session(const char *name, uint32_t perm_set, struct tsrun_failure *f) {
  long id = keyctl(KEYCTL_JOIN_SESSION_KEYRING, (unsigned long)name, 0, 0);
  if (id < 0) {
    /* No keys in this kernel: no keyring is shared with the caller either (runc does the same). */
    if (errno == ENOSYS) return 0;
    return fail(f, errno, "keyctl(KEYCTL_JOIN_SESSION_KEYRING)", name);
  }
  if (perm_set == 0) return 0;
  char desc[256];
  long len = keyctl(KEYCTL_DESCRIBE, (unsigned long)id, (unsigned long)desc, sizeof desc);
  if (len < 0) return fail(f, errno, "keyctl(KEYCTL_DESCRIBE)", name);
  uint32_t perm;
  /* The description may be cut off: only the fields before it are read. */
  if (describe_perm(desc, len < (long)sizeof desc ? len : (long)sizeof desc, &perm) < 0)
    return fail_because(f, EINVAL, FAILURE_KEYRING_PERMISSIONS, "keyctl(KEYCTL_DESCRIBE)", name);
  if (keyctl(KEYCTL_SETPERM, (unsigned long)id, perm | perm_set, 0) < 0) return fail(f, errno, "keyctl(KEYCTL_SETPERM)", name);
  return 0;
}

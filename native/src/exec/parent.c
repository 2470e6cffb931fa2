#include "parent.h"

#include <errno.h>

#include "fileio.h"
#include "netdev.h"
#include "text.h"

static const char *proc_file_name(uint8_t name) {
  switch (name) {
  case PROC_UID_MAP: return "uid_map";
  case PROC_GID_MAP: return "gid_map";
  default: return "setgroups";
  }
}

int parent_step(const struct plan_step *s, pid_t init_pid, struct tsrun_failure *f) {
  char num[21];
  txt_u64(num, (uint64_t)init_pid);
  switch (s->op) {
  case OP_WRITE_PID: return write_file(s->u.write_pid.path, num, txt_len(num), f);
  case OP_WRITE_PROC_FILE: {
    char path[64];
    char *end = path + sizeof path;
    char *pos = txt_append(path, end, "/proc/");
    pos = txt_append(pos, end, num);
    pos = txt_append(pos, end, "/");
    txt_append(pos, end, proc_file_name(s->u.write_proc_file.name));
    return write_file(path, s->u.write_proc_file.data.s, s->u.write_proc_file.data.len, f);
  }
  case OP_MOVE_NET_DEVICE: return netdev_move(s->u.move_netdev.name, s->u.move_netdev.new_name, init_pid, f);
  default: return fail_because(f, EINVAL, FAILURE_OP_NOT_ALLOWED, NULL, NULL);
  }
}

/* Generated from runtime/plan/contract/steps.json by runtime/plan/contract/gen.js: do not edit.
 * Change the table and run `npm run gen:types`. */
#include "../plan.h"
#include "../plan_reader.h"

#include <stdlib.h>
#include <string.h>

/* Hand-written in plan.c: what the decoder derives from a decoded value. */
void plan_finish_net_address(struct reader *r, struct net_address *x);
void plan_finish_seccomp(struct reader *r, struct seccomp_step *x);

static void rd_create_modes(struct reader *r, struct create_modes *x);
static void rd_exec_spec(struct reader *r, struct exec_spec *x);
static void rd_cgroup_dir(struct reader *r, struct cgroup_dir *x);
static void rd_exec_rlimit(struct reader *r, struct exec_rlimit *x);
static void rd_seccomp_rule(struct reader *r, struct seccomp_rule *x);
static void rd_seccomp_condition(struct reader *r, struct seccomp_condition *x);
static void rd_bpf_instruction(struct reader *r, struct bpf_instruction *x);
static void rd_hook_cmd(struct reader *r, struct hook_cmd *x);
static void rd_net_address(struct reader *r, struct net_address *x);

static void rd_create_modes(struct reader *r, struct create_modes *x) {
  {
    uint32_t v = rd_u32(r, "createModes dir");
    if (!r->failed && v > 4095u) plan_bad(r, "createModes dir above 4095");
    x->dir = v;
  }
  {
    uint32_t v = rd_u32(r, "createModes file");
    if (!r->failed && v > 4095u) plan_bad(r, "createModes file above 4095");
    x->file = v;
  }
}

static void rd_exec_spec(struct reader *r, struct exec_spec *x) {
  {
    uint32_t n = rd_count(r, 4, "exec args");
    if (!r->failed && n < 1) plan_bad(r, "exec args is empty");
    char **items = plan_alloc(r, ((size_t)n + 1) * sizeof *items);
    for (uint32_t k = 0; items && k < n && !r->failed; k++) {
      items[k] = (char *)rd_str(r, "exec args");
    }
    x->args = items;
    x->n_args = n;
  }
  {
    uint32_t n = rd_count(r, 4, "exec env");
    char **items = plan_alloc(r, ((size_t)n + 1) * sizeof *items);
    for (uint32_t k = 0; items && k < n && !r->failed; k++) {
      items[k] = (char *)rd_str(r, "exec env");
    }
    x->env = items;
    x->n_env = n;
  }
  x->search_path = rd_str(r, "exec searchPath");
  {
    uint32_t v = rd_u32(r, "exec preserveFds");
    if (!r->failed && v > 1048576u) plan_bad(r, "exec preserveFds above 1048576");
    x->preserve_fds = v;
  }
  x->has_fifo = rd_bool(r, "exec fifo");
  if (x->has_fifo) {
    x->fifo_dir = rd_str(r, "exec fifo dir");
    x->fifo_name = rd_str(r, "exec fifo name");
  }
  {
    uint32_t n = rd_count(r, 4, "exec exitSignals");
    if (!r->failed && n > 64) plan_bad(r, "exec exitSignals: more than 64");
    uint32_t *items = plan_alloc(r, ((size_t)n + 1) * sizeof *items);
    for (uint32_t k = 0; items && k < n && !r->failed; k++) {
      {
        uint32_t v = rd_u32(r, "exec signal");
        if (!r->failed && (v < 1 || v > 64)) plan_bad(r, "exec signal outside 1..64");
        items[k] = v;
      }
    }
    x->exit_signals = items;
    x->n_exit_signals = n;
  }
  if (rd_bool(r, "exec startContainerHooks")) {
    struct plan_step *s = plan_alloc(r, sizeof *s);
    if (s) plan_read_step(r, s, PLAN_IN_EXEC_HOOKS);
    if (!r->failed && s && s->op == OP_RUN_HOOKS && s->u.hooks.kind != 2) plan_bad(r, "exec startContainerHooks kind must be startContainer");
    x->start_hooks = s;
  }
  {
    uint32_t n = rd_count(r, 25, "exec rlimits");
    struct exec_rlimit *items = plan_alloc(r, ((size_t)n + 1) * sizeof *items);
    for (uint32_t k = 0; items && k < n && !r->failed; k++) {
      rd_exec_rlimit(r, &items[k]);
    }
    x->rlimits = items;
    x->n_rlimits = n;
  }
  if (rd_bool(r, "exec seccomp")) {
    struct plan_step *s = plan_alloc(r, sizeof *s);
    if (s) plan_read_step(r, s, PLAN_IN_EXEC_SECCOMP);
    if (!r->failed && s && s->op == OP_SECCOMP && s->u.seccomp.has_listener) plan_bad(r, "exec seccomp with a listener (it must be an init step)");
    x->seccomp = s;
  }
}

static void rd_cgroup_dir(struct reader *r, struct cgroup_dir *x) {
  x->dir = rd_str(r, "cgroup directory dir");
}

static void rd_exec_rlimit(struct reader *r, struct exec_rlimit *x) {
  plan_read_step(r, &x->step, PLAN_IN_EXEC_RLIMITS);
  x->message = rd_str(r, "exec rlimit message");
}

static void rd_seccomp_rule(struct reader *r, struct seccomp_rule *x) {
  x->syscall = rd_str(r, "seccomp rule syscall");
  x->action = rd_u32(r, "seccomp rule action");
  {
    uint32_t n = rd_count(r, 18, "seccomp rule conditions");
    if (!r->failed && n > 6) plan_bad(r, "seccomp rule conditions: more than 6");
    struct seccomp_condition *items = plan_alloc(r, ((size_t)n + 1) * sizeof *items);
    for (uint32_t k = 0; items && k < n && !r->failed; k++) {
      rd_seccomp_condition(r, &items[k]);
    }
    x->conditions = items;
    x->n_conditions = n;
  }
}

static void rd_seccomp_condition(struct reader *r, struct seccomp_condition *x) {
  x->index = rd_u8(r, "seccomp condition index");
  if (!r->failed && x->index > 5u) plan_bad(r, "seccomp condition index above 5");
  x->op = rd_u8(r, "seccomp condition op");
  if (!r->failed && (x->op < 1 || x->op > 7)) plan_bad(r, "seccomp condition op outside 1..7");
  x->value = rd_u64(r, "seccomp condition value");
  x->value_two = rd_u64(r, "seccomp condition valueTwo");
}

static void rd_bpf_instruction(struct reader *r, struct bpf_instruction *x) {
  {
    uint32_t v = rd_u32(r, "bpf instruction code");
    if (!r->failed && v > 65535u) plan_bad(r, "bpf instruction code above 65535");
    x->code = v;
  }
  x->jt = rd_u8(r, "bpf instruction jt");
  x->jf = rd_u8(r, "bpf instruction jf");
  x->k = rd_u32(r, "bpf instruction k");
}

static void rd_hook_cmd(struct reader *r, struct hook_cmd *x) {
  x->path = rd_str(r, "runHooks hook path");
  {
    uint32_t n = rd_count(r, 4, "runHooks hook args");
    if (!r->failed && n < 1) plan_bad(r, "runHooks hook args is empty");
    char **items = plan_alloc(r, ((size_t)n + 1) * sizeof *items);
    for (uint32_t k = 0; items && k < n && !r->failed; k++) {
      items[k] = (char *)rd_str(r, "runHooks hook args");
    }
    x->args = items;
    x->n_args = n;
  }
  {
    uint32_t n = rd_count(r, 4, "runHooks hook env");
    char **items = plan_alloc(r, ((size_t)n + 1) * sizeof *items);
    for (uint32_t k = 0; items && k < n && !r->failed; k++) {
      items[k] = (char *)rd_str(r, "runHooks hook env");
    }
    x->env = items;
    x->n_env = n;
  }
  x->timeout = rd_u32(r, "runHooks hook timeout");
}

static void rd_net_address(struct reader *r, struct net_address *x) {
  x->family = rd_u8(r, "address family");
  if (!r->failed && x->family != 2 && x->family != 10) plan_bad(r, "address family");
  x->local_text = rd_str(r, "address local");
  x->prefix_len = rd_u8(r, "address prefixLength");
  if (!r->failed && x->prefix_len > (x->family == 2 ? 32 : x->family == 10 ? 128 : 0)) plan_bad(r, "address prefixLength above its bound");
  x->peer_text = rd_optstr(r, "address peer");
  x->broadcast_text = rd_optstr(r, "address broadcast");
  if (!r->failed && x->broadcast_text != NULL && !(x->family == 2)) plan_bad(r, "address broadcast without family inet");
  if (!r->failed) plan_finish_net_address(r, x);
}

static void rd_setns(struct reader *r, struct setns_step *x) {
  x->nstype = rd_u32(r, "setns nstype");
  x->path = rd_str(r, "setns path");
}

static void rd_unshare(struct reader *r, struct unshare_step *x) {
  x->flags = rd_u32(r, "unshare flags");
}

static void rd_write_file(struct reader *r, struct write_file_step *x) {
  x->path = rd_str(r, "writeFile path");
  x->data = rd_bytes(r, "writeFile data", 1);
}

static void rd_write_pid(struct reader *r, struct write_pid_step *x) {
  x->path = rd_str(r, "writePid path");
}

static void rd_join_cgroup(struct reader *r, struct join_cgroup_step *x) {
  x->path = rd_str(r, "joinCgroup path");
}

static void rd_write_proc_file(struct reader *r, struct write_proc_file_step *x) {
  x->name = rd_u8(r, "writeProcFile name");
  if (!r->failed && x->name != 1 && x->name != 2 && x->name != 3) plan_bad(r, "writeProcFile name");
  x->data = rd_bytes(r, "writeProcFile data", 1);
}

static void rd_open_root(struct reader *r, struct path_step *x) {
  x->path = rd_str(r, "openRoot path");
}

static void rd_mount(struct reader *r, struct mount_step *x) {
  x->source = rd_optstr(r, "mount source");
  x->target = rd_str(r, "mount target");
  x->in_root = rd_bool(r, "mount inRoot");
  x->fstype = rd_optstr(r, "mount fstype");
  x->flags = rd_u32(r, "mount flags");
  x->data = rd_optstr(r, "mount data");
  x->create = rd_u8(r, "mount create");
  if (!r->failed && x->create != 0 && x->create != 1 && x->create != 2) plan_bad(r, "mount create");
  x->ignore_missing = rd_bool(r, "mount ignoreMissing");
  x->copy_up = rd_bool(r, "mount copyUp");
  x->directory_only = rd_bool(r, "mount directoryOnly");
  x->has_idmap = rd_bool(r, "mount idmap");
  if (x->has_idmap) {
    x->idmap_uid_map = rd_str(r, "mount idmap uidMap");
    x->idmap_gid_map = rd_str(r, "mount idmap gidMap");
    x->idmap_recursive = rd_bool(r, "mount idmap recursive");
  }
  if (!r->failed && x->copy_up && !(x->in_root)) plan_bad(r, "mount copyUp without inRoot");
  if (!r->failed && x->directory_only && !(x->in_root)) plan_bad(r, "mount directoryOnly without inRoot");
  if (!r->failed && x->has_idmap && !(x->in_root)) plan_bad(r, "mount idmap without inRoot");
  if (!r->failed && x->has_idmap && !(x->source != NULL)) plan_bad(r, "mount idmap without source");
  if (!r->failed && x->has_idmap && !((x->flags & 4096u) == 4096u)) plan_bad(r, "mount idmap without MS_BIND");
}

static void rd_mknod(struct reader *r, struct mknod_step *x) {
  x->target = rd_str(r, "mknod target");
  x->mode = rd_u32(r, "mknod mode");
  x->major = rd_u32(r, "mknod major");
  x->minor = rd_u32(r, "mknod minor");
  x->uid = rd_u32(r, "mknod uid");
  x->gid = rd_u32(r, "mknod gid");
}

static void rd_symlink(struct reader *r, struct symlink_step *x) {
  x->target = rd_str(r, "symlink target");
  x->link_to = rd_str(r, "symlink linkTo");
  x->ignore_existing = rd_bool(r, "symlink ignoreExisting");
}

static void rd_mkdir(struct reader *r, struct mkdir_step *x) {
  x->target = rd_str(r, "mkdir target");
  x->mode = rd_u32(r, "mkdir mode");
}

static void rd_mask_path(struct reader *r, struct path_step *x) {
  x->path = rd_str(r, "maskPath path");
}

static void rd_sethostname(struct reader *r, struct name_step *x) {
  x->name = rd_str(r, "sethostname name");
}

static void rd_setdomainname(struct reader *r, struct name_step *x) {
  x->name = rd_str(r, "setdomainname name");
}

static void rd_setrlimit(struct reader *r, struct setrlimit_step *x) {
  x->resource = rd_u32(r, "setrlimit resource");
  x->soft = rd_u64(r, "setrlimit soft");
  x->hard = rd_u64(r, "setrlimit hard");
}

static void rd_chdir(struct reader *r, struct path_step *x) {
  x->path = rd_str(r, "chdir path");
}

static void rd_umask(struct reader *r, struct umask_step *x) {
  x->mask = rd_u32(r, "umask mask");
}

static void rd_drop_bounding(struct reader *r, struct drop_bounding_step *x) {
  x->keep = rd_u64(r, "dropBounding keep");
  {
    uint32_t v = rd_u32(r, "dropBounding lastCap");
    if (!r->failed && v > 63u) plan_bad(r, "dropBounding lastCap above 63");
    x->last_cap = v;
  }
}

static void rd_set_user(struct reader *r, struct set_user_step *x) {
  x->uid = rd_u32(r, "setUser uid");
  x->gid = rd_u32(r, "setUser gid");
  {
    uint32_t n = rd_count(r, 4, "setUser additionalGids");
    uint32_t *items = plan_alloc(r, ((size_t)n + 1) * sizeof *items);
    for (uint32_t k = 0; items && k < n && !r->failed; k++) {
      items[k] = rd_u32(r, "setUser gid");
    }
    x->gids = items;
    x->n_gids = n;
  }
  x->setgroups = rd_bool(r, "setUser setgroups");
}

static void rd_set_caps(struct reader *r, struct set_caps_step *x) {
  x->effective = rd_u64(r, "setCaps effective");
  x->permitted = rd_u64(r, "setCaps permitted");
  x->inheritable = rd_u64(r, "setCaps inheritable");
  x->ambient = rd_u64(r, "setCaps ambient");
}

static void rd_seccomp(struct reader *r, struct seccomp_step *x) {
  x->default_action = rd_u32(r, "seccomp defaultAction");
  {
    uint32_t n = rd_count(r, 4, "seccomp architectures");
    uint32_t *items = plan_alloc(r, ((size_t)n + 1) * sizeof *items);
    for (uint32_t k = 0; items && k < n && !r->failed; k++) {
      items[k] = rd_u32(r, "seccomp architecture");
    }
    x->arches = items;
    x->n_arches = n;
  }
  x->flags = rd_u32(r, "seccomp flags");
  {
    uint32_t n = rd_count(r, 12, "seccomp rules");
    struct seccomp_rule *items = plan_alloc(r, ((size_t)n + 1) * sizeof *items);
    for (uint32_t k = 0; items && k < n && !r->failed; k++) {
      rd_seccomp_rule(r, &items[k]);
    }
    x->rules = items;
    x->n_rules = n;
  }
  x->unknown_syscalls = rd_u8(r, "seccomp unknownSyscalls");
  if (!r->failed && x->unknown_syscalls != 0 && x->unknown_syscalls != 1) plan_bad(r, "seccomp unknownSyscalls");
  x->has_listener = rd_bool(r, "seccomp listener");
  if (x->has_listener) {
    x->listener_path = rd_str(r, "seccomp listener path");
    {
      uint32_t n = rd_count(r, 4, "seccomp listener stateParts");
      char **items = plan_alloc(r, ((size_t)n + 1) * sizeof *items);
      for (uint32_t k = 0; items && k < n && !r->failed; k++) {
        items[k] = (char *)rd_str(r, "seccomp listener stateParts");
      }
      x->listener_parts = items;
      x->n_listener_parts = n;
    }
  }
  {
    uint32_t n = rd_count(r, 10, "seccomp program");
    if (!r->failed && n > 4096) plan_bad(r, "seccomp program: more than 4096");
    struct bpf_instruction *items = plan_alloc(r, ((size_t)n + 1) * sizeof *items);
    for (uint32_t k = 0; items && k < n && !r->failed; k++) {
      rd_bpf_instruction(r, &items[k]);
    }
    x->program = items;
    x->n_program = n;
  }
  if (!r->failed && !(x->has_listener) != !((x->flags & 8u) == 8u))
    plan_bad(r, "seccomp listener without SECCOMP_FILTER_FLAG_NEW_LISTENER, or SECCOMP_FILTER_FLAG_NEW_LISTENER without listener");
  if (!r->failed) plan_finish_seccomp(r, x);
}

static void rd_run_hooks(struct reader *r, struct run_hooks_step *x) {
  x->kind = rd_u8(r, "runHooks kind");
  if (!r->failed && x->kind != 1 && x->kind != 2) plan_bad(r, "runHooks kind");
  {
    uint32_t n = rd_count(r, 16, "runHooks hooks");
    struct hook_cmd *items = plan_alloc(r, ((size_t)n + 1) * sizeof *items);
    for (uint32_t k = 0; items && k < n && !r->failed; k++) {
      rd_hook_cmd(r, &items[k]);
    }
    x->hooks = items;
    x->n_hooks = n;
  }
  x->state_before = rd_bytes(r, "runHooks state before", 0);
  x->state_after = rd_bytes(r, "runHooks state after", 0);
  {
    uint32_t v = rd_u32(r, "runHooks killSignal");
    if (!r->failed && (v < 1 || v > 64)) plan_bad(r, "runHooks killSignal outside 1..64");
    x->kill_signal = v;
  }
  {
    uint32_t v = rd_u32(r, "runHooks outputQuoted");
    if (!r->failed && v > 255u) plan_bad(r, "runHooks outputQuoted above 255");
    x->output_quoted = v;
  }
}

static void rd_personality(struct reader *r, struct personality_step *x) {
  x->persona = rd_u32(r, "personality persona");
}

static void rd_scheduler(struct reader *r, struct sched_step *x) {
  x->policy = rd_u32(r, "scheduler policy");
  x->flags = rd_u64(r, "scheduler flags");
  x->nice = (int32_t)rd_u32(r, "scheduler nice");
  if (!r->failed && (x->nice < -20 || x->nice > 19)) plan_bad(r, "scheduler nice outside -20..19");
  x->priority = rd_u32(r, "scheduler priority");
  x->runtime = rd_u64(r, "scheduler runtime");
  x->deadline = rd_u64(r, "scheduler deadline");
  x->period = rd_u64(r, "scheduler period");
}

static void rd_io_priority(struct reader *r, struct io_priority_step *x) {
  {
    uint32_t v = rd_u32(r, "ioPriority ioClass");
    if (!r->failed && (v < 1 || v > 3)) plan_bad(r, "ioPriority ioClass outside 1..3");
    x->io_class = v;
  }
  {
    uint32_t v = rd_u32(r, "ioPriority level");
    if (!r->failed && v > 7u) plan_bad(r, "ioPriority level above 7");
    x->level = v;
  }
}

static void rd_memory_policy(struct reader *r, struct memory_policy_step *x) {
  x->mode = rd_u32(r, "memoryPolicy mode");
  {
    uint32_t n = rd_count(r, 4, "memoryPolicy nodes");
    uint32_t *items = plan_alloc(r, ((size_t)n + 1) * sizeof *items);
    for (uint32_t k = 0; items && k < n && !r->failed; k++) {
      {
        uint32_t v = rd_u32(r, "memoryPolicy node");
        if (!r->failed && v > 1023u) plan_bad(r, "memoryPolicy node above 1023");
        items[k] = v;
      }
    }
    x->nodes = items;
    x->n_nodes = n;
  }
}

static void rd_console(struct reader *r, struct console_step *x) {
  {
    uint32_t v = rd_u32(r, "console socketFd");
    if (!r->failed && v > 2147483647u) plan_bad(r, "console socketFd above 2147483647");
    x->socket_fd = (int32_t)v;
  }
  x->uid = rd_u32(r, "console uid");
  {
    uint32_t v = rd_u32(r, "console width");
    if (!r->failed && v > 65535u) plan_bad(r, "console width above 65535");
    x->width = (uint16_t)v;
  }
  {
    uint32_t v = rd_u32(r, "console height");
    if (!r->failed && v > 65535u) plan_bad(r, "console height above 65535");
    x->height = (uint16_t)v;
  }
  x->mount_console = rd_bool(r, "console mountConsole");
}

static void rd_move_net_device(struct reader *r, struct move_net_device_step *x) {
  x->name = rd_str(r, "moveNetDevice name");
  if (!r->failed && (strlen(x->name) < 1 || strlen(x->name) > 15))
    plan_bad(r, "moveNetDevice name must be 1 to 15 bytes");
  x->new_name = rd_str(r, "moveNetDevice newName");
  if (!r->failed && (strlen(x->new_name) < 1 || strlen(x->new_name) > 15))
    plan_bad(r, "moveNetDevice newName must be 1 to 15 bytes");
}

static void rd_configure_net_device(struct reader *r, struct netdev_step *x) {
  x->name = rd_str(r, "configureNetDevice name");
  if (!r->failed && (strlen(x->name) < 1 || strlen(x->name) > 15))
    plan_bad(r, "configureNetDevice name must be 1 to 15 bytes");
  {
    uint32_t n = rd_count(r, 8, "configureNetDevice addresses");
    struct net_address *items = plan_alloc(r, ((size_t)n + 1) * sizeof *items);
    for (uint32_t k = 0; items && k < n && !r->failed; k++) {
      rd_net_address(r, &items[k]);
    }
    x->addresses = items;
    x->n_addresses = n;
  }
}

static void rd_mount_setattr(struct reader *r, struct mount_setattr_step *x) {
  x->target = rd_str(r, "mountSetattr target");
  x->in_root = rd_bool(r, "mountSetattr inRoot");
  x->attr_set = rd_u32(r, "mountSetattr attrSet");
  x->attr_clr = rd_u32(r, "mountSetattr attrClr");
}

static void rd_set_affinity(struct reader *r, struct affinity_step *x) {
  {
    uint32_t n = rd_count(r, 4, "setAffinity cpus");
    if (!r->failed && n < 1) plan_bad(r, "setAffinity cpus is empty");
    uint32_t *items = plan_alloc(r, ((size_t)n + 1) * sizeof *items);
    for (uint32_t k = 0; items && k < n && !r->failed; k++) {
      {
        uint32_t v = rd_u32(r, "setAffinity cpu");
        if (!r->failed && v > 1023u) plan_bad(r, "setAffinity cpu above 1023");
        items[k] = v;
      }
    }
    x->cpus = items;
    x->n_cpus = n;
  }
}

static void rd_join_session_keyring(struct reader *r, struct join_session_keyring_step *x) {
  x->name = rd_optstr(r, "joinSessionKeyring name");
  x->perm_set = rd_u32(r, "joinSessionKeyring permSet");
}

static int plan_op_allowed(uint8_t op, int phase) {
  switch (op) {
  case OP_SETNS: return (phase & (PLAN_IN_STAGE1)) != 0;
  case OP_UNSHARE: return (phase & (PLAN_IN_STAGE1 | PLAN_IN_INIT)) != 0;
  case OP_WRITE_FILE: return (phase & (PLAN_IN_STAGE1 | PLAN_IN_INIT)) != 0;
  case OP_WRITE_PID: return (phase & (PLAN_IN_PARENT)) != 0;
  case OP_JOIN_CGROUP: return (phase & (PLAN_IN_INIT)) != 0;
  case OP_WRITE_PROC_FILE: return (phase & (PLAN_IN_PARENT)) != 0;
  case OP_BECOME_ROOT: return (phase & (PLAN_IN_INIT)) != 0;
  case OP_OPEN_ROOT: return (phase & (PLAN_IN_INIT)) != 0;
  case OP_MOUNT: return (phase & (PLAN_IN_INIT)) != 0;
  case OP_MKNOD: return (phase & (PLAN_IN_INIT)) != 0;
  case OP_SYMLINK: return (phase & (PLAN_IN_INIT)) != 0;
  case OP_MKDIR: return (phase & (PLAN_IN_INIT)) != 0;
  case OP_PIVOT_ROOT: return (phase & (PLAN_IN_INIT)) != 0;
  case OP_MOVE_ROOT: return (phase & (PLAN_IN_INIT)) != 0;
  case OP_MASK_PATH: return (phase & (PLAN_IN_INIT)) != 0;
  case OP_SETHOSTNAME: return (phase & (PLAN_IN_INIT)) != 0;
  case OP_SETDOMAINNAME: return (phase & (PLAN_IN_INIT)) != 0;
  case OP_SETRLIMIT: return (phase & (PLAN_IN_INIT | PLAN_IN_EXEC_RLIMITS)) != 0;
  case OP_CHDIR: return (phase & (PLAN_IN_INIT)) != 0;
  case OP_UMASK: return (phase & (PLAN_IN_INIT)) != 0;
  case OP_DROP_BOUNDING: return (phase & (PLAN_IN_INIT)) != 0;
  case OP_SET_USER: return (phase & (PLAN_IN_INIT)) != 0;
  case OP_SET_CAPS: return (phase & (PLAN_IN_INIT)) != 0;
  case OP_NO_NEW_PRIVS: return (phase & (PLAN_IN_INIT)) != 0;
  case OP_SECCOMP: return (phase & (PLAN_IN_INIT | PLAN_IN_EXEC_SECCOMP)) != 0;
  case OP_RUN_HOOKS: return (phase & (PLAN_IN_INIT | PLAN_IN_EXEC_HOOKS)) != 0;
  case OP_PARENT_HOOKS: return (phase & (PLAN_IN_INIT)) != 0;
  case OP_PERSONALITY: return (phase & (PLAN_IN_INIT)) != 0;
  case OP_SCHEDULER: return (phase & (PLAN_IN_INIT)) != 0;
  case OP_IO_PRIORITY: return (phase & (PLAN_IN_INIT)) != 0;
  case OP_MEMORY_POLICY: return (phase & (PLAN_IN_INIT)) != 0;
  case OP_CONSOLE: return (phase & (PLAN_IN_INIT)) != 0;
  case OP_MOVE_NET_DEVICE: return (phase & (PLAN_IN_PARENT)) != 0;
  case OP_CONFIGURE_NET_DEVICE: return (phase & (PLAN_IN_INIT)) != 0;
  case OP_MOUNT_SETATTR: return (phase & (PLAN_IN_INIT)) != 0;
  case OP_SET_AFFINITY: return (phase & (PLAN_IN_STAGE1 | PLAN_IN_INIT)) != 0;
  case OP_JOIN_SESSION_KEYRING: return (phase & (PLAN_IN_INIT)) != 0;
  case OP_CHROOT_ROOT: return (phase & (PLAN_IN_INIT)) != 0;
  default: return 0;
  }
}

const char *plan_op_name(uint8_t op) {
  switch (op) {
  case OP_SETNS: return "setns";
  case OP_UNSHARE: return "unshare";
  case OP_WRITE_FILE: return "writeFile";
  case OP_WRITE_PID: return "writePid";
  case OP_JOIN_CGROUP: return "joinCgroup";
  case OP_WRITE_PROC_FILE: return "writeProcFile";
  case OP_BECOME_ROOT: return "becomeRoot";
  case OP_OPEN_ROOT: return "openRoot";
  case OP_MOUNT: return "mount";
  case OP_MKNOD: return "mknod";
  case OP_SYMLINK: return "symlink";
  case OP_MKDIR: return "mkdir";
  case OP_PIVOT_ROOT: return "pivotRoot";
  case OP_MOVE_ROOT: return "moveRoot";
  case OP_MASK_PATH: return "maskPath";
  case OP_SETHOSTNAME: return "sethostname";
  case OP_SETDOMAINNAME: return "setdomainname";
  case OP_SETRLIMIT: return "setrlimit";
  case OP_CHDIR: return "chdir";
  case OP_UMASK: return "umask";
  case OP_DROP_BOUNDING: return "dropBounding";
  case OP_SET_USER: return "setUser";
  case OP_SET_CAPS: return "setCaps";
  case OP_NO_NEW_PRIVS: return "noNewPrivs";
  case OP_SECCOMP: return "seccomp";
  case OP_RUN_HOOKS: return "runHooks";
  case OP_PARENT_HOOKS: return "parentHooks";
  case OP_PERSONALITY: return "personality";
  case OP_SCHEDULER: return "scheduler";
  case OP_IO_PRIORITY: return "ioPriority";
  case OP_MEMORY_POLICY: return "memoryPolicy";
  case OP_CONSOLE: return "console";
  case OP_MOVE_NET_DEVICE: return "moveNetDevice";
  case OP_CONFIGURE_NET_DEVICE: return "configureNetDevice";
  case OP_MOUNT_SETATTR: return "mountSetattr";
  case OP_SET_AFFINITY: return "setAffinity";
  case OP_JOIN_SESSION_KEYRING: return "joinSessionKeyring";
  case OP_CHROOT_ROOT: return "chrootRoot";
  default: return "unknown";
  }
}

void plan_read_step(struct reader *r, struct plan_step *s, int phase) {
  s->op = rd_u8(r, "step op");
  if (r->failed) return;
  if (!plan_op_allowed(s->op, phase)) {
    r->pos--;
    plan_bad(r, strcmp(plan_op_name(s->op), "unknown") != 0 ? "op not allowed in this phase" : "unknown op");
    return;
  }
  switch (s->op) {
  case OP_SETNS: rd_setns(r, &s->u.setns); break;
  case OP_UNSHARE: rd_unshare(r, &s->u.unshare); break;
  case OP_WRITE_FILE: rd_write_file(r, &s->u.write_file); break;
  case OP_WRITE_PID: rd_write_pid(r, &s->u.write_pid); break;
  case OP_JOIN_CGROUP: rd_join_cgroup(r, &s->u.join_cgroup); break;
  case OP_WRITE_PROC_FILE: rd_write_proc_file(r, &s->u.write_proc_file); break;
  case OP_OPEN_ROOT: rd_open_root(r, &s->u.path); break;
  case OP_MOUNT: rd_mount(r, &s->u.mount); break;
  case OP_MKNOD: rd_mknod(r, &s->u.mknod); break;
  case OP_SYMLINK: rd_symlink(r, &s->u.symlink); break;
  case OP_MKDIR: rd_mkdir(r, &s->u.mkdir); break;
  case OP_MASK_PATH: rd_mask_path(r, &s->u.path); break;
  case OP_SETHOSTNAME: rd_sethostname(r, &s->u.name); break;
  case OP_SETDOMAINNAME: rd_setdomainname(r, &s->u.name); break;
  case OP_SETRLIMIT: rd_setrlimit(r, &s->u.rlimit); break;
  case OP_CHDIR: rd_chdir(r, &s->u.path); break;
  case OP_UMASK: rd_umask(r, &s->u.umask); break;
  case OP_DROP_BOUNDING: rd_drop_bounding(r, &s->u.bounding); break;
  case OP_SET_USER: rd_set_user(r, &s->u.user); break;
  case OP_SET_CAPS: rd_set_caps(r, &s->u.caps); break;
  case OP_SECCOMP: rd_seccomp(r, &s->u.seccomp); break;
  case OP_RUN_HOOKS: rd_run_hooks(r, &s->u.hooks); break;
  case OP_PERSONALITY: rd_personality(r, &s->u.personality); break;
  case OP_SCHEDULER: rd_scheduler(r, &s->u.sched); break;
  case OP_IO_PRIORITY: rd_io_priority(r, &s->u.ioprio); break;
  case OP_MEMORY_POLICY: rd_memory_policy(r, &s->u.mempolicy); break;
  case OP_CONSOLE: rd_console(r, &s->u.console); break;
  case OP_MOVE_NET_DEVICE: rd_move_net_device(r, &s->u.move_netdev); break;
  case OP_CONFIGURE_NET_DEVICE: rd_configure_net_device(r, &s->u.netdev); break;
  case OP_MOUNT_SETATTR: rd_mount_setattr(r, &s->u.setattr); break;
  case OP_SET_AFFINITY: rd_set_affinity(r, &s->u.affinity); break;
  case OP_JOIN_SESSION_KEYRING: rd_join_session_keyring(r, &s->u.keyring); break;
  default: break; /* becomeRoot, pivotRoot, moveRoot, noNewPrivs, parentHooks, chrootRoot: no fields */
  }
}

void plan_read_plan(struct reader *r, struct tsrun_plan *x) {
  x->stage1 = plan_read_steps(r, &x->n_stage1, PLAN_IN_STAGE1);
  x->clone_flags = rd_u32(r, "cloneFlags");
  if (!r->failed && (x->clone_flags & ~2114060288u)) plan_bad(r, "cloneFlags holds flags other than CLONE_NEW* namespaces");
  if (rd_bool(r, "cloneIntoCgroup")) {
    struct cgroup_dir *p = plan_alloc(r, sizeof *p);
    if (p) rd_cgroup_dir(r, p);
    x->clone_into_cgroup = p;
  }
  x->parent = plan_read_steps(r, &x->n_parent, PLAN_IN_PARENT);
  x->init = plan_read_steps(r, &x->n_init, PLAN_IN_INIT);
  rd_create_modes(r, &x->create_modes);
  rd_exec_spec(r, &x->exec);
  if (!r->failed) {
    uint32_t n = 0;
    for (uint32_t k = 0; k < x->n_stage1; k++) n += x->stage1[k].op == OP_SECCOMP;
    for (uint32_t k = 0; k < x->n_parent; k++) n += x->parent[k].op == OP_SECCOMP;
    for (uint32_t k = 0; k < x->n_init; k++) n += x->init[k].op == OP_SECCOMP;
    n += x->exec.start_hooks && x->exec.start_hooks->op == OP_SECCOMP;
    n += x->exec.seccomp && x->exec.seccomp->op == OP_SECCOMP;
    if (n > 1) plan_bad(r, "more than one seccomp step");
  }
  if (!r->failed) {
    uint32_t n = 0;
    for (uint32_t k = 0; k < x->n_stage1; k++) n += x->stage1[k].op == OP_CONSOLE;
    for (uint32_t k = 0; k < x->n_parent; k++) n += x->parent[k].op == OP_CONSOLE;
    for (uint32_t k = 0; k < x->n_init; k++) n += x->init[k].op == OP_CONSOLE;
    n += x->exec.start_hooks && x->exec.start_hooks->op == OP_CONSOLE;
    n += x->exec.seccomp && x->exec.seccomp->op == OP_CONSOLE;
    if (n > 1) plan_bad(r, "more than one console step");
  }
}

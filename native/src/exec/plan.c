/*
 * Plan wire format, version 1 (written by runtime/native/encode.ts)
 * =================================================================
 *
 * All integers are little-endian. Types:
 *   u8, u32, u64   fixed-size unsigned integers
 *   bool           u8, 0 or 1
 *   str            u32 byte length, then that many bytes (UTF-8, no terminator). A str used as a
 *                  path or name must not contain a NUL byte; file contents (`data`) may.
 *   optstr         bool present, then a str when present (null in the plan when absent)
 *   list<T>        u32 count, then count T
 *
 * Plan:
 *   "TSRP"         4 bytes of magic
 *   u32 version    1
 *   list<step>     stage1
 *   u32            cloneFlags (CLONE_NEWNS, _NEWCGROUP, _NEWUTS, _NEWIPC, _NEWUSER, _NEWPID, _NEWNET only)
 *   list<step>     parent
 *   list<step>     init
 *   exec:
 *     list<str> args (at least one), list<str> env, str searchPath, u32 preserveFds (<= 2^20),
 *     bool hasFifo, then when set: str fifo.dir, str fifo.name,
 *     bool hasStartContainerHooks, then when set: a runHooks step (kind startContainer),
 *     list<rlimit>: a setrlimit step, then str message (what init says when it fails),
 *     bool hasSeccomp, then when set: a seccomp step
 *   Nothing may follow.
 *
 * Step: u8 op, then its fields (decimal strings of types.ts travel as u64):
 *    1 setns          u32 nstype, str path                                 stage1
 *    2 unshare        u32 flags                                            stage1, init
 *    3 writeFile      str path, str data                                   stage1, init
 *    4 writePid       str path                                             parent
 *    5 writeProcFile  u8 name (1 uid_map, 2 gid_map, 3 setgroups), str data parent
 *    6 becomeRoot     -                                                    init (6..24)
 *    7 openRoot       str path
 *    8 mount          optstr source, str target, bool inRoot, optstr fstype, u32 flags,
 *                     optstr data, u8 create (0 none, 1 dir, 2 file), bool ignoreMissing,
 *                     bool copyUp (only with inRoot), bool directoryOnly (only with inRoot),
 *                     bool hasIdmap, then when set:
 *                     str idmap.uidMap, str idmap.gidMap, bool idmap.recursive
 *                     (only for a bind with a source, inRoot)
 *    9 mknod          str target, u32 mode, u32 major, u32 minor, u32 uid, u32 gid
 *   10 symlink        str target, str linkTo, bool ignoreExisting
 *   11 mkdir          str target, u32 mode
 *   12 pivotRoot      -
 *   13 moveRoot       -
 *   14 maskPath       str path
 *   15 sethostname    str name
 *   16 setdomainname  str name
 *   17 setrlimit      u32 resource, u64 soft, u64 hard
 *   18 chdir          str path
 *   19 umask          u32 mask
 *   20 dropBounding   u64 keep, u32 lastCap (<= 63)
 *   21 setUser        u32 uid, u32 gid, list<u32> additionalGids, bool setgroups
 *   22 setCaps        u64 effective, u64 permitted, u64 inheritable, u64 ambient
 *   23 noNewPrivs     -
 *   24 seccomp        u32 defaultAction, list<u32> architectures, u32 flags, list<rule>
 *                     rule: str syscall, u32 action, list<condition> (at most 6)
 *                     condition: u8 index (<= 5), u8 op (1..7), u64 value, u64 valueTwo
 *                     then bool hasListener, when set: str listener.path, list<str> stateParts
 *                     (a listener iff flags hold SECCOMP_FILTER_FLAG_NEW_LISTENER; init only)
 *                     At most one per plan; the decoder compiles it to BPF (seccomp_compile.c).
 *   40 runHooks       u8 kind (1 createContainer, 2 startContainer), list<hook>,
 *                     str state.before, str state.after
 *                     hook: str path, list<str> args (at least one), list<str> env, u32 timeout
 *   41 parentHooks    -
 *   60 personality    u32 persona                                          init (60..63)
 *   61 scheduler      u32 policy, u64 flags, u32 nice (int32, two's complement), u32 priority,
 *                     u64 runtime, u64 deadline, u64 period
 *   62 ioPriority     u32 ioClass (1..3), u32 level (<= 7)
 *   63 memoryPolicy   u32 mode (MPOL_* | MPOL_F_*), list<u32> nodes (each < 1024)
 *   80 console        u32 socketFd (< 2^31), u32 uid, u32 width, u32 height (each <= 65535),
 *                     bool mountConsole                                      init; at most one
 *  100 moveNetDevice  str name, str newName (interface names: 1..15 bytes)   parent
 *  101 configureNetDevice  str name, list<address>                          init
 *                     address: u8 family (4 inet, 6 inet6), str local, u8 prefixLength
 *                     (<= 32 or 128), optstr peer, optstr broadcast (inet only); addresses
 *                     in text, converted to binary by the decoder
 *  120 mountSetattr   str target, bool inRoot, u32 attrSet, u32 attrClr     init
 *  130 setAffinity    list<u32> cpus (at least one, each < 1024)           stage1, init
 *  140 joinSessionKeyring  optstr name, u32 permSet                        init
 *  150 chrootRoot     -                                                    init
 *
 * An op not allowed in its phase, an unknown op, a bad enum or bool value, a length running past
 * the end, trailing bytes or a wrong magic/version make the whole plan invalid.
 */
#include "plan.h"

#include "seccomp_compile.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <sched.h>
#include <sys/mount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PLAN_CLONE_NAMESPACES \
  (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)
/* The kernel's default ceiling on fds (fs.nr_open). */
#define PLAN_MAX_PRESERVE_FDS (1u << 20)

/* A bump allocator in chunks, so the whole plan is freed at once. */
struct arena_chunk {
  struct arena_chunk *next;
  size_t used, size;
  _Alignas(16) unsigned char mem[];
};

struct plan_arena {
  struct arena_chunk *head;
};

#define ARENA_CHUNK_MIN 65536u

static void *arena_alloc(struct plan_arena *a, size_t size) {
  size = (size + 15u) & ~(size_t)15u;
  struct arena_chunk *c = a->head;
  if (!c || c->size - c->used < size) {
    size_t want = size > ARENA_CHUNK_MIN ? size : ARENA_CHUNK_MIN;
    c = malloc(sizeof *c + want);
    if (!c) return NULL;
    c->next = a->head;
    c->used = 0;
    c->size = want;
    a->head = c;
  }
  void *p = c->mem + c->used;
  c->used += size;
  memset(p, 0, size);
  return p;
}

static void arena_free(struct plan_arena *a) {
  struct arena_chunk *c = a->head;
  while (c) {
    struct arena_chunk *next = c->next;
    free(c);
    c = next;
  }
  free(a);
}

struct reader {
  const uint8_t *buf;
  size_t len, pos;
  struct plan_arena *arena;
  char *err;
  size_t errlen;
  int failed;
};

static int bad(struct reader *r, const char *what) {
  if (!r->failed) snprintf(r->err, r->errlen, "malformed plan at byte %zu: %s", r->pos, what);
  r->failed = 1;
  return -1;
}

static int need(struct reader *r, size_t n, const char *what) {
  if (r->failed) return -1;
  if (r->len - r->pos < n) return bad(r, what);
  return 0;
}

static uint8_t rd_u8(struct reader *r, const char *what) {
  if (need(r, 1, what)) return 0;
  return r->buf[r->pos++];
}

static uint32_t rd_u32(struct reader *r, const char *what) {
  if (need(r, 4, what)) return 0;
  const uint8_t *p = r->buf + r->pos;
  r->pos += 4;
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd_u64(struct reader *r, const char *what) {
  uint64_t lo = rd_u32(r, what);
  uint64_t hi = rd_u32(r, what);
  return lo | hi << 32;
}

static uint8_t rd_bool(struct reader *r, const char *what) {
  uint8_t v = rd_u8(r, what);
  if (v > 1) bad(r, what);
  return v;
}

/* A string with its length; `may_hold_nul` for file contents only. */
static struct plan_str rd_bytes(struct reader *r, const char *what, int may_hold_nul) {
  struct plan_str out = {"", 0};
  uint32_t n = rd_u32(r, what);
  if (need(r, n, what)) return out;
  const uint8_t *src = r->buf + r->pos;
  if (!may_hold_nul && memchr(src, 0, n)) {
    bad(r, what);
    return out;
  }
  char *s = arena_alloc(r->arena, (size_t)n + 1);
  if (!s) {
    bad(r, "out of memory");
    return out;
  }
  memcpy(s, src, n);
  r->pos += n;
  out.s = s;
  out.len = n;
  return out;
}

static const char *rd_str(struct reader *r, const char *what) { return rd_bytes(r, what, 0).s; }

static const char *rd_optstr(struct reader *r, const char *what) {
  return rd_bool(r, what) ? rd_str(r, what) : NULL;
}

/* A count of items that take at least `min_item` bytes each, checked against what is left. */
static uint32_t rd_count(struct reader *r, size_t min_item, const char *what) {
  uint32_t n = rd_u32(r, what);
  if (!r->failed && (size_t)n * min_item > r->len - r->pos) bad(r, what);
  return r->failed ? 0 : n;
}

#define SCMP_CMP_FIRST 1
#define SCMP_CMP_LAST 7 /* SCMP_CMP_MASKED_EQ */
#define SECCOMP_MAX_ARG 5

static void rd_seccomp_rule(struct reader *r, struct seccomp_rule *rule) {
  rule->syscall = rd_str(r, "seccomp syscall");
  rule->action = rd_u32(r, "seccomp action");
  uint32_t n = rd_count(r, 18, "seccomp conditions");
  if (!r->failed && n > SECCOMP_MAX_ARG + 1) bad(r, "more than 6 seccomp conditions in a rule");
  struct seccomp_condition *conds = arena_alloc(r->arena, (size_t)n * sizeof *conds + 1);
  if (!conds) bad(r, "out of memory");
  for (uint32_t i = 0; i < n && !r->failed; i++) {
    conds[i].index = rd_u8(r, "seccomp condition index");
    if (!r->failed && conds[i].index > SECCOMP_MAX_ARG) bad(r, "seccomp condition index above 5");
    conds[i].op = rd_u8(r, "seccomp condition op");
    if (!r->failed && (conds[i].op < SCMP_CMP_FIRST || conds[i].op > SCMP_CMP_LAST)) bad(r, "seccomp condition op");
    conds[i].value = rd_u64(r, "seccomp condition value");
    conds[i].value_two = rd_u64(r, "seccomp condition valueTwo");
  }
  rule->conditions = conds;
  rule->n_conditions = n;
}

static char *const *rd_strlist(struct reader *r, uint32_t *count, const char *what);

/* The description, then its BPF: compiled here, in the caller, since init may not allocate. */
static void rd_seccomp(struct reader *r, struct seccomp_step *sc) {
  sc->default_action = rd_u32(r, "seccomp defaultAction");
  uint32_t n = rd_count(r, 4, "seccomp architectures");
  uint32_t *arches = arena_alloc(r->arena, (size_t)n * 4 + 4);
  if (!arches) bad(r, "out of memory");
  for (uint32_t i = 0; i < n && !r->failed; i++) arches[i] = rd_u32(r, "seccomp architecture");
  sc->arches = arches;
  sc->n_arches = n;
  sc->flags = rd_u32(r, "seccomp flags");
  n = rd_count(r, 12, "seccomp rules");
  struct seccomp_rule *rules = arena_alloc(r->arena, (size_t)n * sizeof *rules + 1);
  if (!rules) bad(r, "out of memory");
  for (uint32_t i = 0; i < n && !r->failed; i++) rd_seccomp_rule(r, &rules[i]);
  sc->rules = rules;
  sc->n_rules = n;
  if (rd_bool(r, "seccomp listener")) {
    sc->listener_path = rd_str(r, "seccomp listener path");
    sc->listener_parts = rd_strlist(r, &sc->n_listener_parts, "seccomp listener stateParts");
  }
  if (!r->failed && !sc->listener_path != !(sc->flags & SECCOMP_FILTER_FLAG_NEW_LISTENER))
    bad(r, "seccomp listener without SECCOMP_FILTER_FLAG_NEW_LISTENER, or the flag without a listener");
  if (r->failed) return;

  struct seccomp_bpf bpf;
  struct tsrun_failure *failure = arena_alloc(r->arena, sizeof *failure);
  if (!failure) {
    bad(r, "out of memory");
    return;
  }
  if (seccomp_compile(sc, &bpf, failure) < 0) {
    sc->compile_failure = failure;
    return;
  }
  void *copy = arena_alloc(r->arena, bpf.size);
  if (copy) memcpy(copy, bpf.data, bpf.size);
  else bad(r, "out of memory");
  sc->bpf = copy;
  sc->bpf_len = (uint32_t)(bpf.size / SECCOMP_BPF_INSN_SIZE);
  free(bpf.data);
}

static void rd_hooks(struct reader *r, struct run_hooks_step *h) {
  h->kind = rd_u8(r, "runHooks kind");
  if (!r->failed && h->kind != HOOK_CREATE_CONTAINER && h->kind != HOOK_START_CONTAINER) bad(r, "runHooks kind");
  uint32_t n = rd_count(r, 16, "runHooks hooks");
  struct hook_cmd *hooks = arena_alloc(r->arena, (size_t)n * sizeof *hooks + 1);
  if (!hooks) bad(r, "out of memory");
  for (uint32_t i = 0; i < n && !r->failed; i++) {
    uint32_t n_args = 0, n_env = 0;
    hooks[i].path = rd_str(r, "hook path");
    hooks[i].args = rd_strlist(r, &n_args, "hook args");
    if (!r->failed && n_args == 0) bad(r, "hook args is empty");
    hooks[i].env = rd_strlist(r, &n_env, "hook env");
    hooks[i].timeout = rd_u32(r, "hook timeout");
  }
  h->hooks = hooks;
  h->n_hooks = n;
  h->state_before = rd_bytes(r, "runHooks state", 0);
  h->state_after = rd_bytes(r, "runHooks state", 0);
}

static void rd_scheduler(struct reader *r, struct sched_step *sc) {
  sc->policy = rd_u32(r, "scheduler policy");
  sc->flags = rd_u64(r, "scheduler flags");
  sc->nice = (int32_t)rd_u32(r, "scheduler nice");
  if (!r->failed && (sc->nice < -20 || sc->nice > 19)) bad(r, "scheduler nice outside -20..19");
  sc->priority = rd_u32(r, "scheduler priority");
  sc->runtime = rd_u64(r, "scheduler runtime");
  sc->deadline = rd_u64(r, "scheduler deadline");
  sc->period = rd_u64(r, "scheduler period");
}

#define PLAN_MAX_NUMA_NODES 1024u

static void rd_mempolicy(struct reader *r, uint32_t *mode, const uint32_t **nodes_out, uint32_t *n_out) {
  *mode = rd_u32(r, "memoryPolicy mode");
  uint32_t n = rd_count(r, 4, "memoryPolicy nodes");
  uint32_t *nodes = arena_alloc(r->arena, (size_t)n * 4 + 4);
  if (!nodes) bad(r, "out of memory");
  for (uint32_t i = 0; i < n && !r->failed; i++) {
    nodes[i] = rd_u32(r, "memoryPolicy node");
    if (!r->failed && nodes[i] >= PLAN_MAX_NUMA_NODES) bad(r, "memoryPolicy node above 1023");
  }
  *nodes_out = nodes;
  *n_out = n;
}

static void rd_console(struct reader *r, struct console_step *c) {
  uint32_t fd = rd_u32(r, "console socketFd");
  if (!r->failed && fd > INT32_MAX) bad(r, "console socketFd above 2^31-1");
  c->socket_fd = (int32_t)fd;
  c->uid = rd_u32(r, "console uid");
  uint32_t width = rd_u32(r, "console width");
  uint32_t height = rd_u32(r, "console height");
  if (!r->failed && (width > UINT16_MAX || height > UINT16_MAX)) bad(r, "console size above 65535");
  c->width = (uint16_t)width;
  c->height = (uint16_t)height;
  c->mount_console = rd_bool(r, "console mountConsole");
}

/* A network interface name as the kernel takes it: 1..IFNAMSIZ-1 bytes. */
static const char *rd_ifname(struct reader *r, const char *what) {
  const char *name = rd_str(r, what);
  if (!r->failed && (name[0] == '\0' || strlen(name) >= IFNAMSIZ)) bad(r, what);
  return name;
}

static void rd_net_address(struct reader *r, struct net_address *a) {
  uint8_t family = rd_u8(r, "address family");
  if (!r->failed && family != 4 && family != 6) bad(r, "address family");
  a->family = family == 6 ? AF_INET6 : AF_INET;
  a->local_text = rd_str(r, "address local");
  if (!r->failed && inet_pton(a->family, a->local_text, a->local) != 1) bad(r, "address local");
  a->prefix_len = rd_u8(r, "address prefixLength");
  if (!r->failed && a->prefix_len > (a->family == AF_INET6 ? 128 : 32)) bad(r, "address prefixLength");
  const char *peer = rd_optstr(r, "address peer");
  a->has_peer = peer != NULL;
  if (!r->failed && peer && inet_pton(a->family, peer, a->peer) != 1) bad(r, "address peer");
  const char *broadcast = rd_optstr(r, "address broadcast");
  a->has_broadcast = broadcast != NULL;
  if (!r->failed && broadcast && (a->family != AF_INET || inet_pton(AF_INET, broadcast, a->broadcast) != 1))
    bad(r, "address broadcast");
}

static void rd_affinity(struct reader *r, struct affinity_step *a) {
  uint32_t n = rd_count(r, 4, "setAffinity cpus");
  if (!r->failed && n == 0) bad(r, "setAffinity cpus is empty");
  uint32_t *cpus = arena_alloc(r->arena, (size_t)n * 4 + 4);
  if (!cpus) bad(r, "out of memory");
  for (uint32_t i = 0; i < n && !r->failed; i++) {
    cpus[i] = rd_u32(r, "setAffinity cpu");
    if (!r->failed && cpus[i] >= PLAN_MAX_AFFINITY_CPUS) bad(r, "setAffinity cpu above 1023");
  }
  a->cpus = cpus;
  a->n_cpus = n;
}

static void rd_netdev(struct reader *r, struct netdev_step *d) {
  d->name = rd_ifname(r, "configureNetDevice name");
  uint32_t n = rd_count(r, 8, "configureNetDevice addresses");
  struct net_address *addrs = arena_alloc(r->arena, (size_t)n * sizeof *addrs + 1);
  if (!addrs) bad(r, "out of memory");
  for (uint32_t i = 0; i < n && !r->failed; i++) rd_net_address(r, &addrs[i]);
  d->addresses = addrs;
  d->n_addresses = n;
}

enum phase_mask { IN_STAGE1 = 1, IN_PARENT = 2, IN_INIT = 4, IN_EXEC_HOOKS = 8, IN_EXEC_SECCOMP = 16, IN_EXEC_RLIMITS = 32 };

static int op_allowed(uint8_t op, int phase) {
  switch (op) {
  case OP_SETNS: return phase == IN_STAGE1;
  case OP_UNSHARE:
  case OP_WRITE_FILE: return phase == IN_STAGE1 || phase == IN_INIT;
  case OP_WRITE_PID:
  case OP_WRITE_PROC_FILE: return phase == IN_PARENT;
  case OP_RUN_HOOKS: return phase == IN_INIT || phase == IN_EXEC_HOOKS;
  case OP_PARENT_HOOKS: return phase == IN_INIT;
  case OP_SECCOMP: return phase == IN_INIT || phase == IN_EXEC_SECCOMP;
  case OP_SETRLIMIT: return phase == IN_INIT || phase == IN_EXEC_RLIMITS;
  case OP_PERSONALITY:
  case OP_SCHEDULER:
  case OP_IO_PRIORITY:
  case OP_MEMORY_POLICY: return phase == IN_INIT;
  case OP_CONSOLE: return phase == IN_INIT;
  case OP_MOVE_NET_DEVICE: return phase == IN_PARENT;
  case OP_CONFIGURE_NET_DEVICE: return phase == IN_INIT;
  case OP_MOUNT_SETATTR: return phase == IN_INIT;
  case OP_SET_AFFINITY: return phase == IN_STAGE1 || phase == IN_INIT;
  case OP_JOIN_SESSION_KEYRING:
  case OP_CHROOT_ROOT: return phase == IN_INIT;
  default: return op >= OP_BECOME_ROOT && op <= OP_SECCOMP && phase == IN_INIT;
  }
}

static void rd_step(struct reader *r, struct plan_step *s, int phase) {
  s->op = rd_u8(r, "step op");
  if (r->failed) return;
  if (!op_allowed(s->op, phase)) {
    r->pos--;
    bad(r, strcmp(plan_op_name(s->op), "unknown") != 0 ? "op not allowed in this phase" : "unknown op");
    return;
  }
  switch (s->op) {
  case OP_SETNS:
    s->u.setns.nstype = rd_u32(r, "setns nstype");
    s->u.setns.path = rd_str(r, "setns path");
    break;
  case OP_UNSHARE: s->u.unshare.flags = rd_u32(r, "unshare flags"); break;
  case OP_WRITE_FILE:
    s->u.write_file.path = rd_str(r, "writeFile path");
    s->u.write_file.data = rd_bytes(r, "writeFile data", 1);
    break;
  case OP_WRITE_PID: s->u.write_pid.path = rd_str(r, "writePid path"); break;
  case OP_WRITE_PROC_FILE:
    s->u.write_proc_file.name = rd_u8(r, "writeProcFile name");
    if (!r->failed && (s->u.write_proc_file.name < PROC_UID_MAP || s->u.write_proc_file.name > PROC_SETGROUPS))
      bad(r, "writeProcFile name");
    s->u.write_proc_file.data = rd_bytes(r, "writeProcFile data", 1);
    break;
  case OP_OPEN_ROOT:
  case OP_MASK_PATH:
  case OP_CHDIR: s->u.path.path = rd_str(r, "path"); break;
  case OP_MOUNT: {
    struct mount_step *m = &s->u.mount;
    m->source = rd_optstr(r, "mount source");
    m->target = rd_str(r, "mount target");
    m->in_root = rd_bool(r, "mount inRoot");
    m->fstype = rd_optstr(r, "mount fstype");
    m->flags = rd_u32(r, "mount flags");
    m->data = rd_optstr(r, "mount data");
    m->create = rd_u8(r, "mount create");
    if (!r->failed && m->create > CREATE_FILE) bad(r, "mount create");
    m->ignore_missing = rd_bool(r, "mount ignoreMissing");
    m->copy_up = rd_bool(r, "mount copyUp");
    if (!r->failed && m->copy_up && !m->in_root) bad(r, "mount copyUp without inRoot");
    m->directory_only = rd_bool(r, "mount directoryOnly");
    if (!r->failed && m->directory_only && !m->in_root) bad(r, "mount directoryOnly without inRoot");
    if (rd_bool(r, "mount hasIdmap")) {
      m->idmap_uid_map = rd_str(r, "mount idmap uidMap");
      m->idmap_gid_map = rd_str(r, "mount idmap gidMap");
      m->idmap_recursive = rd_bool(r, "mount idmap recursive");
      if (!r->failed && (!m->in_root || !m->source || !(m->flags & MS_BIND))) bad(r, "mount idmap without a bind inRoot");
    }
    break;
  }
  case OP_MKNOD:
    s->u.mknod.target = rd_str(r, "mknod target");
    s->u.mknod.mode = rd_u32(r, "mknod mode");
    s->u.mknod.major = rd_u32(r, "mknod major");
    s->u.mknod.minor = rd_u32(r, "mknod minor");
    s->u.mknod.uid = rd_u32(r, "mknod uid");
    s->u.mknod.gid = rd_u32(r, "mknod gid");
    break;
  case OP_SYMLINK:
    s->u.symlink.target = rd_str(r, "symlink target");
    s->u.symlink.link_to = rd_str(r, "symlink linkTo");
    s->u.symlink.ignore_existing = rd_bool(r, "symlink ignoreExisting");
    break;
  case OP_MKDIR:
    s->u.mkdir.target = rd_str(r, "mkdir target");
    s->u.mkdir.mode = rd_u32(r, "mkdir mode");
    break;
  case OP_SETHOSTNAME:
  case OP_SETDOMAINNAME: s->u.name = rd_bytes(r, "name", 0); break;
  case OP_SETRLIMIT:
    s->u.rlimit.resource = rd_u32(r, "setrlimit resource");
    s->u.rlimit.soft = rd_u64(r, "setrlimit soft");
    s->u.rlimit.hard = rd_u64(r, "setrlimit hard");
    break;
  case OP_UMASK: s->u.umask.mask = rd_u32(r, "umask mask"); break;
  case OP_DROP_BOUNDING:
    s->u.bounding.keep = rd_u64(r, "dropBounding keep");
    s->u.bounding.last_cap = rd_u32(r, "dropBounding lastCap");
    if (!r->failed && s->u.bounding.last_cap > 63) bad(r, "dropBounding lastCap above 63");
    break;
  case OP_SET_USER: {
    s->u.user.uid = rd_u32(r, "setUser uid");
    s->u.user.gid = rd_u32(r, "setUser gid");
    uint32_t n = rd_count(r, 4, "setUser additionalGids");
    uint32_t *gids = arena_alloc(r->arena, (size_t)n * 4 + 4);
    if (!gids) bad(r, "out of memory");
    for (uint32_t i = 0; i < n && !r->failed; i++) gids[i] = rd_u32(r, "setUser gid");
    s->u.user.gids = gids;
    s->u.user.n_gids = n;
    s->u.user.setgroups = rd_bool(r, "setUser setgroups");
    break;
  }
  case OP_SET_CAPS:
    s->u.caps.effective = rd_u64(r, "setCaps effective");
    s->u.caps.permitted = rd_u64(r, "setCaps permitted");
    s->u.caps.inheritable = rd_u64(r, "setCaps inheritable");
    s->u.caps.ambient = rd_u64(r, "setCaps ambient");
    break;
  case OP_SECCOMP: rd_seccomp(r, &s->u.seccomp); break;
  case OP_RUN_HOOKS: rd_hooks(r, &s->u.hooks); break;
  case OP_PERSONALITY: s->u.personality.persona = rd_u32(r, "personality persona"); break;
  case OP_CONSOLE: rd_console(r, &s->u.console); break;
  case OP_MOVE_NET_DEVICE:
    s->u.move_netdev.name = rd_ifname(r, "moveNetDevice name");
    s->u.move_netdev.new_name = rd_ifname(r, "moveNetDevice newName");
    break;
  case OP_CONFIGURE_NET_DEVICE: rd_netdev(r, &s->u.netdev); break;
  case OP_MOUNT_SETATTR:
    s->u.setattr.target = rd_str(r, "mountSetattr target");
    s->u.setattr.in_root = rd_bool(r, "mountSetattr inRoot");
    s->u.setattr.attr_set = rd_u32(r, "mountSetattr attrSet");
    s->u.setattr.attr_clr = rd_u32(r, "mountSetattr attrClr");
    break;
  case OP_SET_AFFINITY: rd_affinity(r, &s->u.affinity); break;
  case OP_JOIN_SESSION_KEYRING:
    s->u.keyring.name = rd_optstr(r, "joinSessionKeyring name");
    s->u.keyring.perm_set = rd_u32(r, "joinSessionKeyring permSet");
    break;
  case OP_SCHEDULER: rd_scheduler(r, &s->u.sched); break;
  case OP_IO_PRIORITY:
    s->u.ioprio.io_class = rd_u32(r, "ioPriority ioClass");
    if (!r->failed && (s->u.ioprio.io_class < 1 || s->u.ioprio.io_class > 3)) bad(r, "ioPriority ioClass");
    s->u.ioprio.level = rd_u32(r, "ioPriority level");
    if (!r->failed && s->u.ioprio.level > 7) bad(r, "ioPriority level above 7");
    break;
  case OP_MEMORY_POLICY: rd_mempolicy(r, &s->u.mempolicy.mode, &s->u.mempolicy.nodes, &s->u.mempolicy.n_nodes); break;
  default: break; /* becomeRoot, pivotRoot, moveRoot, chrootRoot, noNewPrivs, parentHooks: no fields */
  }
}

static const struct plan_step *rd_steps(struct reader *r, uint32_t *count, int phase) {
  uint32_t n = rd_count(r, 1, "step count");
  struct plan_step *steps = arena_alloc(r->arena, (size_t)n * sizeof *steps + 1);
  if (!steps) bad(r, "out of memory");
  for (uint32_t i = 0; i < n && !r->failed; i++) rd_step(r, &steps[i], phase);
  *count = n;
  return steps;
}

static char *const *rd_strlist(struct reader *r, uint32_t *count, const char *what) {
  uint32_t n = rd_count(r, 4, what);
  char **list = arena_alloc(r->arena, ((size_t)n + 1) * sizeof *list);
  if (!list) {
    bad(r, "out of memory");
    return NULL;
  }
  for (uint32_t i = 0; i < n && !r->failed; i++) list[i] = (char *)rd_str(r, what);
  list[n] = NULL;
  *count = n;
  return list;
}

static void rd_exec(struct reader *r, struct exec_spec *e) {
  e->args = rd_strlist(r, &e->n_args, "exec args");
  if (!r->failed && e->n_args == 0) bad(r, "exec args is empty");
  e->env = rd_strlist(r, &e->n_env, "exec env");
  e->search_path = rd_str(r, "exec searchPath");
  e->preserve_fds = rd_u32(r, "exec preserveFds");
  if (!r->failed && e->preserve_fds > PLAN_MAX_PRESERVE_FDS) bad(r, "exec preserveFds above 1048576");
  if (rd_bool(r, "exec fifo")) {
    e->fifo_dir = rd_str(r, "exec fifo dir");
    e->fifo_name = rd_str(r, "exec fifo name");
  }
  if (rd_bool(r, "exec startContainerHooks")) {
    struct plan_step *s = arena_alloc(r->arena, sizeof *s);
    if (!s) bad(r, "out of memory");
    else rd_step(r, s, IN_EXEC_HOOKS);
    if (!r->failed && s->u.hooks.kind != HOOK_START_CONTAINER) bad(r, "exec startContainerHooks kind");
    e->start_hooks = s;
  }
  uint32_t n = rd_count(r, 25, "exec rlimits");
  struct exec_rlimit *rlimits = arena_alloc(r->arena, (size_t)n * sizeof *rlimits + 1);
  if (!rlimits) bad(r, "out of memory");
  for (uint32_t i = 0; i < n && !r->failed; i++) {
    rd_step(r, &rlimits[i].step, IN_EXEC_RLIMITS);
    rlimits[i].message = rd_str(r, "exec rlimit message");
  }
  e->rlimits = rlimits;
  e->n_rlimits = n;
  if (rd_bool(r, "exec seccomp")) {
    struct plan_step *s = arena_alloc(r->arena, sizeof *s);
    if (!s) bad(r, "out of memory");
    else rd_step(r, s, IN_EXEC_SECCOMP);
    /* After READY nobody could take the notify fd. */
    if (!r->failed && s->u.seccomp.listener_path) bad(r, "exec seccomp with a listener (it must be an init step)");
    e->seccomp = s;
  }
}

struct tsrun_plan *plan_decode(const uint8_t *buf, size_t len, char *err, size_t errlen) {
  struct plan_arena *arena = calloc(1, sizeof *arena);
  if (!arena) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  struct reader r = {.buf = buf, .len = len, .arena = arena, .err = err, .errlen = errlen};
  struct tsrun_plan *p = arena_alloc(arena, sizeof *p);
  if (!p) bad(&r, "out of memory");
  else if (len > PLAN_MAX_BYTES) bad(&r, "plan larger than 64 MiB");
  else if (need(&r, 4, "magic") == 0 && memcmp(buf, PLAN_MAGIC, 4) != 0) bad(&r, "bad magic");
  if (!r.failed) {
    r.pos = 4;
    if (rd_u32(&r, "version") != PLAN_VERSION && !r.failed) {
      r.pos -= 4;
      bad(&r, "unsupported version");
    }
  }
  if (!r.failed) {
    p->arena = arena;
    p->stage1 = rd_steps(&r, &p->n_stage1, IN_STAGE1);
    p->clone_flags = rd_u32(&r, "cloneFlags");
    /* Anything else (CLONE_VM, CLONE_THREAD, a signal number) would break the executor. */
    if (!r.failed && (p->clone_flags & ~PLAN_CLONE_NAMESPACES)) {
      r.pos -= 4;
      bad(&r, "cloneFlags holds flags other than CLONE_NEW* namespaces");
    }
    p->parent = rd_steps(&r, &p->n_parent, IN_PARENT);
    p->init = rd_steps(&r, &p->n_init, IN_INIT);
    uint32_t n_seccomp = 0;
    for (uint32_t i = 0; i < p->n_init && !r.failed; i++) n_seccomp += p->init[i].op == OP_SECCOMP;
    rd_exec(&r, &p->exec);
    if (!r.failed && p->exec.seccomp) n_seccomp++;
    if (n_seccomp > 1) bad(&r, "more than one seccomp step");
    uint32_t n_console = 0;
    for (uint32_t i = 0; i < p->n_init && !r.failed; i++) n_console += p->init[i].op == OP_CONSOLE;
    if (n_console > 1) bad(&r, "more than one console step");
  }
  if (!r.failed && r.pos != r.len) bad(&r, "trailing bytes");
  if (r.failed) {
    arena_free(arena);
    return NULL;
  }
  return p;
}

void plan_free(struct tsrun_plan *plan) {
  if (plan) arena_free(plan->arena);
}

const char *plan_op_name(uint8_t op) {
  static const char *const names[] = {
      [OP_SETNS] = "setns",         [OP_UNSHARE] = "unshare",
      [OP_WRITE_FILE] = "writeFile", [OP_WRITE_PID] = "writePid",
      [OP_WRITE_PROC_FILE] = "writeProcFile", [OP_BECOME_ROOT] = "becomeRoot",
      [OP_OPEN_ROOT] = "openRoot",   [OP_MOUNT] = "mount",
      [OP_MKNOD] = "mknod",          [OP_SYMLINK] = "symlink",
      [OP_MKDIR] = "mkdir",          [OP_PIVOT_ROOT] = "pivotRoot",
      [OP_MOVE_ROOT] = "moveRoot",   [OP_MASK_PATH] = "maskPath",
      [OP_SETHOSTNAME] = "sethostname", [OP_SETDOMAINNAME] = "setdomainname",
      [OP_SETRLIMIT] = "setrlimit",  [OP_CHDIR] = "chdir",
      [OP_UMASK] = "umask",          [OP_DROP_BOUNDING] = "dropBounding",
      [OP_SET_USER] = "setUser",     [OP_SET_CAPS] = "setCaps",
      [OP_NO_NEW_PRIVS] = "noNewPrivs", [OP_SECCOMP] = "seccomp",
      [OP_RUN_HOOKS] = "runHooks",   [OP_PARENT_HOOKS] = "parentHooks",
      [OP_PERSONALITY] = "personality", [OP_SCHEDULER] = "scheduler",
      [OP_IO_PRIORITY] = "ioPriority", [OP_MEMORY_POLICY] = "memoryPolicy",
      [OP_CONSOLE] = "console",
      [OP_MOVE_NET_DEVICE] = "moveNetDevice", [OP_CONFIGURE_NET_DEVICE] = "configureNetDevice",
      [OP_MOUNT_SETATTR] = "mountSetattr", [OP_SET_AFFINITY] = "setAffinity",
      [OP_JOIN_SESSION_KEYRING] = "joinSessionKeyring", [OP_CHROOT_ROOT] = "chrootRoot",
  };
  return op < sizeof names / sizeof names[0] && names[op] ? names[op] : "unknown";
}

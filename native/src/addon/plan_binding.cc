// spawnInit, releaseInit and decodePlan: the plan executor (native/src/exec) for Node.
#include <arpa/inet.h>

#include <string>

#include "bindings.h"
#include "errors.h"
#include "tsrun_exec.h"

namespace {

// Decode the Buffer argument; throws (and returns NULL) when it is not a valid plan.
tsrun_plan *DecodeArg(const Napi::CallbackInfo &info) {
  if (!ExpectArgs(info, 1)) return nullptr;
  if (!info[0].IsBuffer()) {
    Napi::TypeError::New(info.Env(), "the plan must be a Buffer").ThrowAsJavaScriptException();
    return nullptr;
  }
  auto buf = info[0].As<Napi::Buffer<uint8_t>>();
  char err[256];
  tsrun_plan *plan = plan_decode(buf.Data(), buf.Length(), err, sizeof err);
  if (!plan) ErrnoErrorWithMessage(info.Env(), EINVAL, err).ThrowAsJavaScriptException();
  return plan;
}

Napi::Object FailureObject(Napi::Env env, const tsrun_failure &f) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("phase", phase_name(f.phase));
  o.Set("step", f.step == FAILURE_NO_STEP ? -1.0 : static_cast<double>(f.step));
  o.Set("errno", f.err);
  o.Set("code", ErrnoName(f.err));
  o.Set("detail", f.detail);
  return o;
}

// spawnInit(plan: Buffer): { pid: number } | { failure: PlanFailure }
Napi::Value SpawnInit(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  tsrun_plan *plan = DecodeArg(info);
  if (!plan) return env.Undefined();
  tsrun_failure failure;
  pid_t pid = tsrun_spawn(plan, &failure);
  plan_free(plan);
  Napi::Object result = Napi::Object::New(env);
  if (pid > 0) result.Set("pid", pid);
  else result.Set("failure", FailureObject(env, failure));
  return result;
}

// A spawn stopped where init waits for the runtime-namespace hooks: the plan must outlive it.
struct PausedSpawn {
  tsrun_plan *plan;
  struct tsrun_spawn *spawn;
};

void FinalizePaused(Napi::Env, PausedSpawn *p) {
  if (p->spawn) tsrun_spawn_abort(p->spawn);
  plan_free(p->plan);
  delete p;
}

// { pid } | { failure } | { pid, paused: handle } from tsrun_spawn_start/resume. The handle
// keeps the plan; a finished spawn frees it.
Napi::Value SpawnOutcome(Napi::Env env, PausedSpawn *p, int rc, pid_t pid, struct tsrun_spawn *handle,
                         const tsrun_failure &failure) {
  Napi::Object result = Napi::Object::New(env);
  if (rc == TSRUN_SPAWN_FAILED) {
    result.Set("failure", FailureObject(env, failure));
  } else {
    result.Set("pid", pid);
  }
  if (rc == TSRUN_SPAWN_HOOKS) {
    p->spawn = handle;
    result.Set("paused", Napi::External<PausedSpawn>::New(env, p, FinalizePaused));
  } else {
    plan_free(p->plan);
    p->plan = nullptr;
    delete p;
  }
  return result;
}

// spawnInitStart(plan: Buffer): { pid } | { failure } | { pid, paused }
Napi::Value SpawnInitStart(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  tsrun_plan *plan = DecodeArg(info);
  if (!plan) return env.Undefined();
  tsrun_failure failure;
  pid_t pid;
  struct tsrun_spawn *handle;
  int rc = tsrun_spawn_start(plan, &failure, &pid, &handle);
  return SpawnOutcome(env, new PausedSpawn{plan, nullptr}, rc, pid, handle, failure);
}

// The paused spawn of argument 0, taken out of its handle (so it is resumed or aborted once).
PausedSpawn *TakePaused(const Napi::CallbackInfo &info) {
  if (!ExpectArgs(info, 1)) return nullptr;
  if (!info[0].IsExternal()) {
    Napi::TypeError::New(info.Env(), "expected the handle of a paused spawn").ThrowAsJavaScriptException();
    return nullptr;
  }
  PausedSpawn *held = info[0].As<Napi::External<PausedSpawn>>().Data();
  if (!held->spawn) {
    Napi::Error::New(info.Env(), "this spawn was already resumed or aborted").ThrowAsJavaScriptException();
    return nullptr;
  }
  return held;
}

// spawnInitResume(handle): as spawnInitStart
Napi::Value SpawnInitResume(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  PausedSpawn *held = TakePaused(info);
  if (!held) return env.Undefined();
  struct tsrun_spawn *spawn = held->spawn;
  held->spawn = nullptr;
  // The plan moves to the next outcome; the old handle's finalizer then frees nothing.
  PausedSpawn *next = new PausedSpawn{held->plan, nullptr};
  held->plan = nullptr;
  tsrun_failure failure;
  pid_t pid;
  struct tsrun_spawn *handle;
  int rc = tsrun_spawn_resume(spawn, &failure, &pid, &handle);
  return SpawnOutcome(env, next, rc, pid, handle, failure);
}

// spawnInitAbort(handle): kill and reap the paused init.
Napi::Value SpawnInitAbort(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  PausedSpawn *held = TakePaused(info);
  if (!held) return env.Undefined();
  tsrun_spawn_abort(held->spawn);
  held->spawn = nullptr;
  plan_free(held->plan);
  held->plan = nullptr;
  return env.Undefined();
}

// releaseInit(fifoPath: string, pid: number): void
Napi::Value ReleaseInit(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string fifo;
  int64_t pid;
  if (!ExpectArgs(info, 2) || !ArgString(info, 0, &fifo) || !ArgInt(info, 1, 1, INT32_MAX, &pid)) return env.Undefined();
  char err[512];
  if (tsrun_release(fifo.c_str(), static_cast<pid_t>(pid), err, sizeof err) < 0)
    ErrnoErrorWithMessage(env, errno, err).ThrowAsJavaScriptException();
  return env.Undefined();
}

// The decoded plan back as an InitPlan object: what the C side understood, for tests of the
// wire format.
Napi::Value Str(Napi::Env env, const char *s) { return s ? Napi::String::New(env, s) : env.Null(); }
Napi::Value Bytes(Napi::Env env, const plan_str &s) { return Napi::String::New(env, s.s, s.len); }
Napi::Value U64(Napi::Env env, uint64_t v) { return Napi::String::New(env, std::to_string(v)); }

Napi::Array NullTerminated(Napi::Env env, char *const *list) {
  Napi::Array a = Napi::Array::New(env);
  for (uint32_t i = 0; list[i]; i++) a.Set(i, list[i]);
  return a;
}

const char *CreateKind(uint8_t c) { return c == CREATE_DIR ? "dir" : c == CREATE_FILE ? "file" : "none"; }
const char *ProcFileName(uint8_t n) { return n == PROC_UID_MAP ? "uid_map" : n == PROC_GID_MAP ? "gid_map" : "setgroups"; }

// A binary address of a configureNetDevice step back in text.
Napi::Value AddressText(Napi::Env env, int family, const uint8_t *bytes) {
  char text[INET6_ADDRSTRLEN];
  return Napi::String::New(env, inet_ntop(family, bytes, text, sizeof text) ? text : "?");
}

Napi::Object NetAddressObject(Napi::Env env, const net_address &a) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("family", a.family == AF_INET6 ? "inet6" : "inet");
  o.Set("local", AddressText(env, a.family, a.local));
  o.Set("prefixLength", a.prefix_len);
  o.Set("peer", a.has_peer ? AddressText(env, a.family, a.peer) : env.Null());
  o.Set("broadcast", a.has_broadcast ? AddressText(env, a.family, a.broadcast) : env.Null());
  return o;
}

Napi::Object StepObject(Napi::Env env, const plan_step &s) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("op", plan_op_name(s.op));
  switch (s.op) {
  case OP_SETNS:
    o.Set("nstype", s.u.setns.nstype);
    o.Set("path", s.u.setns.path);
    break;
  case OP_UNSHARE: o.Set("flags", s.u.unshare.flags); break;
  case OP_WRITE_FILE:
    o.Set("path", s.u.write_file.path);
    o.Set("data", Bytes(env, s.u.write_file.data));
    break;
  case OP_WRITE_PID: o.Set("path", s.u.write_pid.path); break;
  case OP_WRITE_PROC_FILE:
    o.Set("name", ProcFileName(s.u.write_proc_file.name));
    o.Set("data", Bytes(env, s.u.write_proc_file.data));
    break;
  case OP_OPEN_ROOT:
  case OP_MASK_PATH:
  case OP_CHDIR: o.Set("path", s.u.path.path); break;
  case OP_MOUNT:
    o.Set("source", Str(env, s.u.mount.source));
    o.Set("target", s.u.mount.target);
    o.Set("inRoot", static_cast<bool>(s.u.mount.in_root));
    o.Set("fstype", Str(env, s.u.mount.fstype));
    o.Set("flags", s.u.mount.flags);
    o.Set("data", Str(env, s.u.mount.data));
    o.Set("create", CreateKind(s.u.mount.create));
    o.Set("ignoreMissing", static_cast<bool>(s.u.mount.ignore_missing));
    if (s.u.mount.copy_up) o.Set("copyUp", true); /* optional in types.ts: absent means false */
    if (s.u.mount.directory_only) o.Set("directoryOnly", true);
    if (s.u.mount.idmap_uid_map) {
      Napi::Object idmap = Napi::Object::New(env);
      idmap.Set("uidMap", s.u.mount.idmap_uid_map);
      idmap.Set("gidMap", s.u.mount.idmap_gid_map);
      idmap.Set("recursive", static_cast<bool>(s.u.mount.idmap_recursive));
      o.Set("idmap", idmap);
    }
    break;
  case OP_MKNOD:
    o.Set("target", s.u.mknod.target);
    o.Set("mode", s.u.mknod.mode);
    o.Set("major", s.u.mknod.major);
    o.Set("minor", s.u.mknod.minor);
    o.Set("uid", s.u.mknod.uid);
    o.Set("gid", s.u.mknod.gid);
    break;
  case OP_SYMLINK:
    o.Set("target", s.u.symlink.target);
    o.Set("linkTo", s.u.symlink.link_to);
    o.Set("ignoreExisting", static_cast<bool>(s.u.symlink.ignore_existing));
    break;
  case OP_MKDIR:
    o.Set("target", s.u.mkdir.target);
    o.Set("mode", s.u.mkdir.mode);
    break;
  case OP_SETHOSTNAME:
  case OP_SETDOMAINNAME: o.Set("name", Bytes(env, s.u.name)); break;
  case OP_SETRLIMIT:
    o.Set("resource", s.u.rlimit.resource);
    o.Set("soft", U64(env, s.u.rlimit.soft));
    o.Set("hard", U64(env, s.u.rlimit.hard));
    break;
  case OP_UMASK: o.Set("mask", s.u.umask.mask); break;
  case OP_DROP_BOUNDING:
    o.Set("keep", U64(env, s.u.bounding.keep));
    o.Set("lastCap", s.u.bounding.last_cap);
    break;
  case OP_SET_USER: {
    o.Set("uid", s.u.user.uid);
    o.Set("gid", s.u.user.gid);
    Napi::Array gids = Napi::Array::New(env, s.u.user.n_gids);
    for (uint32_t i = 0; i < s.u.user.n_gids; i++) gids.Set(i, s.u.user.gids[i]);
    o.Set("additionalGids", gids);
    o.Set("setgroups", static_cast<bool>(s.u.user.setgroups));
    break;
  }
  case OP_SET_CAPS:
    o.Set("effective", U64(env, s.u.caps.effective));
    o.Set("permitted", U64(env, s.u.caps.permitted));
    o.Set("inheritable", U64(env, s.u.caps.inheritable));
    o.Set("ambient", U64(env, s.u.caps.ambient));
    break;
  case OP_SECCOMP: {
    const seccomp_step &sc = s.u.seccomp;
    o.Set("defaultAction", sc.default_action);
    Napi::Array arches = Napi::Array::New(env, sc.n_arches);
    for (uint32_t i = 0; i < sc.n_arches; i++) arches.Set(i, sc.arches[i]);
    o.Set("architectures", arches);
    o.Set("flags", sc.flags);
    Napi::Array rules = Napi::Array::New(env, sc.n_rules);
    for (uint32_t i = 0; i < sc.n_rules; i++) {
      const seccomp_rule &r = sc.rules[i];
      Napi::Object rule = Napi::Object::New(env);
      rule.Set("syscall", r.syscall);
      rule.Set("action", r.action);
      Napi::Array conds = Napi::Array::New(env, r.n_conditions);
      for (uint32_t j = 0; j < r.n_conditions; j++) {
        Napi::Object c = Napi::Object::New(env);
        c.Set("index", r.conditions[j].index);
        c.Set("op", r.conditions[j].op);
        c.Set("value", U64(env, r.conditions[j].value));
        c.Set("valueTwo", U64(env, r.conditions[j].value_two));
        conds.Set(j, c);
      }
      rule.Set("conditions", conds);
      rules.Set(i, rule);
    }
    o.Set("rules", rules);
    if (sc.listener_path) {
      Napi::Object listener = Napi::Object::New(env);
      listener.Set("path", sc.listener_path);
      listener.Set("stateParts", NullTerminated(env, sc.listener_parts));
      o.Set("listener", listener);
    }
    break;
  }
  case OP_RUN_HOOKS: {
    const run_hooks_step &h = s.u.hooks;
    o.Set("kind", h.kind == HOOK_CREATE_CONTAINER ? "createContainer" : "startContainer");
    Napi::Array hooks = Napi::Array::New(env, h.n_hooks);
    for (uint32_t i = 0; i < h.n_hooks; i++) {
      Napi::Object hook = Napi::Object::New(env);
      hook.Set("path", h.hooks[i].path);
      hook.Set("args", NullTerminated(env, h.hooks[i].args));
      hook.Set("env", NullTerminated(env, h.hooks[i].env));
      hook.Set("timeout", h.hooks[i].timeout);
      hooks.Set(i, hook);
    }
    o.Set("hooks", hooks);
    Napi::Object state = Napi::Object::New(env);
    state.Set("before", Bytes(env, h.state_before));
    state.Set("after", Bytes(env, h.state_after));
    o.Set("state", state);
    break;
  }
  case OP_PERSONALITY: o.Set("persona", s.u.personality.persona); break;
  case OP_CONSOLE:
    o.Set("socketFd", s.u.console.socket_fd);
    o.Set("uid", s.u.console.uid);
    o.Set("width", s.u.console.width);
    o.Set("height", s.u.console.height);
    o.Set("mountConsole", static_cast<bool>(s.u.console.mount_console));
    break;
  case OP_SCHEDULER:
    o.Set("policy", s.u.sched.policy);
    o.Set("flags", U64(env, s.u.sched.flags));
    o.Set("nice", s.u.sched.nice);
    o.Set("priority", s.u.sched.priority);
    o.Set("runtime", U64(env, s.u.sched.runtime));
    o.Set("deadline", U64(env, s.u.sched.deadline));
    o.Set("period", U64(env, s.u.sched.period));
    break;
  case OP_IO_PRIORITY:
    o.Set("ioClass", s.u.ioprio.io_class);
    o.Set("level", s.u.ioprio.level);
    break;
  case OP_MOVE_NET_DEVICE:
    o.Set("name", s.u.move_netdev.name);
    o.Set("newName", s.u.move_netdev.new_name);
    break;
  case OP_CONFIGURE_NET_DEVICE: {
    o.Set("name", s.u.netdev.name);
    Napi::Array addresses = Napi::Array::New(env, s.u.netdev.n_addresses);
    for (uint32_t i = 0; i < s.u.netdev.n_addresses; i++) addresses.Set(i, NetAddressObject(env, s.u.netdev.addresses[i]));
    o.Set("addresses", addresses);
    break;
  }
  case OP_MOUNT_SETATTR:
    o.Set("target", s.u.setattr.target);
    o.Set("inRoot", static_cast<bool>(s.u.setattr.in_root));
    o.Set("attrSet", s.u.setattr.attr_set);
    o.Set("attrClr", s.u.setattr.attr_clr);
    break;
  case OP_SET_AFFINITY: {
    Napi::Array cpus = Napi::Array::New(env, s.u.affinity.n_cpus);
    for (uint32_t i = 0; i < s.u.affinity.n_cpus; i++) cpus.Set(i, s.u.affinity.cpus[i]);
    o.Set("cpus", cpus);
    break;
  }
  case OP_JOIN_SESSION_KEYRING:
    o.Set("name", s.u.keyring.name ? Napi::Value(Napi::String::New(env, s.u.keyring.name)) : env.Null());
    o.Set("permSet", s.u.keyring.perm_set);
    break;
  case OP_MEMORY_POLICY: {
    o.Set("mode", s.u.mempolicy.mode);
    Napi::Array nodes = Napi::Array::New(env, s.u.mempolicy.n_nodes);
    for (uint32_t i = 0; i < s.u.mempolicy.n_nodes; i++) nodes.Set(i, s.u.mempolicy.nodes[i]);
    o.Set("nodes", nodes);
    break;
  }
  default: break;
  }
  return o;
}

Napi::Array StepArray(Napi::Env env, const plan_step *steps, uint32_t n) {
  Napi::Array a = Napi::Array::New(env, n);
  for (uint32_t i = 0; i < n; i++) a.Set(i, StepObject(env, steps[i]));
  return a;
}

Napi::Array StringArray(Napi::Env env, char *const *list, uint32_t n) {
  Napi::Array a = Napi::Array::New(env, n);
  for (uint32_t i = 0; i < n; i++) a.Set(i, list[i]);
  return a;
}

// decodePlan(plan: Buffer): InitPlan
Napi::Value DecodePlan(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  tsrun_plan *plan = DecodeArg(info);
  if (!plan) return env.Undefined();
  Napi::Object o = Napi::Object::New(env);
  o.Set("stage1", StepArray(env, plan->stage1, plan->n_stage1));
  o.Set("cloneFlags", plan->clone_flags);
  o.Set("parent", StepArray(env, plan->parent, plan->n_parent));
  o.Set("init", StepArray(env, plan->init, plan->n_init));
  Napi::Object exec = Napi::Object::New(env);
  exec.Set("args", StringArray(env, plan->exec.args, plan->exec.n_args));
  exec.Set("env", StringArray(env, plan->exec.env, plan->exec.n_env));
  exec.Set("searchPath", plan->exec.search_path);
  exec.Set("preserveFds", plan->exec.preserve_fds);
  if (plan->exec.fifo_name) {
    Napi::Object fifo = Napi::Object::New(env);
    fifo.Set("dir", plan->exec.fifo_dir);
    fifo.Set("name", plan->exec.fifo_name);
    exec.Set("fifo", fifo);
  } else {
    exec.Set("fifo", env.Null());
  }
  // Optional in the plan: absent when the plan has none.
  if (plan->exec.start_hooks) exec.Set("startContainerHooks", StepObject(env, *plan->exec.start_hooks));
  Napi::Array rlimits = Napi::Array::New(env, plan->exec.n_rlimits);
  for (uint32_t i = 0; i < plan->exec.n_rlimits; i++) {
    Napi::Object r = StepObject(env, plan->exec.rlimits[i].step);
    r.Set("message", plan->exec.rlimits[i].message);
    rlimits.Set(i, r);
  }
  exec.Set("rlimits", rlimits);
  if (plan->exec.seccomp) exec.Set("seccomp", StepObject(env, *plan->exec.seccomp));
  o.Set("exec", exec);
  plan_free(plan);
  return o;
}

}  // namespace

void RegisterPlanBindings(Napi::Env env, Napi::Object exports) {
  exports.Set("spawnInit", Napi::Function::New(env, SpawnInit, "spawnInit"));
  exports.Set("releaseInit", Napi::Function::New(env, ReleaseInit, "releaseInit"));
  exports.Set("spawnInitStart", Napi::Function::New(env, SpawnInitStart, "spawnInitStart"));
  exports.Set("spawnInitResume", Napi::Function::New(env, SpawnInitResume, "spawnInitResume"));
  exports.Set("spawnInitAbort", Napi::Function::New(env, SpawnInitAbort, "spawnInitAbort"));
}

void RegisterPlanTestBindings(Napi::Env env, Napi::Object exports) {
  exports.Set("decodePlan", Napi::Function::New(env, DecodePlan, "decodePlan"));
}

// spawnInit, releaseInit and decodePlan: the plan executor (native/src/exec) for Node.
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

const char *CreateKind(uint8_t c) { return c == CREATE_DIR ? "dir" : c == CREATE_FILE ? "file" : "none"; }
const char *ProcFileName(uint8_t n) { return n == PROC_UID_MAP ? "uid_map" : n == PROC_GID_MAP ? "gid_map" : "setgroups"; }

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
  o.Set("exec", exec);
  plan_free(plan);
  return o;
}

}  // namespace

void RegisterPlanBindings(Napi::Env env, Napi::Object exports) {
  exports.Set("spawnInit", Napi::Function::New(env, SpawnInit, "spawnInit"));
  exports.Set("releaseInit", Napi::Function::New(env, ReleaseInit, "releaseInit"));
  exports.Set("decodePlan", Napi::Function::New(env, DecodePlan, "decodePlan"));
}

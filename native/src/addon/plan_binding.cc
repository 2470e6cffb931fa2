// spawnInit, releaseInit and decodePlan: the plan executor (native/src/exec) for Node.
#include <linux/filter.h>

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
  tsrun_failure failure;
  if (tsrun_release(fifo.c_str(), static_cast<pid_t>(pid), &failure) < 0) FailureError(env, failure).ThrowAsJavaScriptException();
  return env.Undefined();
}

const seccomp_step *SeccompStepOf(const tsrun_plan &plan) {
  for (uint32_t i = 0; i < plan.n_init; i++)
    if (plan.init[i].op == OP_SECCOMP) return &plan.init[i].u.seccomp;
  return plan.exec.seccomp ? &plan.exec.seccomp->u.seccomp : nullptr;
}

// seccompProgram(plan: Buffer): BpfInstruction[] | null
// The filter the plan's seccomp step compiles to (a plan holds at most one); null when it has
// none or compiling failed: that failure is the executor's to report, at its step.
Napi::Value SeccompProgram(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  tsrun_plan *plan = DecodeArg(info);
  if (!plan) return env.Undefined();
  const seccomp_step *step = SeccompStepOf(*plan);
  Napi::Value result = env.Null();
  if (step && step->bpf) {
    const sock_filter *bpf = static_cast<const sock_filter *>(step->bpf);
    Napi::Array program = Napi::Array::New(env, step->bpf_len);
    for (uint32_t i = 0; i < step->bpf_len; i++) {
      Napi::Object insn = Napi::Object::New(env);
      insn.Set("code", bpf[i].code);
      insn.Set("jt", bpf[i].jt);
      insn.Set("jf", bpf[i].jf);
      insn.Set("k", bpf[i].k);
      program.Set(i, insn);
    }
    result = program;
  }
  plan_free(plan);
  return result;
}

// The decoded plan back as an InitPlan object: what the C side understood, for tests of the
// wire format. The object builders are generated from the contract with the decoder.
Napi::Value Str(Napi::Env env, const char *s) { return s ? Napi::String::New(env, s) : env.Null(); }
Napi::Value Bytes(Napi::Env env, const plan_str &s) { return Napi::String::New(env, s.s, s.len); }
Napi::Value U64(Napi::Env env, uint64_t v) { return Napi::String::New(env, std::to_string(v)); }

#include "generated/plan_object.inc"

// decodePlan(plan: Buffer): InitPlan
Napi::Value DecodePlan(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  tsrun_plan *plan = DecodeArg(info);
  if (!plan) return env.Undefined();
  Napi::Object o = PlanObject(env, *plan);
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
  exports.Set("seccompProgram", Napi::Function::New(env, SeccompProgram, "seccompProgram"));
}

void RegisterPlanTestBindings(Napi::Env env, Napi::Object exports) {
  exports.Set("decodePlan", Napi::Function::New(env, DecodePlan, "decodePlan"));
}

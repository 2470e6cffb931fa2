// waitExit(pid): waitpid() on a libuv worker thread, so that Node's main thread keeps running
// while a foreground container (`tsrun run`) lives. Init is the caller's child (CLONE_PARENT).
#include <sys/wait.h>

#include "bindings.h"
#include "errors.h"

namespace {

class WaitExitWorker : public Napi::AsyncWorker {
 public:
  WaitExitWorker(Napi::Env env, pid_t pid) : Napi::AsyncWorker(env), pid_(pid), deferred_(Napi::Promise::Deferred::New(env)) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    int rc;
    do rc = waitpid(pid_, &status_, 0);
    while (rc < 0 && errno == EINTR);
    err_ = rc < 0 ? errno : 0;
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (err_) {
      deferred_.Reject(ErrnoError(env, err_, "waitpid", std::to_string(pid_)).Value());
      return;
    }
    Napi::Object result = Napi::Object::New(env);
    result.Set("code", WIFEXITED(status_) ? Napi::Value(Napi::Number::New(env, WEXITSTATUS(status_))) : env.Null());
    result.Set("signal", WIFSIGNALED(status_) ? Napi::Value(Napi::Number::New(env, WTERMSIG(status_))) : env.Null());
    deferred_.Resolve(result);
  }

 private:
  pid_t pid_;
  int status_ = 0;
  int err_ = 0;
  Napi::Promise::Deferred deferred_;
};

// waitExit(pid: number): Promise<{ code: number | null; signal: number | null }>
Napi::Value WaitExit(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int64_t pid;
  if (!ExpectArgs(info, 1) || !ArgInt(info, 0, 1, INT32_MAX, &pid)) return env.Undefined();
  auto *worker = new WaitExitWorker(env, static_cast<pid_t>(pid));
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace

void RegisterWaitExit(Napi::Env env, Napi::Object exports) {
  exports.Set("waitExit", Napi::Function::New(env, WaitExit, "waitExit"));
}

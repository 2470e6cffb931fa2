// PR_SET_CHILD_SUBREAPER for a test process that must reap what its containers orphan.
#include <sys/prctl.h>

#include <cerrno>

#include "errors.h"
#include "test_bindings.h"

namespace {

// setChildSubreaper(): void
Napi::Value SetChildSubreaper(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (!ExpectArgs(info, 0)) return env.Undefined();
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
    ErrnoError(env, errno, "prctl(PR_SET_CHILD_SUBREAPER)").ThrowAsJavaScriptException();
  return env.Undefined();
}

}  // namespace

void RegisterSubreaper(Napi::Env env, Napi::Object exports) {
  exports.Set("setChildSubreaper", Napi::Function::New(env, SetChildSubreaper, "setChildSubreaper"));
}

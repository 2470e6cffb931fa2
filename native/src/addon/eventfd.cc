// eventfd(2), for the v1 memory controller's OOM notifications (cgroup.event_control): the
// caller reads the 8-byte counter with fs.read and closes it with fs.closeSync.
#include <sys/eventfd.h>

#include "bindings.h"
#include "errors.h"

namespace {

// eventfd(): number — a blocking, close-on-exec eventfd with the counter at 0.
Napi::Value Eventfd(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (!ExpectArgs(info, 0)) return env.Undefined();
  int fd = eventfd(0, EFD_CLOEXEC);
  if (fd < 0) {
    ErrnoError(env, errno, "eventfd").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Number::New(env, fd);
}

}  // namespace

void RegisterEventfd(Napi::Env env, Napi::Object exports) {
  exports.Set("eventfd", Napi::Function::New(env, Eventfd, "eventfd"));
}

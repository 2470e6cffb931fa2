// OOM watches of a memory cgroup for `tsrun events`: the executor's (exec/oom_watch.c, which the
// tsrund monitor runs too), waited on a libuv worker thread so that the stats interval goes on.
#include <poll.h>

#include "bindings.h"
#include "errors.h"
#include "oom_watch.h"

namespace {

bool ArgWatch(const Napi::CallbackInfo &info, struct oom_watch *w) {
  int64_t kind, fd, count;
  std::string dir;
  if (!ArgInt(info, 0, OOM_WATCH_CONTROL, OOM_WATCH_EVENTS, &kind) || !ArgString(info, 1, &dir)) return false;
  if (dir.size() >= sizeof w->dir) {
    ErrnoError(info.Env(), ENAMETOOLONG, "oom watch", dir).ThrowAsJavaScriptException();
    return false;
  }
  if (!ArgInt(info, 2, 0, INT32_MAX, &fd) || !ArgInt(info, 3, 0, INT64_C(1) << 53, &count)) return false;
  w->kind = static_cast<int>(kind);
  w->fd = static_cast<int>(fd);
  w->count = static_cast<unsigned long long>(count);
  snprintf(w->dir, sizeof w->dir, "%s", dir.c_str());
  return true;
}

Napi::Object WatchObject(Napi::Env env, const struct oom_watch &w) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("fd", Napi::Number::New(env, w.fd));
  o.Set("count", Napi::Number::New(env, static_cast<double>(w.count)));
  return o;
}

// oomWatchOpen(kind: 1 | 2, dir: string): { fd: number; count: number }
Napi::Value OomWatchOpen(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int64_t kind;
  std::string dir;
  if (!ExpectArgs(info, 2) || !ArgInt(info, 0, OOM_WATCH_CONTROL, OOM_WATCH_EVENTS, &kind) || !ArgString(info, 1, &dir)) return env.Undefined();
  struct oom_watch w;
  if (oom_watch_open(&w, static_cast<int>(kind), dir.c_str()) < 0) {
    ErrnoError(env, errno, "oom watch", dir).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return WatchObject(env, w);
}

class OomWaitWorker : public Napi::AsyncWorker {
 public:
  OomWaitWorker(Napi::Env env, const struct oom_watch &w, int timeout_ms)
      : Napi::AsyncWorker(env), watch_(w), timeout_ms_(timeout_ms), deferred_(Napi::Promise::Deferred::New(env)) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    struct pollfd p = {watch_.fd, POLLIN, 0};
    int rc;
    do rc = poll(&p, 1, timeout_ms_);
    while (rc < 0 && errno == EINTR);
    if (rc < 0) err_ = errno;
    else if (rc > 0) ooms_ = oom_watch_take(&watch_);
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (err_) {
      deferred_.Reject(ErrnoError(env, err_, "poll", watch_.dir).Value());
      return;
    }
    Napi::Object result = WatchObject(env, watch_);
    result.Set("ooms", Napi::Number::New(env, static_cast<double>(ooms_)));
    deferred_.Resolve(result);
  }

 private:
  struct oom_watch watch_;
  int timeout_ms_;
  long ooms_ = 0;
  int err_ = 0;
  Napi::Promise::Deferred deferred_;
};

// oomWatchWait(kind, dir, fd, count, timeoutMs): Promise<{ fd; count; ooms }> — the OOMs within
// timeoutMs (0 when none), or ooms -1: the cgroup is gone. The caller closes fd (fs.closeSync).
Napi::Value OomWatchWait(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  struct oom_watch w;
  int64_t timeout;
  if (!ExpectArgs(info, 5) || !ArgWatch(info, &w) || !ArgInt(info, 4, 0, INT32_MAX, &timeout)) return env.Undefined();
  auto *worker = new OomWaitWorker(env, w, static_cast<int>(timeout));
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace

void RegisterOomWatch(Napi::Env env, Napi::Object exports) {
  exports.Set("oomWatchOpen", Napi::Function::New(env, OomWatchOpen, "oomWatchOpen"));
  exports.Set("oomWatchWait", Napi::Function::New(env, OomWatchWait, "oomWatchWait"));
}

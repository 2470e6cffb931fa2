// The agent's side of SCMP_ACT_NOTIFY (what a seccomp agent does with the fd tsrun sends to
// linux.seccomp.listenerPath): wait for a notification, answer it. A poll comes first so that a
// caller on Node's thread never blocks without a bound.
#include <linux/seccomp.h>
#include <poll.h>
#include <seccomp.h>
#include <stdlib.h>
#include <sys/ioctl.h>

#include <cstring>
#include <string>

#include "errors.h"
#include "test_bindings.h"

namespace {

// 1 readable, 0 timed out, -1 with errno.
int PollReadable(int fd, int timeout_ms) {
  pollfd p = {fd, POLLIN, 0};
  int rc;
  do rc = poll(&p, 1, timeout_ms);
  while (rc < 0 && errno == EINTR);
  return rc;
}

std::string SyscallName(int nr) {
  char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
  std::string out = name ? name : std::to_string(nr);
  free(name);
  return out;
}

// waitReadable(fd: number, timeoutMs: number): boolean — poll(2) for POLLIN (a connection on a
// listening socket, data on a connection, a notification on a notify fd).
Napi::Value WaitReadable(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int64_t fd, timeout;
  if (!ExpectArgs(info, 2) || !ArgInt(info, 0, 0, INT32_MAX, &fd) || !ArgInt(info, 1, -1, INT32_MAX, &timeout))
    return env.Undefined();
  int rc = PollReadable(static_cast<int>(fd), static_cast<int>(timeout));
  if (rc < 0) {
    ErrnoError(env, errno, "poll").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Boolean::New(env, rc > 0);
}

// seccompNotifyReceive(fd: number, timeoutMs: number):
//   { id: string, pid: number, syscall: string, args: string[] } | null (timed out)
// SECCOMP_IOCTL_NOTIF_RECV; `syscall` is the native architecture's name of the call.
Napi::Value NotifyReceive(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int64_t fd, timeout;
  if (!ExpectArgs(info, 2) || !ArgInt(info, 0, 0, INT32_MAX, &fd) || !ArgInt(info, 1, -1, INT32_MAX, &timeout))
    return env.Undefined();
  int rc = PollReadable(static_cast<int>(fd), static_cast<int>(timeout));
  if (rc == 0) return env.Null();
  seccomp_notif req;
  std::memset(&req, 0, sizeof req);
  if (rc > 0) {
    do rc = ioctl(static_cast<int>(fd), SECCOMP_IOCTL_NOTIF_RECV, &req);
    while (rc < 0 && errno == EINTR);
  }
  if (rc < 0) {
    ErrnoError(env, errno, "ioctl(SECCOMP_IOCTL_NOTIF_RECV)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("id", std::to_string(req.id));
  out.Set("pid", req.pid);
  out.Set("syscall", SyscallName(req.data.nr));
  Napi::Array args = Napi::Array::New(env, 6);
  for (uint32_t i = 0; i < 6; i++) args.Set(i, std::to_string(req.data.args[i]));
  out.Set("args", args);
  return out;
}

// seccompNotifyRespond(fd: number, id: string, errno: number, value: number, proceed: boolean): void
// SECCOMP_IOCTL_NOTIF_SEND: the call fails with `errno` (positive), or returns `value` when
// errno is 0, or runs as if not intercepted when `proceed` (SECCOMP_USER_NOTIF_FLAG_CONTINUE).
Napi::Value NotifyRespond(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int64_t fd, err, value;
  std::string id;
  if (!ExpectArgs(info, 5) || !ArgInt(info, 0, 0, INT32_MAX, &fd) || !ArgString(info, 1, &id) ||
      !ArgInt(info, 2, 0, 4095, &err) || !ArgInt(info, 3, INT32_MIN, INT32_MAX, &value))
    return env.Undefined();
  if (!info[4].IsBoolean()) {
    Napi::TypeError::New(env, "argument 5 (proceed) must be a boolean").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  seccomp_notif_resp resp;
  std::memset(&resp, 0, sizeof resp);
  resp.id = std::stoull(id);
  resp.error = static_cast<int32_t>(-err);
  resp.val = value;
  if (info[4].As<Napi::Boolean>().Value()) resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
  int rc;
  do rc = ioctl(static_cast<int>(fd), SECCOMP_IOCTL_NOTIF_SEND, &resp);
  while (rc < 0 && errno == EINTR);
  if (rc < 0) ErrnoError(env, errno, "ioctl(SECCOMP_IOCTL_NOTIF_SEND)").ThrowAsJavaScriptException();
  return env.Undefined();
}

}  // namespace

void RegisterSeccompNotify(Napi::Env env, Napi::Object exports) {
  exports.Set("waitReadable", Napi::Function::New(env, WaitReadable, "waitReadable"));
  exports.Set("seccompNotifyReceive", Napi::Function::New(env, NotifyReceive, "seccompNotifyReceive"));
  exports.Set("seccompNotifyRespond", Napi::Function::New(env, NotifyRespond, "seccompNotifyRespond"));
}

// System calls Node lacks: mkfifo, flock, mount (a tmpfs) and umount, pidfds, errno names.
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

#include "bindings.h"
#include "errors.h"

namespace {

// mkfifo(path: string, mode: number): void — the fifo gets exactly `mode` (no umask).
Napi::Value Mkfifo(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string path;
  int64_t mode;
  if (!ExpectArgs(info, 2) || !ArgString(info, 0, &path) || !ArgInt(info, 1, 0, 07777, &mode)) return env.Undefined();
  if (mkfifo(path.c_str(), static_cast<mode_t>(mode)) < 0) {
    ErrnoError(env, errno, "mkfifo", path).ThrowAsJavaScriptException();
  } else if (chmod(path.c_str(), static_cast<mode_t>(mode)) < 0) {
    ErrnoError(env, errno, "chmod", path).ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

// detachMount(path: string): void — umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW): the mount on
// top at `path` and everything beneath it go; a symlink as the last component is never followed.
Napi::Value DetachMount(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string path;
  if (!ExpectArgs(info, 1) || !ArgString(info, 0, &path)) return env.Undefined();
  if (umount2(path.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) < 0) ErrnoError(env, errno, "umount2", path).ThrowAsJavaScriptException();
  return env.Undefined();
}

// mountTmpfs(path: string, data: string): void — a tmpfs (nosuid, nodev, noexec) with the options
// `data` ("mode=1777,size=67108864") on `path`, in this process's mount namespace.
Napi::Value MountTmpfs(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string path, data;
  if (!ExpectArgs(info, 2) || !ArgString(info, 0, &path) || !ArgString(info, 1, &data)) return env.Undefined();
  if (mount("shm", path.c_str(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, data.c_str()) < 0) ErrnoError(env, errno, "mount", path).ThrowAsJavaScriptException();
  return env.Undefined();
}

// flock(fd: number, mode: 'exclusive' | 'shared' | 'unlock', wait: boolean): boolean
// false when `wait` is false and the lock is held elsewhere.
Napi::Value Flock(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int64_t fd;
  std::string mode;
  if (!ExpectArgs(info, 3) || !ArgInt(info, 0, 0, INT32_MAX, &fd) || !ArgString(info, 1, &mode)) return env.Undefined();
  int op = mode == "exclusive" ? LOCK_EX : mode == "shared" ? LOCK_SH : mode == "unlock" ? LOCK_UN : -1;
  if (op < 0 || !info[2].IsBoolean()) {
    Napi::TypeError::New(env, "flock(fd, 'exclusive' | 'shared' | 'unlock', wait: boolean)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (!info[2].As<Napi::Boolean>().Value()) op |= LOCK_NB;
  int rc;
  do rc = flock(static_cast<int>(fd), op);
  while (rc < 0 && errno == EINTR);
  if (rc < 0 && errno == EWOULDBLOCK) return Napi::Boolean::New(env, false);
  if (rc < 0) {
    ErrnoError(env, errno, "flock").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Boolean::New(env, true);
}

// pidfdOpen(pid: number): number — a close-on-exec pidfd the caller closes (fs.closeSync).
Napi::Value PidfdOpen(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int64_t pid;
  if (!ExpectArgs(info, 1) || !ArgInt(info, 0, 1, INT32_MAX, &pid)) return env.Undefined();
  long fd = syscall(SYS_pidfd_open, static_cast<pid_t>(pid), 0);
  if (fd < 0) {
    ErrnoError(env, errno, "pidfd_open").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Number::New(env, static_cast<double>(fd));
}

// pidfdSendSignal(pidfd: number, signal: number): void
Napi::Value PidfdSendSignal(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int64_t fd, sig;
  if (!ExpectArgs(info, 2) || !ArgInt(info, 0, 0, INT32_MAX, &fd) || !ArgInt(info, 1, 0, 64, &sig)) return env.Undefined();
  if (syscall(SYS_pidfd_send_signal, static_cast<int>(fd), static_cast<int>(sig), nullptr, 0) < 0)
    ErrnoError(env, errno, "pidfd_send_signal").ThrowAsJavaScriptException();
  return env.Undefined();
}

// errnoName(n: number): string — "ENOENT"; "EUNKNOWN" for a number libc does not know.
Napi::Value ErrnoNameOf(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int64_t n;
  if (!ExpectArgs(info, 1) || !ArgInt(info, 0, INT32_MIN, INT32_MAX, &n)) return env.Undefined();
  return Napi::String::New(env, ErrnoName(static_cast<int>(n)));
}

}  // namespace

void RegisterSysBindings(Napi::Env env, Napi::Object exports) {
  exports.Set("mkfifo", Napi::Function::New(env, Mkfifo, "mkfifo"));
  exports.Set("flock", Napi::Function::New(env, Flock, "flock"));
  exports.Set("detachMount", Napi::Function::New(env, DetachMount, "detachMount"));
  exports.Set("mountTmpfs", Napi::Function::New(env, MountTmpfs, "mountTmpfs"));
  exports.Set("pidfdOpen", Napi::Function::New(env, PidfdOpen, "pidfdOpen"));
  exports.Set("pidfdSendSignal", Napi::Function::New(env, PidfdSendSignal, "pidfdSendSignal"));
  exports.Set("errnoName", Napi::Function::New(env, ErrnoNameOf, "errnoName"));
}

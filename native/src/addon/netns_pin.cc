// A network namespace pinned on a file (what `ip netns add` makes and a CNI plugin opens), and
// its removal. The namespace is made by a thread of its own: unshare(CLONE_NEWNET) changes only
// the calling thread's namespace (allowed in a multi-threaded process, unlike CLONE_NEWUSER), so
// Node's threads keep theirs, no fork of a large process is needed, and the thread ends right
// after the bind mount. The mount is made in the caller's mount namespace. The thread also sets
// the new namespace's loopback up (the kernel then gives it 127.0.0.1/8 and ::1), as runc does
// for a namespace it makes: what CNI's loopback plugin would do, without a process per container.
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "bindings.h"
#include "errors.h"

extern "C" {
#include "netdev.h"
}

namespace {

struct PinJob {
  const char *path;
  int err;
  const char *syscall;
};

// The pinning thread: a new namespace for this thread only, bound onto the job's path.
void *PinOnOwnThread(void *arg) {
  PinJob *job = static_cast<PinJob *>(arg);
  const netdev_step loopback = {"lo", 0, nullptr};
  tsrun_failure failure;
  if (unshare(CLONE_NEWNET) < 0) {
    *job = {job->path, errno, "unshare(CLONE_NEWNET)"};
  } else if (netdev_configure(&loopback, &failure) < 0) {
    *job = {job->path, failure.err, "RTM_NEWLINK (loopback up)"};
  } else if (mount("/proc/thread-self/ns/net", job->path, nullptr, MS_BIND, nullptr) < 0) {
    *job = {job->path, errno, "mount"};
  }
  return nullptr;
}

// netnsPin(path): creates `path` (an empty file; EEXIST when there is one) and bind-mounts a new
// network namespace on it. On failure nothing is left: the file is removed again.
Napi::Value NetnsPin(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string path;
  if (!ExpectArgs(info, 1) || !ArgString(info, 0, &path)) return env.Undefined();
  int fd = open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0444);
  if (fd < 0) {
    ErrnoError(env, errno, "open", path).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  close(fd);
  PinJob job = {path.c_str(), 0, ""};
  pthread_t pinner;
  int rc = pthread_create(&pinner, nullptr, PinOnOwnThread, &job);
  if (rc != 0) job = {job.path, rc, "pthread_create"};
  else pthread_join(pinner, nullptr);
  if (job.err != 0) {
    unlink(path.c_str());
    ErrnoError(env, job.err, job.syscall, path).ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

// netnsUnpin(path): detaches the mount on `path` (if any; the namespace ends with its last user)
// and removes the file. A path that is not there is not an error.
Napi::Value NetnsUnpin(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string path;
  if (!ExpectArgs(info, 1) || !ArgString(info, 0, &path)) return env.Undefined();
  // EINVAL: not a mount point (a pin left half-made, or unmounted already): only the file is left.
  if (umount2(path.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) < 0 && errno != EINVAL && errno != ENOENT) {
    ErrnoError(env, errno, "umount2", path).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (unlink(path.c_str()) < 0 && errno != ENOENT) ErrnoError(env, errno, "unlink", path).ThrowAsJavaScriptException();
  return env.Undefined();
}

}  // namespace

void RegisterNetnsPin(Napi::Env env, Napi::Object exports) {
  exports.Set("netnsPin", Napi::Function::New(env, NetnsPin, "netnsPin"));
  exports.Set("netnsUnpin", Napi::Function::New(env, NetnsUnpin, "netnsUnpin"));
}

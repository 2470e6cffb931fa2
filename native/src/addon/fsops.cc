// File system calls Node lacks, for applying image layers (supervisor/snapshots/apply.ts):
// device nodes and fifos with exact modes, extended attributes of the entry itself (never of
// what a symlink points to), and the top-directory hint for where layers are unpacked.
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <vector>

#include "bindings.h"
#include "errors.h"

namespace {

// mknod(path, mode, major, minor): mode holds the file type (S_IFCHR, S_IFBLK, S_IFIFO) and the
// permission bits, which are then set exactly (fchmodat: the umask does not apply).
Napi::Value Mknod(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string path;
  int64_t mode, major, minor;
  if (!ExpectArgs(info, 4) || !ArgString(info, 0, &path) || !ArgInt(info, 1, 0, 0177777, &mode) ||
      !ArgInt(info, 2, 0, 0xfffff, &major) || !ArgInt(info, 3, 0, 0xfffff, &minor)) {
    return env.Undefined();
  }
  if (mknod(path.c_str(), static_cast<mode_t>(mode), makedev(major, minor)) < 0) {
    ErrnoError(env, errno, "mknod", path).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (fchmodat(AT_FDCWD, path.c_str(), static_cast<mode_t>(mode) & 07777, 0) < 0) {
    ErrnoError(env, errno, "chmod", path).ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

// lsetxattr(path, name, value: Buffer): create or replace.
Napi::Value Lsetxattr(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string path, name;
  if (!ExpectArgs(info, 3) || !ArgString(info, 0, &path) || !ArgString(info, 1, &name)) return env.Undefined();
  if (!info[2].IsBuffer()) {
    Napi::TypeError::New(env, "argument 3 must be a Buffer").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Buffer<char> value = info[2].As<Napi::Buffer<char>>();
  if (lsetxattr(path.c_str(), name.c_str(), value.Data(), value.Length(), 0) < 0) {
    ErrnoError(env, errno, "lsetxattr", path).ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

// llistxattr(path): string[] — the names of the entry's extended attributes.
Napi::Value Llistxattr(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string path;
  if (!ExpectArgs(info, 1) || !ArgString(info, 0, &path)) return env.Undefined();
  ssize_t n;
  std::vector<char> buf;
  // The list may grow between the size query and the read: retry on ERANGE.
  do {
    n = llistxattr(path.c_str(), nullptr, 0);
    if (n < 0) break;
    buf.resize(static_cast<size_t>(n) + 1);
    n = llistxattr(path.c_str(), buf.data(), buf.size());
  } while (n < 0 && errno == ERANGE);
  if (n < 0) {
    ErrnoError(env, errno, "llistxattr", path).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Array names = Napi::Array::New(env);
  uint32_t count = 0;
  for (ssize_t at = 0; at < n;) {
    std::string name(buf.data() + at);
    at += static_cast<ssize_t>(name.size()) + 1;
    names.Set(count++, Napi::String::New(env, name));
  }
  return names;
}

// lgetxattr(path, name): Buffer.
Napi::Value Lgetxattr(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string path, name;
  if (!ExpectArgs(info, 2) || !ArgString(info, 0, &path) || !ArgString(info, 1, &name)) return env.Undefined();
  ssize_t n;
  std::vector<char> buf;
  do {
    n = lgetxattr(path.c_str(), name.c_str(), nullptr, 0);
    if (n < 0) break;
    buf.resize(static_cast<size_t>(n) + 1);
    n = lgetxattr(path.c_str(), name.c_str(), buf.data(), buf.size());
  } while (n < 0 && errno == ERANGE);
  if (n < 0) {
    ErrnoError(env, errno, "lgetxattr", path).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Buffer<char>::Copy(env, buf.data(), static_cast<size_t>(n));
}

// markTopDirectory(path): boolean — sets FS_TOPDIR_FL (chattr +T) on a directory: ext4 then
// spreads the directories made in it over the block groups as it does those of its root, instead
// of beside it. False when the file system has no such flag (ENOTTY, EOPNOTSUPP, EINVAL).
Napi::Value MarkTopDirectory(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string path;
  if (!ExpectArgs(info, 1) || !ArgString(info, 0, &path)) return env.Undefined();
  int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    ErrnoError(env, errno, "open", path).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int flags = 0;
  const char *call = "ioctl(FS_IOC_GETFLAGS)";
  int rc = ioctl(fd, FS_IOC_GETFLAGS, &flags);
  if (rc == 0 && !(flags & FS_TOPDIR_FL)) {
    flags |= FS_TOPDIR_FL;
    call = "ioctl(FS_IOC_SETFLAGS)";
    rc = ioctl(fd, FS_IOC_SETFLAGS, &flags);
  }
  int err = errno;
  close(fd);
  if (rc == 0) return Napi::Boolean::New(env, true);
  if (err == ENOTTY || err == EOPNOTSUPP || err == EINVAL) return Napi::Boolean::New(env, false);
  ErrnoError(env, err, call, path).ThrowAsJavaScriptException();
  return env.Undefined();
}

}  // namespace

void RegisterFsOps(Napi::Env env, Napi::Object exports) {
  exports.Set("mknod", Napi::Function::New(env, Mknod, "mknod"));
  exports.Set("lsetxattr", Napi::Function::New(env, Lsetxattr, "lsetxattr"));
  exports.Set("llistxattr", Napi::Function::New(env, Llistxattr, "llistxattr"));
  exports.Set("lgetxattr", Napi::Function::New(env, Lgetxattr, "lgetxattr"));
  exports.Set("markTopDirectory", Napi::Function::New(env, MarkTopDirectory, "markTopDirectory"));
}

// The cgroup v2 device filter: load a BPF_PROG_TYPE_CGROUP_DEVICE program (built in TypeScript,
// runtime/cgroups/device-filter.ts) and attach it to a cgroup with BPF_F_ALLOW_MULTI, as runc
// does; programs attached before (an older filter of the same container) are detached after the
// new one is in place, so the cgroup is never without one.
#include <fcntl.h>
#include <linux/bpf.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "bindings.h"
#include "errors.h"

namespace {

long Bpf(int cmd, union bpf_attr *attr) { return syscall(SYS_bpf, cmd, attr, sizeof(*attr)); }

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

int LoadProgram(const uint8_t *insns, size_t len, const std::string &license, std::string *log) {
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = reinterpret_cast<uint64_t>(insns);
  attr.insn_cnt = static_cast<uint32_t>(len / sizeof(struct bpf_insn));
  attr.license = reinterpret_cast<uint64_t>(license.c_str());
  int fd = static_cast<int>(Bpf(BPF_PROG_LOAD, &attr));
  if (fd >= 0 || (errno != EACCES && errno != EINVAL)) return fd;
  // The verifier refused it: load again with its log, for the message.
  int err = errno;
  std::vector<char> buf(65536);
  attr.log_level = 1;
  attr.log_buf = reinterpret_cast<uint64_t>(buf.data());
  attr.log_size = static_cast<uint32_t>(buf.size());
  int again = static_cast<int>(Bpf(BPF_PROG_LOAD, &attr));
  if (again >= 0) return again;
  *log = std::string(buf.data(), strnlen(buf.data(), buf.size()));
  errno = err;
  return -1;
}

// The ids of the device programs attached to the cgroup now.
bool QueryAttached(int cgroupFd, std::vector<uint32_t> *ids) {
  for (uint32_t cap = 16;; cap *= 2) {
    ids->assign(cap, 0);
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.query.target_fd = cgroupFd;
    attr.query.attach_type = BPF_CGROUP_DEVICE;
    attr.query.prog_ids = reinterpret_cast<uint64_t>(ids->data());
    attr.query.prog_cnt = cap;
    if (Bpf(BPF_PROG_QUERY, &attr) == 0) {
      ids->resize(attr.query.prog_cnt);
      return true;
    }
    if (errno != ENOSPC) return false;
  }
}

// attachDeviceFilter(cgroupDir: string, insns: Buffer, license: string): void
Napi::Value AttachDeviceFilter(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string dir, license;
  if (!ExpectArgs(info, 3) || !ArgString(info, 0, &dir)) return env.Undefined();
  if (!info[1].IsBuffer() || info[1].As<Napi::Buffer<uint8_t>>().Length() % sizeof(struct bpf_insn) != 0) {
    Napi::TypeError::New(env, "attachDeviceFilter: insns must be a Buffer of struct bpf_insn").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (!ArgString(info, 2, &license)) return env.Undefined();
  auto insns = info[1].As<Napi::Buffer<uint8_t>>();

  Fd cgroup(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (cgroup.get() < 0) {
    ErrnoError(env, errno, "open", dir).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::vector<uint32_t> before;
  if (!QueryAttached(cgroup.get(), &before)) {
    ErrnoError(env, errno, "bpf(BPF_PROG_QUERY)", dir).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string log;
  Fd prog(LoadProgram(insns.Data(), insns.Length(), license, &log));
  if (prog.get() < 0) {
    std::string message = std::string("bpf(BPF_PROG_LOAD) of the device filter: ") + ErrnoName(errno) + (log.empty() ? "" : ": " + log);
    ErrnoErrorWithMessage(env, errno, message).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.target_fd = static_cast<uint32_t>(cgroup.get());
  attr.attach_bpf_fd = static_cast<uint32_t>(prog.get());
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  if (Bpf(BPF_PROG_ATTACH, &attr) < 0) {
    ErrnoError(env, errno, "bpf(BPF_PROG_ATTACH)", dir).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  for (uint32_t id : before) {
    memset(&attr, 0, sizeof(attr));
    attr.prog_id = id;
    Fd old(static_cast<int>(Bpf(BPF_PROG_GET_FD_BY_ID, &attr)));
    if (old.get() < 0) continue;  // gone meanwhile
    memset(&attr, 0, sizeof(attr));
    attr.target_fd = static_cast<uint32_t>(cgroup.get());
    attr.attach_bpf_fd = static_cast<uint32_t>(old.get());
    attr.attach_type = BPF_CGROUP_DEVICE;
    if (Bpf(BPF_PROG_DETACH, &attr) < 0 && errno != ENOENT) {
      ErrnoError(env, errno, "bpf(BPF_PROG_DETACH)", dir).ThrowAsJavaScriptException();
      return env.Undefined();
    }
  }
  return env.Undefined();
}

// deviceFilterCount(cgroupDir: string): number — how many device programs the cgroup has.
Napi::Value DeviceFilterCount(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string dir;
  if (!ExpectArgs(info, 1) || !ArgString(info, 0, &dir)) return env.Undefined();
  Fd cgroup(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  std::vector<uint32_t> ids;
  if (cgroup.get() < 0 || !QueryAttached(cgroup.get(), &ids)) {
    ErrnoError(env, errno, cgroup.get() < 0 ? "open" : "bpf(BPF_PROG_QUERY)", dir).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Number::New(env, static_cast<double>(ids.size()));
}

}  // namespace

void RegisterBpfDevices(Napi::Env env, Napi::Object exports) {
  exports.Set("attachDeviceFilter", Napi::Function::New(env, AttachDeviceFilter, "attachDeviceFilter"));
}

void RegisterBpfDevicesTestBindings(Napi::Env env, Napi::Object exports) {
  exports.Set("deviceFilterCount", Napi::Function::New(env, DeviceFilterCount, "deviceFilterCount"));
}

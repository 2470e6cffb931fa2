// writeFiles(files): create a batch of small regular files, each with its bytes, owner, mode and
// times, on a libuv worker thread (supervisor/snapshots/file-batch.ts). Unpacking a layer of many
// small files is mostly kernel time; done here it overlaps the main thread's reading of the next
// entries, and each file takes one path lookup (the fd-based calls need no other).
#include <fcntl.h>
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "bindings.h"
#include "errors.h"

namespace {

struct FileToWrite {
  std::string path;
  const char *data;
  size_t size;
  mode_t mode;
  uid_t uid;
  gid_t gid;
  struct timespec times[2];  // atime, mtime
};

// Seconds (not negative) as Node's fs.utimes takes them (libuv's conversion): to microseconds,
// truncated. Files written here and by fs get the same times.
struct timespec TimespecOf(double seconds) {
  struct timespec ts;
  ts.tv_sec = static_cast<time_t>(seconds);
  ts.tv_nsec = static_cast<long>((seconds - static_cast<double>(ts.tv_sec)) * 1e9);
  ts.tv_nsec -= ts.tv_nsec % 1000;
  return ts;
}

int WriteAll(int fd, const char *data, size_t size) {
  while (size > 0) {
    ssize_t n = write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return 0;
}

class WriteFilesWorker : public Napi::AsyncWorker {
 public:
  WriteFilesWorker(Napi::Env env, Napi::Array input, std::vector<FileToWrite> files)
      : Napi::AsyncWorker(env),
        input_(Napi::Persistent(input)),
        files_(std::move(files)),
        deferred_(Napi::Promise::Deferred::New(env)) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  // In order; a file that exists is left as it is and reported (the caller replaces it, as the
  // layer's order says); any other failure stops the batch.
  void Execute() override {
    for (size_t i = 0; i < files_.size(); i++) {
      const FileToWrite &f = files_[i];
      // Created with its permission bits (less the umask): fchown and fchmod follow only when
      // fstat shows the owner or the mode differ, saving two inode updates for most files.
      int fd = open(f.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, f.mode & 0777);
      if (fd < 0 && errno == EEXIST) {
        existing_.push_back(static_cast<uint32_t>(i));
        continue;
      }
      if (fd < 0) return Fail(i, "open");
      struct stat st;
      const char *step = WriteAll(fd, f.data, f.size) < 0 ? "write" : fstat(fd, &st) < 0 ? "fstat" : nullptr;
      bool chown_needed = step == nullptr && (st.st_uid != f.uid || st.st_gid != f.gid);
      // Setuid, setgid and sticky bits are never there yet, so such a file is always fchmod-ed:
      // after the chown, which would clear them.
      bool chmod_needed = step == nullptr && (st.st_mode & 07777) != f.mode;
      if (step == nullptr && chown_needed && fchown(fd, f.uid, f.gid) < 0) step = "fchown";
      if (step == nullptr && chmod_needed && fchmod(fd, f.mode) < 0) step = "fchmod";
      if (step == nullptr && futimens(fd, f.times) < 0) step = "futimens";
      int err = errno;
      if (close(fd) < 0 && step == nullptr) {
        step = "close";
        err = errno;
      }
      if (step) {
        errno = err;
        return Fail(i, step);
      }
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (failed_syscall_) {
      Napi::Error e = ErrnoError(env, err_, failed_syscall_, files_[failed_index_].path);
      e.Set("index", Napi::Number::New(env, static_cast<double>(failed_index_)));
      deferred_.Reject(e.Value());
      return;
    }
    Napi::Array existing = Napi::Array::New(env, existing_.size());
    for (uint32_t i = 0; i < existing_.size(); i++) existing.Set(i, Napi::Number::New(env, existing_[i]));
    deferred_.Resolve(existing);
  }

 private:
  void Fail(size_t index, const char *syscall) {
    err_ = errno;
    failed_index_ = index;
    failed_syscall_ = syscall;
  }

  // Keeps the Buffers whose bytes files_ points to alive until the batch ends.
  Napi::Reference<Napi::Array> input_;
  std::vector<FileToWrite> files_;
  std::vector<uint32_t> existing_;
  size_t failed_index_ = 0;
  const char *failed_syscall_ = nullptr;
  int err_ = 0;
  Napi::Promise::Deferred deferred_;
};

// A number field of a file in [min, max] (and whole, when `whole`); else a TypeError.
bool NumberField(Napi::Object o, const char *name, double min, double max, bool whole, double *out) {
  Napi::Value v = o.Get(name);
  double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
  if (!(d >= min && d <= max) || (whole && floor(d) != d)) {
    Napi::TypeError::New(o.Env(), std::string("writeFiles: ") + name + " must be a number from " + std::to_string(static_cast<long long>(min)) +
                                      " to " + std::to_string(static_cast<long long>(max)) + (whole ? ", whole" : ""))
        .ThrowAsJavaScriptException();
    return false;
  }
  *out = d;
  return true;
}

// writeFiles(files: {path, data: Buffer, mode, uid, gid, atime, mtime}[]): Promise<number[]>,
// the indices of the files that existed already (not written); rejects with the errno error of
// the first other failure, carrying its `index`.
Napi::Value WriteFiles(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (!ExpectArgs(info, 1)) return env.Undefined();
  if (!info[0].IsArray()) {
    Napi::TypeError::New(env, "writeFiles: argument 1 must be an array").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Array input = info[0].As<Napi::Array>();
  std::vector<FileToWrite> files(input.Length());
  for (uint32_t i = 0; i < input.Length(); i++) {
    Napi::Value item = input.Get(i);
    if (!item.IsObject()) {
      Napi::TypeError::New(env, "writeFiles: every file must be an object").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::Object o = item.As<Napi::Object>();
    Napi::Value path = o.Get("path"), data = o.Get("data");
    if (!path.IsString() || !data.IsBuffer()) {
      Napi::TypeError::New(env, "writeFiles: path must be a string and data a Buffer").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    double mode, uid, gid, atime, mtime;
    // (uid_t)-1 would mean "leave unchanged" to fchown; times before 1970 are not taken, as
    // fs.utimes does not take them either (it sets the present time instead).
    if (!NumberField(o, "mode", 0, 07777, true, &mode) || !NumberField(o, "uid", 0, UINT32_MAX - 1, true, &uid) ||
        !NumberField(o, "gid", 0, UINT32_MAX - 1, true, &gid) || !NumberField(o, "atime", 0, 1e15, false, &atime) ||
        !NumberField(o, "mtime", 0, 1e15, false, &mtime)) {
      return env.Undefined();
    }
    FileToWrite &f = files[i];
    f.path = path.As<Napi::String>().Utf8Value();
    f.data = data.As<Napi::Buffer<char>>().Data();
    f.size = data.As<Napi::Buffer<char>>().Length();
    f.mode = static_cast<mode_t>(mode);
    f.uid = static_cast<uid_t>(uid);
    f.gid = static_cast<gid_t>(gid);
    f.times[0] = TimespecOf(atime);
    f.times[1] = TimespecOf(mtime);
  }
  auto *worker = new WriteFilesWorker(env, input, std::move(files));
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace

void RegisterWriteFiles(Napi::Env env, Napi::Object exports) {
  exports.Set("writeFiles", Napi::Function::New(env, WriteFiles, "writeFiles"));
}

// Child processes on libuv worker threads, so that Node's main thread keeps running:
//   waitExit(pid): waitpid() while a foreground container (`tsrun run`) lives; init is the
//     caller's child (CLONE_PARENT).
//   runProgram(file, args, env, stdio): start a program with posix_spawn and wait for its exit.
//     posix_spawn is a vfork: nothing of the caller is copied. child_process.spawn forks the
//     whole Node process instead: tsrund's page tables copied on the main thread (1-3 ms per
//     monitor), and each page it writes afterwards faulting once more.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vector>

#include "bindings.h"
#include "errors.h"

namespace {

// { code, signal } of a waitpid() status: ExitStatus in runtime/native/binding.ts.
Napi::Object ExitStatusObject(Napi::Env env, int status) {
  Napi::Object result = Napi::Object::New(env);
  result.Set("code", WIFEXITED(status) ? Napi::Value(Napi::Number::New(env, WEXITSTATUS(status))) : env.Null());
  result.Set("signal", WIFSIGNALED(status) ? Napi::Value(Napi::Number::New(env, WTERMSIG(status))) : env.Null());
  return result;
}

// errno of a failed waitpid(pid) (0 once it is reaped; `status` then says how it ended).
int Reap(pid_t pid, int *status) {
  int rc;
  do rc = waitpid(pid, status, 0);
  while (rc < 0 && errno == EINTR);
  return rc < 0 ? errno : 0;
}

class WaitExitWorker : public Napi::AsyncWorker {
 public:
  WaitExitWorker(Napi::Env env, pid_t pid) : Napi::AsyncWorker(env), pid_(pid), deferred_(Napi::Promise::Deferred::New(env)) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override { err_ = Reap(pid_, &status_); }

  void OnOK() override {
    Napi::Env env = Env();
    if (err_) deferred_.Reject(ErrnoError(env, err_, "waitpid", std::to_string(pid_)).Value());
    else deferred_.Resolve(ExitStatusObject(env, status_));
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

// Pointers to the strings' bytes, NULL-terminated, for argv and envp.
std::vector<char *> CStrings(std::vector<std::string> &strings) {
  std::vector<char *> out;
  for (auto &s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

class RunProgramWorker : public Napi::AsyncWorker {
 public:
  RunProgramWorker(Napi::Env env, std::string file, std::vector<std::string> args, std::vector<std::string> envs, std::vector<int> stdio)
      : Napi::AsyncWorker(env),
        file_(std::move(file)),
        args_(std::move(args)),
        envs_(std::move(envs)),
        stdio_(std::move(stdio)),
        deferred_(Napi::Promise::Deferred::New(env)) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    std::vector<int> sources;
    if (OpenSources(&sources)) Spawn(sources);
    for (int fd : sources) close(fd);
    for (int fd : stdio_)
      if (fd >= 0) close(fd);
    if (!err_) {
      err_ = Reap(pid_, &status_);
      if (err_) syscall_ = "waitpid";
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (err_) deferred_.Reject(ErrnoError(env, err_, syscall_, file_).Value());
    else deferred_.Resolve(ExitStatusObject(env, status_));
  }

 private:
  // Each stdio fd copied above the highest target (null ones opened on /dev/null), close-on-exec:
  // no dup2 onto a target can then overwrite a source a later one needs.
  bool OpenSources(std::vector<int> *sources) {
    const int above = static_cast<int>(stdio_.size());
    for (int fd : stdio_) {
      int source = fd >= 0 ? fd : open("/dev/null", O_RDWR | O_CLOEXEC);
      if (source < 0) return Failed(errno, "open");
      int copy = fcntl(source, F_DUPFD_CLOEXEC, above);
      int err = errno;
      if (fd < 0) close(source);
      if (copy < 0) return Failed(err, "fcntl");
      sources->push_back(copy);
    }
    return true;
  }

  bool Failed(int err, const char *syscall) {
    err_ = err;
    syscall_ = syscall;
    return false;
  }

  // The program with sources[i] as fd i, every signal at its default and none blocked (Node
  // ignores SIGPIPE; an ignored signal would stay ignored through execve).
  void Spawn(const std::vector<int> &sources) {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
    for (size_t i = 0; i < sources.size(); i++) posix_spawn_file_actions_adddup2(&actions, sources[i], static_cast<int>(i));
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    std::vector<char *> argv = CStrings(args_);
    std::vector<char *> envp = CStrings(envs_);
    int rc = posix_spawn(&pid_, file_.c_str(), &actions, &attr, argv.data(), envp.data());
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) Failed(rc, "posix_spawn");
  }

  std::string file_;
  std::vector<std::string> args_;
  std::vector<std::string> envs_;
  std::vector<int> stdio_;
  pid_t pid_ = -1;
  int status_ = 0;
  int err_ = 0;
  const char *syscall_ = "";
  Napi::Promise::Deferred deferred_;
};

// An array argument, each item converted by `item` (false: not one of `what`), into `out`.
template <typename T, typename Item>
bool ArgArray(const Napi::CallbackInfo &info, size_t i, const char *what, Item item, std::vector<T> *out) {
  bool ok = info[i].IsArray();
  Napi::Array array = ok ? info[i].As<Napi::Array>() : Napi::Array::New(info.Env());
  for (uint32_t k = 0; ok && k < array.Length(); k++) {
    T value;
    ok = item(array.Get(k), &value);
    out->push_back(value);
  }
  if (!ok) Napi::TypeError::New(info.Env(), "argument " + std::to_string(i) + " must be an array of " + what).ThrowAsJavaScriptException();
  return ok;
}

bool StringItem(Napi::Value v, std::string *out) {
  if (!v.IsString()) return false;
  *out = v.As<Napi::String>().Utf8Value();
  return out->find('\0') == std::string::npos;
}

// An fd, or null for /dev/null (-1).
bool FdItem(Napi::Value v, int *out) {
  *out = -1;
  if (v.IsNull()) return true;
  if (!v.IsNumber()) return false;
  int64_t n = v.As<Napi::Number>().Int64Value();
  *out = static_cast<int>(n);
  return n >= 0 && n <= INT32_MAX && static_cast<double>(n) == v.As<Napi::Number>().DoubleValue();
}

// runProgram(file: string, args: string[], env: string[], stdio: (number | null)[]):
//   Promise<{ code: number | null; signal: number | null }>
// args[0] is the program's argv[0]; stdio[i] becomes its fd i (null: /dev/null), and the call
// owns those fds: they are closed once the program started or failed to.
Napi::Value RunProgram(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string file;
  std::vector<std::string> args, envs;
  std::vector<int> stdio;
  if (!ExpectArgs(info, 4) || !ArgString(info, 0, &file) || !ArgArray(info, 1, "strings without NUL bytes", StringItem, &args) ||
      !ArgArray(info, 2, "strings without NUL bytes", StringItem, &envs) || !ArgArray(info, 3, "fds or nulls", FdItem, &stdio))
    return env.Undefined();
  auto *worker = new RunProgramWorker(env, std::move(file), std::move(args), std::move(envs), std::move(stdio));
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace

void RegisterChildProcesses(Napi::Env env, Napi::Object exports) {
  exports.Set("waitExit", Napi::Function::New(env, WaitExit, "waitExit"));
  exports.Set("runProgram", Napi::Function::New(env, RunProgram, "runProgram"));
}

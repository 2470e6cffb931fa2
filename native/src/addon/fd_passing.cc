// Unix sockets and fd passing Node lacks: the console socket of `--console-socket` (connect),
// the pair a foreground `run`/`exec` receives its terminal on, and SCM_RIGHTS receipt of the
// terminal's master (what runc's recvtty, conmon and containerd's shim do on their side); and
// the size of a received terminal, which Node can only read.
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "bindings.h"
#include "errors.h"

namespace {

// A sockaddr_un for `path`; false (with a thrown error) when the path does not fit.
bool UnixAddress(Napi::Env env, const std::string &path, sockaddr_un *addr) {
  std::memset(addr, 0, sizeof *addr);
  addr->sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr->sun_path || path.find('\0') != std::string::npos) {
    ErrnoErrorWithMessage(env, ENAMETOOLONG, "console socket path \"" + path + "\" is empty or longer than 107 bytes")
        .ThrowAsJavaScriptException();
    return false;
  }
  std::memcpy(addr->sun_path, path.data(), path.size());
  return true;
}

// A close-on-exec AF_UNIX SOCK_STREAM fd on the path in info[0], once `attach` (connect, or bind
// and listen) has succeeded on it; undefined with a thrown error naming `what` and the path.
Napi::Value UnixSocketAt(const Napi::CallbackInfo &info, const char *what, bool (*attach)(int fd, const sockaddr_un &addr)) {
  Napi::Env env = info.Env();
  std::string path;
  sockaddr_un addr;
  if (!ExpectArgs(info, 1) || !ArgString(info, 0, &path) || !UnixAddress(env, path, &addr)) return env.Undefined();
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    ErrnoError(env, errno, "socket").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (!attach(fd, addr)) {
    int err = errno;
    close(fd);
    ErrnoError(env, err, what, path).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Number::New(env, fd);
}

// connectUnix(path: string): number — a close-on-exec SOCK_STREAM fd connected to `path`.
Napi::Value ConnectUnix(const Napi::CallbackInfo &info) {
  return UnixSocketAt(info, "connect", [](int fd, const sockaddr_un &addr) {
    int rc;
    do rc = connect(fd, reinterpret_cast<const sockaddr *>(&addr), sizeof addr);
    while (rc < 0 && errno == EINTR);
    return rc == 0;
  });
}

// listenUnix(path: string): number — a close-on-exec listening SOCK_STREAM fd bound to `path`.
Napi::Value ListenUnix(const Napi::CallbackInfo &info) {
  return UnixSocketAt(info, "bind/listen", [](int fd, const sockaddr_un &addr) {
    return bind(fd, reinterpret_cast<const sockaddr *>(&addr), sizeof addr) == 0 && listen(fd, 16) == 0;
  });
}

// acceptUnix(fd: number): number — the next connection (blocking), close-on-exec.
Napi::Value AcceptUnix(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int64_t fd;
  if (!ExpectArgs(info, 1) || !ArgInt(info, 0, 0, INT32_MAX, &fd)) return env.Undefined();
  int conn;
  do conn = accept4(static_cast<int>(fd), nullptr, nullptr, SOCK_CLOEXEC);
  while (conn < 0 && errno == EINTR);
  if (conn < 0) {
    ErrnoError(env, errno, "accept4").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Number::New(env, conn);
}

// socketPair(): [number, number] — a close-on-exec AF_UNIX SOCK_STREAM pair.
Napi::Value SocketPair(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (!ExpectArgs(info, 0)) return env.Undefined();
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0) {
    ErrnoError(env, errno, "socketpair").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Array pair = Napi::Array::New(env, 2);
  pair.Set(0u, fds[0]);
  pair.Set(1u, fds[1]);
  return pair;
}

// recvFd(fd: number): { fd: number, name: string } — one message carrying one fd (SCM_RIGHTS),
// blocking; the received fd is close-on-exec. EOF before a message: ECONNRESET.
Napi::Value RecvFd(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int64_t sock;
  if (!ExpectArgs(info, 1) || !ArgInt(info, 0, 0, INT32_MAX, &sock)) return env.Undefined();
  char name[4096];
  iovec iov = {name, sizeof name};
  union {
    cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int))];
  } ctl;
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = ctl.buf;
  msg.msg_controllen = sizeof ctl.buf;
  ssize_t n;
  do n = recvmsg(static_cast<int>(sock), &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    ErrnoError(env, errno, "recvmsg").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int fd = -1;
  for (cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int)))
      std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
  if (fd < 0) {
    int err = n == 0 ? ECONNRESET : EBADMSG;
    ErrnoErrorWithMessage(env, err, n == 0 ? "the console socket closed before a terminal was sent"
                                           : "a message without a file descriptor on the console socket")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("fd", fd);
  result.Set("name", Napi::String::New(env, name, static_cast<size_t>(n)));
  return result;
}

// resizeTerminal(fd: number, width: number, height: number): void — TIOCSWINSZ.
Napi::Value ResizeTerminal(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int64_t fd, width, height;
  if (!ExpectArgs(info, 3) || !ArgInt(info, 0, 0, INT32_MAX, &fd) || !ArgInt(info, 1, 0, UINT16_MAX, &width) ||
      !ArgInt(info, 2, 0, UINT16_MAX, &height))
    return env.Undefined();
  winsize ws{};
  ws.ws_col = static_cast<unsigned short>(width);
  ws.ws_row = static_cast<unsigned short>(height);
  if (ioctl(static_cast<int>(fd), TIOCSWINSZ, &ws) < 0) ErrnoError(env, errno, "ioctl(TIOCSWINSZ)").ThrowAsJavaScriptException();
  return env.Undefined();
}

}  // namespace

void RegisterFdPassing(Napi::Env env, Napi::Object exports) {
  exports.Set("connectUnix", Napi::Function::New(env, ConnectUnix, "connectUnix"));
  exports.Set("socketPair", Napi::Function::New(env, SocketPair, "socketPair"));
  exports.Set("recvFd", Napi::Function::New(env, RecvFd, "recvFd"));
  exports.Set("resizeTerminal", Napi::Function::New(env, ResizeTerminal, "resizeTerminal"));
}

// The listening side of a console socket, which tests play.
void RegisterFdPassingTestBindings(Napi::Env env, Napi::Object exports) {
  exports.Set("listenUnix", Napi::Function::New(env, ListenUnix, "listenUnix"));
  exports.Set("acceptUnix", Napi::Function::New(env, AcceptUnix, "acceptUnix"));
}

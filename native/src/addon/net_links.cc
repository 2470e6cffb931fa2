// The network interfaces of the caller's network namespace as rtnetlink dumps them (RTM_GETLINK,
// RTM_GETADDR): each link and each address with the attributes the kernel gave, uninterpreted.
// runtime/net/host-interfaces.ts decides what they mean (which address is local, which moves).
#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "bindings.h"
#include "errors.h"

namespace {

// The text of an IPv4 or IPv6 address attribute; null for another family's or a short one.
Napi::Value AddressText(Napi::Env env, int family, const rtattr *a) {
  size_t want = family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
  if (!a || want == 0 || RTA_PAYLOAD(a) < want) return env.Null();
  char text[INET6_ADDRSTRLEN];
  if (!inet_ntop(family, RTA_DATA(a), text, sizeof text)) return env.Null();
  return Napi::String::New(env, text);
}

Napi::Value StringAttr(Napi::Env env, const rtattr *a) {
  if (!a) return env.Null();
  return Napi::String::New(env, static_cast<const char *>(RTA_DATA(a)), strnlen(static_cast<const char *>(RTA_DATA(a)), RTA_PAYLOAD(a)));
}

// The attributes after a message's fixed part, indexed by type (absent: nullptr).
std::vector<const rtattr *> Attributes(const nlmsghdr *h, size_t fixed, size_t max_type) {
  std::vector<const rtattr *> out(max_type + 1, nullptr);
  int left = static_cast<int>(h->nlmsg_len) - static_cast<int>(NLMSG_LENGTH(fixed));
  for (const rtattr *a = reinterpret_cast<const rtattr *>(static_cast<const char *>(NLMSG_DATA(h)) + NLMSG_ALIGN(fixed)); RTA_OK(a, left);
       a = RTA_NEXT(a, left)) {
    if (a->rta_type <= max_type) out[a->rta_type] = a;
  }
  return out;
}

Napi::Object LinkObject(Napi::Env env, const nlmsghdr *h) {
  const ifinfomsg *ifi = static_cast<const ifinfomsg *>(NLMSG_DATA(h));
  std::vector<const rtattr *> at = Attributes(h, sizeof *ifi, IFLA_MTU);
  Napi::Object o = Napi::Object::New(env);
  o.Set("index", ifi->ifi_index);
  o.Set("name", StringAttr(env, at[IFLA_IFNAME]));
  o.Set("mtu", at[IFLA_MTU] && RTA_PAYLOAD(at[IFLA_MTU]) >= 4 ? Napi::Value(Napi::Number::New(env, *static_cast<const uint32_t *>(RTA_DATA(at[IFLA_MTU])))) : env.Null());
  o.Set("flags", ifi->ifi_flags);
  return o;
}

Napi::Object AddressObject(Napi::Env env, const nlmsghdr *h) {
  const ifaddrmsg *ifa = static_cast<const ifaddrmsg *>(NLMSG_DATA(h));
  std::vector<const rtattr *> at = Attributes(h, sizeof *ifa, IFA_FLAGS);
  Napi::Object o = Napi::Object::New(env);
  o.Set("index", ifa->ifa_index);
  o.Set("family", ifa->ifa_family);
  o.Set("prefixLength", ifa->ifa_prefixlen);
  o.Set("scope", ifa->ifa_scope);
  // IFA_FLAGS holds all 32 bits; ifa_flags only the low 8, for kernels that send no IFA_FLAGS.
  const rtattr *flags = at[IFA_FLAGS];
  o.Set("flags", flags && RTA_PAYLOAD(flags) >= 4 ? *static_cast<const uint32_t *>(RTA_DATA(flags)) : ifa->ifa_flags);
  o.Set("local", AddressText(env, ifa->ifa_family, at[IFA_LOCAL]));
  o.Set("address", AddressText(env, ifa->ifa_family, at[IFA_ADDRESS]));
  o.Set("broadcast", AddressText(env, ifa->ifa_family, at[IFA_BROADCAST]));
  o.Set("label", StringAttr(env, at[IFA_LABEL]));
  return o;
}

// Ask for the dump of `type` (RTM_GETLINK, RTM_GETADDR: `name`) of every family and put each
// answer message through `each`: 0, or an errno (EAGAIN: a change interrupted the dump), with
// `*failed` naming the call that failed.
template <typename Each>
int Dump(int fd, uint16_t type, const char *name, uint32_t seq, const char **failed, Each each) {
  struct {
    nlmsghdr h;
    ifaddrmsg body;  // the family (AF_UNSPEC) is where ifinfomsg has it too
  } req;
  memset(&req, 0, sizeof req);
  req.h.nlmsg_len = NLMSG_LENGTH(sizeof req.body);
  req.h.nlmsg_type = type;
  req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  req.h.nlmsg_seq = seq;
  sockaddr_nl kernel;
  memset(&kernel, 0, sizeof kernel);
  kernel.nl_family = AF_NETLINK;
  *failed = "sendto";
  ssize_t n;
  do n = sendto(fd, &req, req.h.nlmsg_len, 0, reinterpret_cast<sockaddr *>(&kernel), sizeof kernel);
  while (n < 0 && errno == EINTR);
  if (n < 0) return errno;
  std::vector<char> buf;
  *failed = "recv";
  for (;;) {
    // The size of the next datagram first: a link with many attributes may outgrow any guess.
    do n = recv(fd, nullptr, 0, MSG_PEEK | MSG_TRUNC);
    while (n < 0 && errno == EINTR);
    if (n < 0) return errno;
    buf.resize(static_cast<size_t>(n));
    do n = recv(fd, buf.data(), buf.size(), 0);
    while (n < 0 && errno == EINTR);
    if (n < 0) return errno;
    int left = static_cast<int>(n);
    for (const nlmsghdr *h = reinterpret_cast<const nlmsghdr *>(buf.data()); NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
      if (h->nlmsg_seq != seq) continue;
      *failed = name;
      if (h->nlmsg_flags & NLM_F_DUMP_INTR) return EAGAIN;
      if (h->nlmsg_type == NLMSG_DONE) return 0;
      if (h->nlmsg_type == NLMSG_ERROR) return -static_cast<const nlmsgerr *>(NLMSG_DATA(h))->error;
      each(h);
      *failed = "recv";
    }
  }
}

// netInterfaces(): { links: NetLink[]; addresses: NetLinkAddress[] }
Napi::Value NetInterfaces(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (!ExpectArgs(info, 0)) return env.Undefined();
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) {
    ErrnoError(env, errno, "socket(AF_NETLINK)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Array links = Napi::Array::New(env);
  Napi::Array addresses = Napi::Array::New(env);
  const char *failed = "";
  int err = Dump(fd, RTM_GETLINK, "RTM_GETLINK", 1, &failed, [&](const nlmsghdr *h) {
    if (h->nlmsg_type == RTM_NEWLINK) links.Set(links.Length(), LinkObject(env, h));
  });
  if (err == 0) {
    err = Dump(fd, RTM_GETADDR, "RTM_GETADDR", 2, &failed, [&](const nlmsghdr *h) {
      if (h->nlmsg_type == RTM_NEWADDR) addresses.Set(addresses.Length(), AddressObject(env, h));
    });
  }
  close(fd);
  if (err != 0) {
    ErrnoError(env, err, failed).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Object o = Napi::Object::New(env);
  o.Set("links", links);
  o.Set("addresses", addresses);
  return o;
}

}  // namespace

void RegisterNetLinks(Napi::Env env, Napi::Object exports) {
  exports.Set("netInterfaces", Napi::Function::New(env, NetInterfaces, "netInterfaces"));
}

/*
 * rtnetlink requests built in stack buffers: RTM_NEWLINK to move and rename an interface (the
 * parent) and to set it up, RTM_NEWADDR to put its addresses back (init, which may not
 * allocate). Each request asks for an ack and waits for it, so an error is the kernel's own.
 */
#include "netdev.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "text.h"

/* Far more than one request of ours takes (a header, a struct, three 16-byte attributes). */
#define NL_REQUEST_MAX 256
/* An ack (nlmsgerr with the request echoed) or an unrelated notification fits. */
#define NL_REPLY_MAX 4096

struct nl_request {
  struct nlmsghdr h;
  char room[NL_REQUEST_MAX];
};

static void nl_start(struct nl_request *req, uint16_t type, uint16_t flags, size_t body) {
  memset(req, 0, sizeof *req);
  req->h.nlmsg_len = NLMSG_LENGTH(body);
  req->h.nlmsg_type = type;
  req->h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
  req->h.nlmsg_seq = 1;
}

static void nl_attr(struct nl_request *req, uint16_t type, const void *data, size_t len) {
  size_t at = NLMSG_ALIGN(req->h.nlmsg_len);
  /* The requests are fixed in shape, so running out of room is a bug, not an input. */
  if (at + RTA_SPACE(len) > sizeof *req) return;
  struct rtattr *rta = (struct rtattr *)((char *)&req->h + at);
  rta->rta_type = type;
  rta->rta_len = (unsigned short)RTA_LENGTH(len);
  memcpy(RTA_DATA(rta), data, len);
  req->h.nlmsg_len = (uint32_t)(at + RTA_ALIGN(rta->rta_len));
}

/* Send and wait for the kernel's answer: 0, or a negative errno. */
static int nl_talk(int fd, struct nl_request *req) {
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  ssize_t sent;
  do sent = sendto(fd, &req->h, req->h.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel);
  while (sent < 0 && errno == EINTR);
  if (sent < 0) return -errno;
  _Alignas(struct nlmsghdr) char reply[NL_REPLY_MAX];
  for (;;) {
    ssize_t n = recv(fd, reply, sizeof reply, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -errno;
    int left = (int)n;
    for (struct nlmsghdr *r = (struct nlmsghdr *)reply; NLMSG_OK(r, left); r = NLMSG_NEXT(r, left)) {
      if (r->nlmsg_seq != req->h.nlmsg_seq || r->nlmsg_type != NLMSG_ERROR) continue;
      const struct nlmsgerr *e = NLMSG_DATA(r);
      return e->error;
    }
  }
}

/* SIOCGIFINDEX of `name` in the socket's network namespace: the index, or a negative errno. */
static int ifindex_of(int fd, const char *name) {
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  size_t len = txt_len(name);
  if (len >= IFNAMSIZ) return -ENAMETOOLONG;
  memcpy(ifr.ifr_name, name, len);
  if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) return -errno;
  return ifr.ifr_ifindex;
}

static int route_socket(struct tsrun_failure *f) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return fail(f, errno, "socket", "NETLINK_ROUTE");
  return fd;
}

static int fail_closing(int fd, struct tsrun_failure *f, int err, const char *what, const char *path) {
  close(fd);
  return fail(f, err, what, path);
}

int netdev_move(const char *name, const char *new_name, pid_t pid, struct tsrun_failure *f) {
  int fd = route_socket(f);
  if (fd < 0) return -1;
  int index = ifindex_of(fd, name);
  if (index < 0) return fail_closing(fd, f, -index, "SIOCGIFINDEX", name);
  struct nl_request req;
  nl_start(&req, RTM_NEWLINK, 0, sizeof(struct ifinfomsg));
  struct ifinfomsg *ifi = NLMSG_DATA(&req.h);
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = index;
  uint32_t target = (uint32_t)pid;
  nl_attr(&req, IFLA_NET_NS_PID, &target, sizeof target);
  /* By index with a name: the kernel renames the interface as it moves it. */
  nl_attr(&req, IFLA_IFNAME, new_name, txt_len(new_name) + 1);
  int err = nl_talk(fd, &req);
  if (err < 0) return fail_closing(fd, f, -err, "RTM_NEWLINK", name);
  close(fd);
  return 0;
}

static int add_address(int fd, int index, const struct net_address *a) {
  struct nl_request req;
  nl_start(&req, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, sizeof(struct ifaddrmsg));
  struct ifaddrmsg *ifa = NLMSG_DATA(&req.h);
  ifa->ifa_family = a->family;
  ifa->ifa_prefixlen = a->prefix_len;
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  ifa->ifa_index = (uint32_t)index;
  size_t len = a->family == AF_INET6 ? 16 : 4;
  nl_attr(&req, IFA_LOCAL, a->local, len);
  nl_attr(&req, IFA_ADDRESS, a->has_peer ? a->peer : a->local, len);
  if (a->has_broadcast) nl_attr(&req, IFA_BROADCAST, a->broadcast, len);
  return nl_talk(fd, &req);
}

int netdev_configure(const struct netdev_step *d, struct tsrun_failure *f) {
  int fd = route_socket(f);
  if (fd < 0) return -1;
  int index = ifindex_of(fd, d->name);
  if (index < 0) return fail_closing(fd, f, -index, "SIOCGIFINDEX", d->name);
  for (uint32_t i = 0; i < d->n_addresses; i++) {
    int err = add_address(fd, index, &d->addresses[i]);
    if (err < 0) return fail_closing(fd, f, -err, "RTM_NEWADDR", d->addresses[i].local_text);
  }
  struct nl_request req;
  nl_start(&req, RTM_NEWLINK, 0, sizeof(struct ifinfomsg));
  struct ifinfomsg *ifi = NLMSG_DATA(&req.h);
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = index;
  ifi->ifi_flags = IFF_UP;
  ifi->ifi_change = IFF_UP;
  int err = nl_talk(fd, &req);
  if (err < 0) return fail_closing(fd, f, -err, "RTM_NEWLINK up", d->name);
  close(fd);
  return 0;
}

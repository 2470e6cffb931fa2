/* Network interfaces of linux.netDevices over rtnetlink (runtime/plan/netdevices.ts). */
#ifndef TSRUN_NETDEV_H
#define TSRUN_NETDEV_H

#include <sys/types.h>

#include "failure.h"
#include "plan.h"

/* Parent: move the host interface `name` into the network namespace of `pid`, renamed to
 * `new_name`, in one request. */
int netdev_move(const char *name, const char *new_name, pid_t pid, struct tsrun_failure *f);

/* Init, in the container's network namespace: add the step's addresses to its interface, then
 * set the interface up. Stack memory only. */
int netdev_configure(const struct netdev_step *d, struct tsrun_failure *f);

#endif

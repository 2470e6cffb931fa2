/* The process's terminal (a console step): a pty made inside the container, its master sent to
 * the console socket, its slave the process's stdio and controlling terminal, as runc does. */
#ifndef TSRUN_CONSOLE_H
#define TSRUN_CONSOLE_H

#include "failure.h"
#include "plan.h"

/* setsid; open /dev/ptmx (the container's, after the root change or the mount namespace join);
 * size and own the slave; bind it onto /dev/console when asked; send the master over the
 * console socket (payload "/dev/ptmx", as runc); close the master and the socket; the slave
 * becomes fds 0-2 and the controlling terminal. Async-signal-safe. */
int console_setup(const struct console_step *c, struct tsrun_failure *f);

/* The console socket fd the plan's console step names, or -1: stage1 must keep it open. */
int console_socket_fd(const struct tsrun_plan *plan);

#endif

/* stop: the ways the group ends its children.  Asking one to stop (its
 * stop signal, SIGCONT first), retiring one (asked, SIGKILL at the kill
 * timeout, its end no failure), asking or killing them all, and closing
 * the door of the listening sockets before any worker is asked. */
#ifndef STOP_H
#define STOP_H

#include <stddef.h>

#include "kids.h"

/* sig to k, SIGCONT first. */
void stop_ask(struct kid *k, int sig);
/* k asked to stop for good (sig): its end is no failure, and the loop
 * SIGKILLs it at its deadline, kill_ms from now. */
void stop_retire(struct kid *k, int sig, long kill_ms);
/* Every live child: sig, the failing child SIGTERM. */
void stop_all(struct kids *t, int sig);
/* SIGTERM to every live worker, new ones too: a built-in worker given
 * --stop-delay begins its delay (the drain comes by SIGINT). */
void stop_lame(struct kids *t);
/* SIGKILL to every live child's process group. */
void stop_kill_all(struct kids *t);
/* The drop filter on each of the n listening sockets fds that is ours
 * (passed[i] is 0). */
void stop_close_doors(const int *fds, const unsigned char *passed, size_t n);

#endif

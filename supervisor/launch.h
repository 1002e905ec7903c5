/* launch: starting one child of the group: its name, the fork and exec
 * (spawn.h), its entry in the child table, and the line that says so. */
#ifndef LAUNCH_H
#define LAUNCH_H

#include <stddef.h>

#include "kids.h"
#include "spawn.h"

/* A worker on port (listening socket fd), in role: NULL (logged) when it
 * cannot start.  It may move the child table. */
struct kid *launch_worker(struct kids *t, struct spawn_plan *plan, int fd,
			  size_t port, enum kid_role role);
/* The failing child, which exits 1 after ms: NULL (logged) when it cannot
 * start. */
struct kid *launch_failer(struct kids *t, struct spawn_plan *plan, long ms);

#endif

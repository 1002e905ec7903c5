/* rollout: the roll's hands.  It gives roll.c each event with the facts
 * it decides on (each port's serving workers, from the child table) and
 * carries out what it decides: new workers started, made to serve or
 * stopped, old ones retired, the log lines, the datagrams upward. */
#ifndef ROLLOUT_H
#define ROLLOUT_H

#include <sys/types.h>

#include "config.h"
#include "kids.h"
#include "roll.h"
#include "spawn.h"

struct rollout {
	struct roll roll;
	struct kids *kids;
	const struct config *cfg;
	struct spawn_plan *plan;	/* set once the group starts */
	const int *fds;			/* the listening sockets, by port */
};

void rollout_init(struct rollout *o, struct kids *t, const struct config *c);

/* Feed an event (pid: READY's) to the roll and carry out what it decides
 * until it waits; then, with resume, let it begin what it kept (roll.h's
 * RESUME).  It may start a child and move the child table. */
void rollout_feed(struct rollout *o, enum roll_event_type type, pid_t pid,
		  int resume);
/* The new worker k ended (how: "exited with status 1"), or was not ready
 * by its deadline (how: NULL): stopped, and refused if the roll waits for
 * it.  The same as rollout_feed after. */
void rollout_lost(struct rollout *o, struct kid *k, const char *how,
		  int resume);

#endif

/* loop: the supervisor's one event loop.  One epoll set holds the
 * signalfd, one timerfd for every deadline, the notify socket the
 * children say READY=1 on, and each child's pidfd (which only wakes it:
 * waitpid tells who ended).  Each wake-up is read into events, in an
 * order that matters (signals, readiness, exits, deadlines), for the
 * errgroup (group.h) and the roll (rollout.h), which decide.  Deadlines:
 * the group's own (group.h's timer), a retiring worker's (SIGKILL to its
 * process group, here), a new worker's (the roll's LATE) and the
 * watchdog's (watch.h). */
#ifndef LOOP_H
#define LOOP_H

#include <stddef.h>

#include "config.h"
#include "group.h"
#include "kids.h"
#include "orphans.h"
#include "ready.h"
#include "rollout.h"
#include "spawn.h"
#include "watch.h"

struct loop {
	const struct config *cfg;
	struct spawn_plan *plan;
	struct group group;
	struct kids kids;
	struct orphans orphans;
	struct rollout ro;
	struct ready rx;	/* our NOTIFY_SOCKET, for the children */
	struct watch wd;	/* --watchdog, and ours upward */
	int epfd, sigfd, timerfd;
	int spawned;		/* every child of the start is forked */
	size_t unready;		/* workers of the start not ready yet */
	int childless;		/* waitpid said ECHILD */
};

/* Signals, subreaper, epoll, signalfd, timerfd and the notify socket.  Run
 * before anything is bound or forked, so that a SIGTERM during start-up is
 * kept for the loop.  Returns 0, or -1 (logged). */
int loop_init(struct loop *l, const struct config *c);

/* Fork every worker and the failing child on the listening sockets in fds
 * (one per port), which the group keeps: the supervisor owns them, closes
 * their door before a stop and closes them once no child is left.
 * Returns 0, or -1 (logged) after asking what did start to stop. */
int loop_start(struct loop *l, struct spawn_plan *plan, int *fds);

/* Runs until the group has stopped and no child is left at all (waitpid
 * says ECHILD), orphans included; returns the exit status. */
int loop_run(struct loop *l);

#endif

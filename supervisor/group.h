/* group: the errgroup.  The children run until the first of them ends or a
 * termination signal comes; then every child gets SIGTERM, and SIGKILL at
 * the kill timeout.  The first failure decides the exit status.
 *
 *   event \ state    STARTING   RUNNING   STOPPING   KILLING
 *   TERM, QUIT       STOP       STOP      ignored    ignored
 *   INT              STOP       STOP      KILL       ignored
 *   a child fails    FAIL       FAIL      NOTE       NOTE
 *   last READY=1     RUN        -         -          -
 *   timer            LATE       -         KILL       -
 *   HUP, TTIN, TTOU  ROLL       ROLL      ignored    ignored
 *   cannot start     STOP, 1    -         -          -
 *
 * "A child fails": a worker or the failing child ends unasked (the ends of
 * new and retiring workers are roll.h's, never this table's), seen only
 * once the signals pending with its exit are read, so that an asked-for
 * stop is the cause, not the exit.  FAIL: its status (1 for an exit 0: a
 * server that stops serving unasked has failed), then STOP.  NOTE: an end
 * that is not clean (exit 0, or death by SIGTERM or the stop signal) sets
 * the status if none is set yet.  RUN: -> RUNNING, READY=1 upward, and
 * the roll may begin what it kept.  LATE: the ready timeout ran out: each
 * worker not ready is named, status 1, then STOP.  ROLL: the request goes
 * to roll.h (which keeps it while STARTING).  STOP: -> STOPPING, the roll
 * ends, STOPPING=1 upward, the drop filter on every listening socket, then
 * the stop signal to every worker, SIGTERM to the failing child and every
 * adopted orphan, the kill timer armed.  KILL: -> KILLING, SIGKILL to each
 * live child's process group and to every orphan.  SIGUSR1 and SIGUSR2 are
 * logged and ignored in every state.
 *
 * STARTING: every worker has exec'd, and the group waits for each one's
 * READY=1 (with --ready exec it is ready at exec: RUNNING at once); the
 * timer is the ready timeout.  After each reap, orphans get SIGKILL while
 * KILLING and SIGTERM while STOPPING (a reaped process's children are
 * adopted).  When the last child of the group ends, the listening sockets
 * are closed, and while stopping the orphans get SIGTERM.  A retiring
 * worker still alive at its deadline gets SIGKILL with its process group;
 * a new worker not ready by its own is roll.h's LATE.  The loop ends once
 * a stopped group has no child left at all (waitpid says ECHILD), orphans
 * included. */
#ifndef GROUP_H
#define GROUP_H

#include <stddef.h>
#include <sys/types.h>

#include "config.h"
#include "kids.h"
#include "orphans.h"
#include "ready.h"
#include "rollout.h"
#include "spawn.h"

enum group_state {
	GROUP_STARTING, GROUP_RUNNING, GROUP_STOPPING, GROUP_KILLING
};

struct group {
	enum group_state state;
	const struct config *cfg;
	struct spawn_plan *plan;
	struct ready rx;	/* our NOTIFY_SOCKET, for the children */
	struct rollout ro;	/* the workers changed while it runs */
	struct kids kids;
	struct orphans orphans;
	long started_ms;	/* when the start began (monotonic) */
	long deadline_ms;	/* the ready timeout, then the kill timeout */
	int spawned;		/* every child of the start is forked */
	size_t unready;		/* workers of the start not ready yet */
	int *listen_fds;	/* ours for the group's life, one per port */
	size_t nlisten;
	int epfd, sigfd, timerfd;
	int status;		/* -1 until a failure decides it */
	int childless;		/* waitpid said ECHILD */
};

/* Signals, subreaper, epoll, signalfd, timerfd and the notify socket.  Run
 * before anything is bound or forked, so that a SIGTERM during start-up is
 * kept for the loop.  Returns 0, or -1 (logged). */
int group_init(struct group *g, const struct config *c);

/* Fork every worker and the failing child on the listening sockets in fds
 * (one per port).  The group keeps them: the supervisor owns them, closes
 * their door before a stop and closes them once no child is left.
 * Returns 0, or -1 (logged) after asking what did start to stop. */
int group_start(struct group *g, const struct config *c,
		struct spawn_plan *plan, int *fds);

/* Runs the loop until no child is left; returns the exit status. */
int group_run(struct group *g);

#endif

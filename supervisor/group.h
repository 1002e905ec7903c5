/* group: the errgroup.  The children run until the first of them ends or a
 * termination signal comes; then every child gets SIGTERM, and SIGKILL at
 * the kill timeout.  The first failure decides the exit status.
 *
 *   state \ event  SIGTERM   SIGINT    child ends        kill timer
 *   RUNNING        -> STOP   -> STOP   -> STOP (failure)  -
 *   STOPPING       ignored   -> KILL   note a failure    -> KILL
 *   KILLING        ignored   ignored   note a failure    -
 *
 * STOP: the drop filter on every listening socket, then SIGTERM to every
 * child and adopted orphan, kill timer armed; a start-up failure enters it
 * too, with status 1.  KILL: SIGKILL to each
 * live child's process group and to every orphan, again after each reap
 * (a reaped process's children are adopted).  When the last child of the
 * group ends while stopping, the orphans get SIGTERM and the listening
 * sockets are closed.  SIGHUP is logged
 * and ignored in every state.  The loop ends once a stopped group has no
 * child left at all (waitpid says ECHILD), orphans included. */
#ifndef GROUP_H
#define GROUP_H

#include <stddef.h>
#include <sys/types.h>

#include "config.h"
#include "spawn.h"

enum group_state { GROUP_RUNNING, GROUP_STOPPING, GROUP_KILLING };

struct child {
	char name[32];		/* "worker:8888#1", "fail" */
	pid_t pid;
	int pidfd;		/* -1 without pidfds or once reaped */
	int alive;
};

struct group {
	enum group_state state;
	struct child *kids;
	size_t cap, nkids, alive;	/* kids[cap], nkids started */
	int *listen_fds;	/* ours for the group's life, one per port */
	size_t nlisten;
	int epfd, sigfd, timerfd;
	int status;		/* -1 until a failure decides it */
	int childless;		/* waitpid said ECHILD */
	long kill_ms;
};

/* Signals, subreaper, epoll, signalfd and timerfd.  Run before anything is
 * bound or forked, so that a SIGTERM during start-up is kept for the loop.
 * Returns 0, or -1 (logged). */
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

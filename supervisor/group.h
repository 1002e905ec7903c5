/* group: the errgroup.  The children run until the first of them ends or a
 * termination signal comes; then every child gets SIGTERM, and SIGKILL at
 * the kill timeout.  The first failure decides the exit status.
 *
 *   state \ event  TERM, QUIT INT     worker ends    last READY=1  timer
 *   STARTING       -> STOP    -> STOP -> STOP, fail  -> RUNNING    -> STOP, 1
 *   RUNNING        -> STOP    -> STOP -> STOP, fail  -             -
 *   STOPPING       ignored    -> KILL note a failure ignored       -> KILL
 *   KILLING        ignored    ignored note a failure ignored       -
 *
 * SIGHUP, SIGTTIN and SIGTTOU: remembered while STARTING, roll.h's while
 * RUNNING, ignored once stopping.
 *
 * STARTING: every worker has exec'd, and the group waits for each one's
 * READY=1 (with --ready exec it is ready at exec: RUNNING at once); the
 * timer is the ready timeout, and its end is a start-up failure (status 1).
 * RUNNING sends READY=1 upward.  STOP: STOPPING=1 upward, the drop filter
 * on every listening socket, then the stop signal to every worker, SIGTERM
 * to the failing child and every adopted orphan, kill timer armed; a
 * start-up failure enters it too, with status 1.  KILL: SIGKILL to each
 * live child's process group and to every orphan, again after each reap
 * (a reaped process's children are adopted).  When the last child of the
 * group ends, the listening sockets are closed, and while stopping the
 * orphans get SIGTERM.  While the group runs, roll.c changes its workers
 * (SIGHUP, SIGTTIN, SIGTTOU): the new and the retiring workers' ends and
 * deadlines go there, never to this table.  The loop ends once a stopped
 * group has no child left at all (waitpid says ECHILD), orphans
 * included. */
#ifndef GROUP_H
#define GROUP_H

#include <stddef.h>
#include <sys/types.h>

#include "config.h"
#include "ready.h"
#include "roll.h"
#include "spawn.h"

enum group_state {
	GROUP_STARTING, GROUP_RUNNING, GROUP_STOPPING, GROUP_KILLING
};

enum child_role {
	CHILD_WORKER,	/* serves: its end while the group is up fails it */
	CHILD_NEW,	/* started by a roll, not ready yet (roll.h) */
	CHILD_RETIRING,	/* asked to stop by a roll: its end is no failure */
	CHILD_FAILER,	/* --fail-after's child, never waited for */
};

struct child {
	char name[112];		/* "worker:8888#1", "worker:[::1]:8888#1", "fail" */
	pid_t pid;
	int pidfd;		/* -1 without pidfds or once reaped */
	int alive;
	enum child_role role;
	int ready;		/* said READY=1 (or exec'd, --ready exec) */
	size_t port;		/* a worker's index in cfg->ports */
	long seq;		/* its number on the port: #1, #2, ... */
	long started_ms;
	long deadline_ms;	/* 0, or NEW: ready by; RETIRING: SIGKILL at */
};

struct group {
	enum group_state state;
	const struct config *cfg;
	struct spawn_plan *plan;
	struct ready rx;	/* our NOTIFY_SOCKET, for the children */
	struct roll roll;
	long started_ms;	/* when the start began (monotonic) */
	long deadline_ms;	/* the ready timeout, then the kill timeout */
	int spawned;		/* every child of the start is forked */
	int reaping;		/* in group_reap: no child may be started */
	size_t unready;		/* workers of the start not ready yet */
	struct child *kids;
	size_t cap, nkids, alive;	/* kids[cap], nkids used */
	long *numbered;		/* per port: workers started, for names */
	struct orphan_told {	/* orphans signalled: each signal goes once */
		pid_t pid;
		int sig;	/* the last sent: SIGTERM, then SIGKILL */
	} *told;
	size_t ntold;
	int *listen_fds;	/* ours for the group's life, one per port */
	size_t nlisten;
	int epfd, sigfd, timerfd;
	int status;		/* -1 until a failure decides it */
	int childless;		/* waitpid said ECHILD */
	long kill_ms;
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

/* For roll.c. */
struct child *group_find(struct group *g, pid_t pid);
/* A new worker on port, in role: NULL (logged) when it cannot start.  It
 * may move g->kids: no pointer into it survives this call. */
struct child *group_spawn(struct group *g, size_t port, enum child_role role);
/* Ask k to stop (the stop signal), SIGKILL at the kill timeout; its end is
 * no failure. */
void group_retire(struct group *g, struct child *k);
/* Live workers of port in role. */
size_t group_count(const struct group *g, size_t port, enum child_role role);
/* One datagram upward: state (none when NULL), then STATUS=status, or
 * the group's own status line when status is NULL. */
void group_notify(struct group *g, const char *state, const char *status);

#endif

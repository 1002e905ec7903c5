/* group: the errgroup's state machine.  The children run until the first
 * of them ends or a termination signal comes; then every child gets
 * SIGTERM, and SIGKILL at the kill timeout.  The first failure decides
 * the exit status.  loop.c reads each event; this table decides, and the
 * code follows it:
 *
 *   event \ state    STARTING  RUNNING  DELAYING  STOPPING  KILLING
 *   TERM, QUIT       DELAY     DELAY    ignored   ignored   ignored
 *   INT              STOP      STOP     DRAIN     KILL      ignored
 *   a child fails    FAIL      FAIL     FAIL      NOTE      NOTE
 *   one ends cleanly FAIL      FAIL     EARLY     NOTE      NOTE
 *   last READY=1     RUN       -        -         -         -
 *   timer            LATE      -        DRAIN     KILL      -
 *   HUP, TTIN, TTOU  ROLL      ROLL     ignored   ignored   ignored
 *   cannot start     STOP, 1   -        -         -         -
 *   no child left    CLOSE     CLOSE    CLOSE     LAST      CLOSE
 *   a reap           -         -        -         SWEEP     SWEEP
 *   the wait fails   KILL      KILL     KILL      KILL      KILL
 *
 * "A child fails": a worker or the failing child ends unasked (the ends of
 * new and retiring workers are roll.h's, never this table's), seen only
 * once the signals pending with its exit are read, so that an asked-for
 * stop is the cause, not the exit; "one ends cleanly": the same with exit
 * 0 or death by SIGTERM or the stop signal.  FAIL: its status (1 for an
 * exit 0: a server that stops serving unasked has failed), then STOP.
 * EARLY: the stop was asked for and reached the child before the delay
 * ended (systemd's KillMode=control-group signals every process at once;
 * a worker signalled before it set up its handlers): no failure, DRAIN.
 * NOTE: an end that is not clean sets the status if none is set yet.  RUN: -> RUNNING, READY=1 upward, and
 * the roll may begin what it kept.  LATE: the ready timeout ran out: each
 * worker not ready is named, status 1, then STOP.  ROLL: the request goes
 * to the roll (which keeps it while STARTING).  STOP: the roll ends,
 * STOPPING=1 upward, then DRAIN.  DRAIN (group_drain): -> STOPPING, the
 * drop filter on every listening socket the supervisor owns (not a passed
 * or stored one: sockets.h), then the stop signal to every
 * worker, SIGTERM to the failing child and to every adopted orphan, the
 * kill timer armed.  DELAY: STOP, but with --stop-delay D the DRAIN
 * waits: -> DELAYING, SIGTERM to each built-in worker (which starts its
 * own delay: /healthz 503, answers close), the timer armed for D; the
 * workers serve on, and a program after -- and the failing child are
 * told nothing until the DRAIN.  FAIL while DELAYING: its status, then
 * DRAIN.  KILL: -> KILLING,
 * SIGKILL to each live child's process group and to every orphan.  CLOSE:
 * the listening sockets are closed, nobody is left to serve them.  SWEEP:
 * the orphans adopted meanwhile (a reaped process's children) get SIGTERM
 * while STOPPING, SIGKILL while KILLING, at once.  LAST: CLOSE, then
 * SWEEP.  "ignored": logged.  SIGUSR1 and SIGUSR2 are logged and ignored
 * in every state.
 *
 * STARTING: every worker has exec'd, and the group waits for each one's
 * READY=1 (with --ready exec it is ready at exec: RUNNING at once); the
 * timer is the ready timeout. */
#ifndef GROUP_H
#define GROUP_H

#include <stddef.h>

#include "config.h"
#include "kids.h"
#include "orphans.h"
#include "rollout.h"

enum group_state {
	GROUP_STARTING, GROUP_RUNNING, GROUP_DELAYING, GROUP_STOPPING,
	GROUP_KILLING, GROUP_NSTATES
};

enum group_event {
	GROUP_EV_TERM,		/* SIGTERM, SIGQUIT */
	GROUP_EV_INT,		/* SIGINT */
	GROUP_EV_FAIL,		/* a child fails */
	GROUP_EV_QUIT,		/* one ends cleanly: exit 0 or the stop signal */
	GROUP_EV_READY,		/* the last worker of the start is ready */
	GROUP_EV_TIMER,		/* the group's deadline passed */
	GROUP_EV_ROLL,		/* SIGHUP, SIGTTIN, SIGTTOU */
	GROUP_EV_BROKEN,	/* a child of the start could not start */
	GROUP_EV_EMPTY,		/* the group's last child ended */
	GROUP_EV_REAPED,	/* a reap collected an exit */
	GROUP_EV_STUCK,		/* the loop cannot wait */
	GROUP_NEVENTS
};

/* What an event is about. */
struct group_cause {
	int sig;		/* TERM, INT, ROLL: the signal */
	int resume;		/* ROLL: the roll may begin at once (roll.h) */
	const struct kid *k;	/* FAIL: the child, */
	int code, clean;	/* its status code, and whether it was clean */
};

struct group {
	enum group_state state;
	const struct config *cfg;
	struct kids *kids;
	struct orphans *orphans;
	struct rollout *ro;
	int *listen_fds;	/* ours for the group's life, one per port */
	size_t nlisten;
	long started_ms;	/* when the start began (monotonic) */
	long deadline_ms;	/* the ready timeout, the stop delay's end,
				   then the kill timeout */
	int status;		/* -1 until a failure decides it */
};

void group_init(struct group *g, const struct config *c, struct kids *t,
		struct orphans *o, struct rollout *ro);
/* The start begins, on the listening sockets fds (one per port): the
 * group keeps them, and the ready timeout runs. */
void group_begin(struct group *g, int *fds);
/* STARTING or RUNNING: not asked to stop yet. */
int group_up(const struct group *g);
/* Up, or in the stop delay: the workers serve, and one that ends fails. */
int group_serving(const struct group *g);
void group_on(struct group *g, enum group_event ev,
	      const struct group_cause *c);
/* The loop is over: the sockets closed, the exit status logged and
 * returned. */
int group_end(struct group *g);

#endif

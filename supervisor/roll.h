/* roll: deciding how the workers change while the group serves.  SIGHUP
 * replaces every worker, one at a time (a rolling restart); SIGTTIN adds
 * one worker per port; SIGTTOU retires the newest worker of each port that
 * has more than one.  A new worker counts only once it is ready, and an old
 * one is asked to stop only then, so a port never has fewer ready workers
 * than before, and at most one new worker is starting at any time.
 *
 * The roll decides and the group acts: roll_on takes one event, with the
 * facts it needs (the serving workers of each port, the time), and returns
 * one action.  The group carries the action out and answers with the next
 * event: NEXT once done, STARTED or FAILED for a START.  The roll never
 * sees the child table, makes no system call and logs nothing.
 *
 *   state   event                 action                      next
 *   any     STOP                  -                           OFF
 *   OFF     anything              -                           OFF
 *   IDLE    HUP, TTIN, TTOU       - (kept)                    IDLE
 *   others  HUP, TTIN, TTOU       WAITS (kept)                same
 *   BOOT    BOOTED                -                           IDLE
 *   IDLE    RESUME, TTOU kept     KEEP or RETIRE, port 0      SHRINK
 *   IDLE    RESUME, HUP kept      BEGIN a restart             STEP
 *   IDLE    RESUME, TTIN kept     BEGIN a grow                STEP
 *   SHRINK  NEXT, ports left      KEEP or RETIRE, next port   SHRINK
 *   SHRINK  NEXT, none left       SHRUNK                      SHRUNK
 *   SHRUNK  NEXT                  as IDLE x RESUME, one TTOU fewer kept
 *   STEP    NEXT, one to do       START                       SPAWN
 *   STEP    NEXT, none left       END (done)                  IDLE
 *   SPAWN   STARTED               -                           WAIT
 *   SPAWN   STARTED, ready        SERVE (as WAIT x READY)     STEP
 *   SPAWN   FAILED                END (refused)               IDLE
 *   WAIT    READY of the new one  SERVE                       STEP
 *   WAIT    ENDED, LATE of it     restart: END (refused)      IDLE
 *                                 grow: SKIP                  STEP
 *   any     anything else         -                           same
 *
 * BOOT: the group's start has not ended.  RESUME: the group may start
 * workers now; it sends it after each event but in the middle of a reap,
 * and once the reap is done, so what a reap or a signal read during one
 * changes is settled before anything begins.  Kept requests run at the
 * next RESUME: the SIGTTOUs first, then one restart (several SIGHUPs
 * coalesce into one) or one grow; each one that ends is followed by the
 * next, even after a refusal.  A restart replaces the serving workers of
 * its beginning, port by port, oldest first; a grow adds one per port,
 * each port with its own try.  START asks for a new worker on a port (to
 * replace pid, in a restart); SERVE says it is ready: it serves, and the
 * one it replaces retires.  A new worker that ends or is late refuses a
 * restart (END with why: the workers not replaced yet keep serving) and
 * skips its port in a grow; one that cannot be started ends either.  When
 * the group stops the roll ends and forgets what it kept: the group stops
 * every child, new ones too.  The failing child (--fail-after) is never a
 * worker here. */
#ifndef ROLL_H
#define ROLL_H

#include <stddef.h>
#include <sys/types.h>

#include "config.h"

enum roll_state {
	ROLL_BOOT, ROLL_IDLE, ROLL_SHRINK, ROLL_SHRUNK, ROLL_STEP,
	ROLL_SPAWN, ROLL_WAIT, ROLL_OFF,
};

enum roll_event_type {
	ROLL_EV_HUP, ROLL_EV_TTIN, ROLL_EV_TTOU,	/* requests */
	ROLL_EV_RESUME, ROLL_EV_BOOTED, ROLL_EV_STOP, ROLL_EV_NEXT,
	ROLL_EV_STARTED, ROLL_EV_FAILED,	/* the answers to START */
	ROLL_EV_READY, ROLL_EV_ENDED, ROLL_EV_LATE,	/* of a new worker */
};

enum roll_act {
	ROLL_DO_NOTHING,
	ROLL_DO_WAITS,	/* req waits until `what` has ended */
	ROLL_DO_KEEP,	/* SIGTTOU: port keeps its one worker */
	ROLL_DO_RETIRE,	/* SIGTTOU: pid, the newest of port, retires; n left */
	ROLL_DO_SHRUNK,	/* a SIGTTOU pass is done: the status line upward */
	ROLL_DO_BEGIN,	/* kind begins, over `of` workers (restart) or ports */
	ROLL_DO_START,	/* a new worker on port, to replace pid (0: grow) */
	ROLL_DO_SERVE,	/* fresh is ready and serves; pid (0: grow) retires */
	ROLL_DO_SKIP,	/* grow: fresh on port refused (why): not added */
	ROLL_DO_END,	/* kind ended: n of `of` in ms; refused when why */
};

enum roll_kind { ROLL_RESTART, ROLL_GROW };

/* The serving workers of one port (none retiring, none new): each
 * worker's number on its port grows with each start. */
struct roll_port {
	size_t workers;
	pid_t oldest, newest;
	long oldest_seq, newest_seq;
};

struct roll_event {
	enum roll_event_type type;
	pid_t pid;		/* STARTED, READY, ENDED, LATE */
	int ready;		/* STARTED: ready at exec (--ready exec) */
	const char *why;	/* FAILED, ENDED, LATE */
	long now_ms;		/* the facts, with every event: */
	size_t nports;		/* at most CONFIG_PORTS_MAX */
	const struct roll_port *ports;	/* [nports] */
};

struct roll_action {
	enum roll_act act;
	enum roll_kind kind;
	enum roll_event_type req;	/* WAITS */
	const char *what;	/* WAITS: "start", "restart", "SIGTTIN" */
	size_t port;
	pid_t pid, fresh;
	size_t n, of;
	long ms;
	const char *why;	/* SKIP, END; lives as long as the event's */
};

struct roll {
	enum roll_state state;
	enum roll_kind kind;
	size_t port;		/* the port worked on */
	long upto[CONFIG_PORTS_MAX];	/* restart: the newest to replace */
	pid_t fresh;		/* the new worker being waited for */
	pid_t old;		/* the worker it replaces */
	size_t done, of;
	long began_ms;
	int want_restart;	/* SIGHUPs kept */
	int want_grow;		/* SIGTTINs kept */
	int want_shrink;	/* SIGTTOUs kept */
	char last[160];		/* how the last restart went, for STATUS= */
};

/* BOOT, nothing kept. */
void roll_init(struct roll *r);
/* One event in, one action out: ROLL_DO_NOTHING waits for the next. */
struct roll_action roll_on(struct roll *r, const struct roll_event *e);

#endif

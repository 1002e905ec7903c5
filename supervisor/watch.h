/* watch: the watchdog's acts, both ways (overdue.h decides).
 *
 * Down (--watchdog T): a worker is watched from its READY=1, and each
 * WATCHDOG=1 re-arms it; silent for T, it is named in a warning with how
 * long it was silent and gets SIGABRT (a core or a stack trace for whoever
 * debugs it), then SIGCONT (a stopped process must run to die); still
 * there at the kill timeout, SIGKILL to its process group.  Its death is
 * an abnormal exit like any other (group.h).  A worker told to drain (the
 * group's stop, a retirement) is no longer watched.
 *
 * Up (systemd's WatchdogSec=, our own WATCHDOG_USEC): WATCHDOG=1 every
 * half period from the loop's timer, held back while a worker is overdue,
 * so that a group that cannot rid itself of a hung worker is seen as hung
 * too. */
#ifndef WATCH_H
#define WATCH_H

#include "config.h"
#include "kids.h"

struct watch {
	long period_ms;		/* --watchdog: 0 off */
	long kill_ms;		/* from SIGABRT to SIGKILL */
	long up_half_ms;	/* our own WATCHDOG_USEC / 2; 0: none */
	long up_next_ms;	/* when to say WATCHDOG=1 upward next */
};

/* Reads our own WATCHDOG_USEC and WATCHDOG_PID (a malformed one: a
 * warning, no watchdog upward). */
void watch_init(struct watch *w, const struct config *c);
/* k said READY=1: watched from now on, under --watchdog. */
void watch_begin(const struct watch *w, struct kid *k);
/* k said WATCHDOG=1: re-armed, if it is watched and not aborted. */
void watch_heard(struct kid *k);
/* k is told to drain: no longer watched. */
void watch_end(struct kid *k);
void watch_end_all(struct kids *t);
/* Acts on every verdict due at now, and beats upward when due. */
void watch_on_timer(struct watch *w, struct kids *t, long now);
/* The earliest time watch_on_timer has something to do, or 0. */
long watch_deadline(const struct watch *w, const struct kids *t);

#endif

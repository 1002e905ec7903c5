/* roll: changing the workers while the group serves.  SIGHUP replaces
 * every worker, one at a time (a rolling restart); SIGTTIN adds one worker
 * per port; SIGTTOU retires the newest worker of each port that has more
 * than one.  A new worker counts only once it is ready, and an old one is
 * asked to stop only then, so a port never has fewer ready workers than
 * before, and at most one new worker is starting at any time.
 *
 *   state \ event  new one ready    new one ends   new one late  HUP/TTIN/TTOU
 *   IDLE           -                -              -             begin (TTOU:
 *                                                                at once)
 *   WAITING        retire the old;  refuse: the    refuse: stop  remembered:
 *                  next slot, or    rest keep      the new one   run when this
 *                  done             serving                      one has ended
 *
 * "Refuse" ends the operation: the new worker (if alive) is asked to stop
 * and SIGKILLed at the kill timeout, a warning says which and why, the
 * workers not replaced yet keep serving, the exit status is unaffected.
 * A retired worker's end is never a failure (a non-zero status is a
 * warning); a worker that ends unasked fails the group as always.  When
 * the group stops, the roll just ends: the group stops every child, new
 * ones too.  Requests that came during the start or a roll run once it
 * has ended (several SIGHUPs coalesce into one restart), even after a
 * refusal.  The failing child (--fail-after) is never touched. */
#ifndef ROLL_H
#define ROLL_H

#include <stddef.h>
#include <sys/types.h>

struct group;
struct child;

enum roll_state { ROLL_IDLE, ROLL_WAITING };
enum roll_kind { ROLL_RESTART, ROLL_GROW };

struct roll {
	enum roll_state state;
	enum roll_kind kind;
	pid_t *olds;		/* restart: the workers to replace, in order */
	size_t nolds, next;	/* grow: nolds ports, next is the port */
	pid_t fresh;		/* the new worker being waited for */
	size_t replaced;
	long began_ms;
	int want_restart;	/* SIGHUP came while busy */
	int want_grow;		/* SIGTTIN count while busy */
	int want_shrink;	/* SIGTTOU count while busy */
	char last[160];		/* how the last restart went, for STATUS= */
};

/* A SIGHUP (ROLL_RESTART), SIGTTIN (ROLL_GROW) or SIGTTOU (shrink = 1):
 * done now when the group runs and no roll is under way, else
 * remembered. */
void roll_request(struct group *g, int sig);
/* The group's start ended, or a roll did: run what was remembered. */
void roll_resume(struct group *g);
/* The new worker k said READY=1 (or exec'd, --ready exec). */
void roll_on_ready(struct group *g, struct child *k);
/* The new worker k ended (how: "exited with status 1"), or was not ready
 * by its deadline (how: NULL). */
void roll_refuse(struct group *g, struct child *k, const char *how);
/* The group stops: forget the roll and what was remembered. */
void roll_abort(struct group *g);
void roll_free(struct roll *r);

#endif

/* kids: the group's child table.  One entry per child the group forked:
 * found by pid, counted per port and role, named, watched through its
 * pidfd, and signalled through it.  No policy: who is stopped when, and
 * what an end means, is group.c's. */
#ifndef KIDS_H
#define KIDS_H

#include <stddef.h>
#include <sys/types.h>

#include "config.h"

enum kid_role {
	KID_WORKER,	/* serves: its end while the group is up fails it */
	KID_NEW,	/* started by a roll, not ready yet (roll.h) */
	KID_RETIRING,	/* asked to stop by a roll: its end is no failure */
	KID_FAILER,	/* --fail-after's child, never waited for */
};

struct kid {
	char name[112];		/* "worker:8888#1", "worker:[::1]:8888#1", "fail" */
	pid_t pid;
	int pidfd;		/* -1 without pidfds or once reaped */
	int alive;
	enum kid_role role;
	int ready;		/* said READY=1 (or exec'd, --ready exec) */
	size_t port;		/* a worker's index in cfg->ports */
	long seq;		/* its number on the port: #1, #2, ... */
	long started_ms;
	long deadline_ms;	/* 0, or NEW: ready by; RETIRING: SIGKILL at */
	long heard_ms;		/* --watchdog: its last READY=1 or WATCHDOG=1;
				   0: not watched (watch.h) */
	long aborted_ms;	/* --watchdog: when it got SIGABRT, or 0 */
};

struct kids {
	struct kid *k;
	size_t cap, n, alive;	/* k[cap], n used */
	long *numbered;		/* per port: workers started, for names */
	const struct config *cfg;
	int epfd;		/* pidfds are watched there, tagged by index */
};

/* Room for the workers of c and a few more.  Returns 0, or -1 (out of
 * memory). */
int kids_init(struct kids *t, const struct config *c, int epfd);
void kids_free(struct kids *t);

/* The next worker's name on port ("worker:8888#3"): returns its number. */
long kids_name(struct kids *t, size_t port, char *name, size_t size);
/* A child just forked, watched through pidfd (when >= 0).  NULL (logged,
 * the child killed) when it cannot be kept.  It may move t->k: no pointer
 * into it survives this call. */
struct kid *kids_add(struct kids *t, const char *name, pid_t pid, int pidfd,
		     enum kid_role role, size_t port);
/* k was reaped: no longer watched, its entry free for the next child. */
void kids_gone(struct kids *t, struct kid *k);

/* The live child pid, or NULL. */
struct kid *kids_find(struct kids *t, pid_t pid);
/* Live children of port in role. */
size_t kids_count(const struct kids *t, size_t port, enum kid_role role);
/* The earliest deadline of a live child, or 0. */
long kids_deadline(const struct kids *t);

/* sig to k, through its pidfd when it has one: -1 with errno. */
int kids_send(const struct kid *k, int sig);
/* The same, logged. */
void kids_signal(const struct kid *k, int sig);
/* SIGKILL to k's whole process group, logged. */
void kids_kill(const struct kid *k);

#endif

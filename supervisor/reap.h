/* reap: collecting the exits of the supervisor's children, one at a time:
 * the group's (each handed back) and adopted orphans (logged and
 * forgotten here), and how an exit reads in the log. */
#ifndef REAP_H
#define REAP_H

#include <stddef.h>

#include "kids.h"
#include "orphans.h"

enum reap_result {
	REAP_NONE,	/* nothing more to reap now */
	REAP_KID,	/* *k ended, with *ws */
	REAP_ORPHAN,	/* an orphan was reaped */
	REAP_CHILDLESS,	/* no child left at all (ECHILD) */
	REAP_ERROR,	/* logged */
};

enum reap_result reap_next(struct kids *t, struct orphans *o,
			   struct kid **k, int *ws);
/* 128 + signal for a death by signal, as shells report it. */
int reap_code(int ws);
/* Clean: exit 0, or death by SIGTERM or by stop (what it was asked to
 * stop with). */
int reap_clean(int ws, int stop);
/* "exited with status 3", "killed by SIGSEGV". */
void reap_how(int ws, char *how, size_t size);

#endif

/* orphans: the processes the group adopted as a child subreaper (the
 * children of its children, left behind), signalled when the group stops:
 * each signal goes once to each, so that it can be sent again whenever
 * more may have been adopted. */
#ifndef ORPHANS_H
#define ORPHANS_H

#include <sys/types.h>

#include "kids.h"

struct orphans {
	struct orphan_told {
		pid_t pid;
		int sig;	/* the last sent: SIGTERM, then SIGKILL */
	} *told;
	size_t n;
};

/* sig to every child of ours that is none of t's and has not had it (or
 * SIGKILL) yet; SIGCONT before a SIGTERM. */
void orphans_signal(struct orphans *o, struct kids *t, int sig);
/* pid was reaped: its pid may come back as another process. */
void orphans_forget(struct orphans *o, pid_t pid);
void orphans_free(struct orphans *o);

#endif

/* orphans: signalling the processes we adopted (orphans.h). */
#include "orphans.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../worker/lib/log.h"
#include "../worker/lib/sig.h"
#include "children.h"

/* Whether orphan pid has had sig (or SIGKILL) already; notes that it
 * has now. */
static int orphans_told(struct orphans *o, pid_t pid, int sig)
{
	struct orphan_told *t;

	for (size_t i = 0; i < o->n; i++) {
		if (o->told[i].pid != pid)
			continue;
		if (o->told[i].sig == sig || o->told[i].sig == SIGKILL)
			return 1;
		o->told[i].sig = sig;
		return 0;
	}
	if ((t = realloc(o->told, (o->n + 1) * sizeof *t))) {
		o->told = t;
		o->told[o->n++] = (struct orphan_told){ pid, sig };
	}
	return 0;
}

void orphans_forget(struct orphans *o, pid_t pid)
{
	for (size_t i = 0; i < o->n; i++)
		if (o->told[i].pid == pid)
			o->told[i] = o->told[--o->n];
}

/* Unreaped, they keep their pids, so kill(2) is safe. */
void orphans_signal(struct orphans *o, struct kids *t, int sig)
{
	pid_t *pids = children_list("/proc", getpid());

	if (!pids) {
		log_warn("cannot list adopted orphans: %s", errno == EXDEV ?
			 "/proc is another pid namespace's (mount one)" :
			 strerror(errno));
		return;
	}
	for (pid_t *p = pids; *p; p++) {
		if (kids_find(t, *p) || orphans_told(o, *p, sig))
			continue;
		if (sig == SIGTERM)
			(void)kill(*p, SIGCONT);	/* as to a child: first */
		if (kill(*p, sig) == 0)
			log_info("sent %s to orphan pid=%d",
				 sig_name(sig), (int)*p);
	}
	free(pids);
}

void orphans_free(struct orphans *o)
{
	free(o->told);
	o->told = NULL;
	o->n = 0;
}

/* listenfds: the receiving side of systemd's socket passing
 * (sd_listen_fds(3): LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES) without
 * libsystemd, shared by supervisor and worker. */
#ifndef LISTENFDS_H
#define LISTENFDS_H

#include <stddef.h>

#define LISTENFDS_START 3	/* the first passed descriptor */
#define LISTENFDS_MAX 64

struct listenfds {
	size_t n;		/* descriptors LISTENFDS_START .. + n - 1 */
	char name[LISTENFDS_MAX][64];	/* LISTEN_FDNAMES, or "unknown" */
};

/* Reads and unsets the three variables.  A LISTEN_PID other than ours
 * means they are someone else's: n = 0.  Each passed descriptor must be a
 * listening stream socket; it is made non-blocking and close-on-exec.
 * Returns 0, or -1 with one line saying which and why in err. */
int listenfds_read(struct listenfds *lf, char *err, size_t errlen);

#endif

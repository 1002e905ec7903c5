/* status: what the group tells the service manager.  One datagram each
 * (sd_notify(3), no libsystemd): a state (READY=1, RELOADING=1,
 * STOPPING=1) and the STATUS= line that `systemctl status` shows. */
#ifndef STATUS_H
#define STATUS_H

#include <stddef.h>

#include "kids.h"

/* "serving: 4 workers on 2 ports (2 per port); last restart: ...", or
 * "(per port: 3 1)" once SIGTTIN or SIGTTOU made them differ; last: how
 * the last restart went, "" before any. */
void status_line(const struct kids *t, const char *last, char *buf,
		 size_t size);
/* state (none when NULL), then STATUS=status. */
void status_send(const char *state, const char *status);

#endif

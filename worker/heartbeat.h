/* heartbeat: WATCHDOG=1 on $NOTIFY_SOCKET every half period, when
 * WATCHDOG_USEC asks it of this process (lib/watchdog.h).  The beat is a
 * timer of the event loop, so a loop that stops turning (a dead lock, an
 * endless callback, SIGSTOP) stops beating, and whoever watches sees it. */
#ifndef HEARTBEAT_H
#define HEARTBEAT_H

#include <stdint.h>

#include "loop.h"

struct heartbeat {
	struct timer timer;
	struct loop *loop;
	uint64_t half_ms;	/* 0: no watchdog asked */
};

/* Reads the environment and, when asked, arms the first beat half a
 * period from now.  Returns 0, or -1 (logged) when the timer cannot be
 * armed. */
int heartbeat_start(struct heartbeat *h, struct loop *l);

#endif

/* event: the background events of /event, the seed's `go h.Event(n)`. */
#ifndef EVENT_H
#define EVENT_H

#include "loop.h"

struct event;

/* The pending events, and their bound (--max-events). */
struct events {
	struct loop *loop;
	long max;
	long n;
	struct event *list;
};

/* Log "EventN" n seconds from now.  -1 at the bound or out of memory. */
int event_start(struct events *ev, long n);
void event_free_all(struct events *ev);

#endif

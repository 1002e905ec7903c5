/* event: the background events of /event, the seed's `go h.Event(n)`. */
#ifndef EVENT_H
#define EVENT_H

struct server;

/* Log "EventN" n seconds from now.  -1 when out of memory. */
int event_start(struct server *s, long n);
void event_free_all(struct server *s);

#endif

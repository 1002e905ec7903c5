#include "event.h"

#include <stddef.h>
#include <stdlib.h>
#include <time.h>

#include "lib/log.h"
#include "server.h"

struct event {
	struct timer timer;
	struct server *srv;
	struct event *prev, *next;
	long n;
};

static void event_unlink(struct event *e)
{
	struct server *s = e->srv;

	if (e->prev)
		e->prev->next = e->next;
	else
		s->events = e->next;
	if (e->next)
		e->next->prev = e->prev;
	s->nevents--;
}

static void event_on_timer(struct timer *t)
{
	struct event *e = container_of(t, struct event, timer);

	log_info("event %ld done: Event%ld", e->n, e->n);
	event_unlink(e);
	free(e);
}

int event_start(struct server *s, long n)
{
	struct event *e;

	/* Every client can ask for events: a bound keeps them from growing
	 * the worker without end (and every later stop into a timeout). */
	if (s->nevents >= s->cfg.max_events) {
		static time_t logged;
		if (log_due(&logged))
			log_warn("--max-events %ld reached: /event refused (503)",
				 s->cfg.max_events);
		return -1;
	}
	e = calloc(1, sizeof *e);
	if (!e || loop_timer_in(&s->loop, &e->timer, (uint64_t)n * 1000) < 0) {
		free(e);
		return -1;
	}
	e->timer.fn = event_on_timer;
	e->srv = s;
	e->n = n;
	e->next = s->events;
	if (e->next)
		e->next->prev = e;
	s->events = e;
	s->nevents++;
	log_debug("event %ld started", n);
	return 0;
}

void event_free_all(struct server *s)
{
	while (s->events) {
		struct event *e = s->events;
		loop_timer_stop(&s->loop, &e->timer);
		event_unlink(e);
		free(e);
	}
}

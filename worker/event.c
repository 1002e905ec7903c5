/* event: /event's background events, each a timer. */
#include "event.h"

#include <stddef.h>
#include <stdlib.h>
#include <time.h>

#include "lib/log.h"

struct event {
	struct timer timer;
	struct events *set;
	struct event *prev, *next;
	long n;
};

static void event_unlink(struct event *e)
{
	struct events *ev = e->set;

	if (e->prev)
		e->prev->next = e->next;
	else
		ev->list = e->next;
	if (e->next)
		e->next->prev = e->prev;
	ev->n--;
}

static void event_on_timer(struct timer *t)
{
	struct event *e = container_of(t, struct event, timer);

	log_info("event %ld done: Event%ld", e->n, e->n);
	event_unlink(e);
	free(e);
}

int event_start(struct events *ev, long n)
{
	struct event *e;

	/* Every client can ask for events: a bound keeps them from growing
	 * the worker without end (and every later stop into a timeout). */
	if (ev->n >= ev->max) {
		static time_t logged;
		if (log_due(&logged))
			log_warn("--max-events %ld reached: /event refused (503)",
				 ev->max);
		return -1;
	}
	e = calloc(1, sizeof *e);
	if (!e || loop_timer_in(ev->loop, &e->timer, (uint64_t)n * 1000) < 0) {
		free(e);
		return -1;
	}
	e->timer.fn = event_on_timer;
	e->set = ev;
	e->n = n;
	e->next = ev->list;
	if (e->next)
		e->next->prev = e;
	ev->list = e;
	ev->n++;
	log_debug("event %ld started", n);
	return 0;
}

void event_free_all(struct events *ev)
{
	while (ev->list) {
		struct event *e = ev->list;
		loop_timer_stop(ev->loop, &e->timer);
		event_unlink(e);
		free(e);
	}
}

/* heartbeat: the worker's WATCHDOG=1 from its loop's timers (heartbeat.h). */
#include "heartbeat.h"

#include "lib/log.h"
#include "lib/notify.h"
#include "lib/watchdog.h"

static void heartbeat_beat(struct timer *t)
{
	struct heartbeat *h = container_of(t, struct heartbeat, timer);

	notify_beat();
	/* Only this timer ends: it was popped, so re-arming allocates
	 * nothing. */
	if (loop_timer_in(h->loop, &h->timer, h->half_ms) < 0)
		log_err("cannot arm the watchdog's timer: out of memory");
}

int heartbeat_start(struct heartbeat *h, struct loop *l)
{
	h->loop = l;
	h->timer.fn = heartbeat_beat;
	h->half_ms = watchdog_half_ms();
	if (h->half_ms == 0)
		return 0;
	log_debug("watchdog: WATCHDOG=1 every %llu ms",
		  (unsigned long long)h->half_ms);
	if (loop_timer_in(l, &h->timer, h->half_ms) < 0) {
		log_err("cannot arm the watchdog's timer: out of memory");
		return -1;
	}
	return 0;
}

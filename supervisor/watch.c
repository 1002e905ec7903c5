/* watch: arming, aborting, killing, and beating upward (watch.h). */
#include "watch.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

#include "../worker/lib/clock.h"
#include "../worker/lib/log.h"
#include "../worker/lib/notify.h"
#include "../worker/lib/opt.h"
#include "../worker/lib/watchdog.h"
#include "overdue.h"

void watch_init(struct watch *w, const struct config *c)
{
	*w = (struct watch){
		.period_ms = c->watchdog_ms, .kill_ms = c->kill_ms,
		.up_half_ms = (long)watchdog_half_ms(),
	};
	/* The first beat at the first wake-up: systemd counts from our
	 * start, and the start may take a while. */
	w->up_next_ms = (long)clock_ms();
	if (w->up_half_ms)
		log_info("watchdog: WATCHDOG=1 upward every %ld ms, while no "
			 "worker is overdue", w->up_half_ms);
}

void watch_begin(const struct watch *w, struct kid *k)
{
	if (!w->period_ms)
		return;
	k->heard_ms = (long)clock_ms();
	k->aborted_ms = 0;
}

void watch_heard(struct kid *k)
{
	if (k->heard_ms && !k->aborted_ms)
		k->heard_ms = (long)clock_ms();
}

void watch_end(struct kid *k)
{
	k->heard_ms = k->aborted_ms = 0;
}

void watch_end_all(struct kids *t)
{
	for (size_t i = 0; i < t->n; i++)
		watch_end(&t->k[i]);
}

static void watch_abort(const struct watch *w, struct kid *k, long now)
{
	log_warn("%s pid=%d is hung: no WATCHDOG=1 for " OPT_MS_FMT "s "
		 "(--watchdog " OPT_MS_FMT "s): sending SIGABRT", k->name,
		 (int)k->pid, OPT_MS_ARGS(now - k->heard_ms),
		 OPT_MS_ARGS(w->period_ms));
	k->aborted_ms = now;
	kids_signal(k, SIGABRT);
	/* After SIGABRT: a stopped process acts on it once it runs. */
	if (kids_send(k, SIGCONT) < 0 && errno != ESRCH)
		log_warn("%s pid=%d: cannot send SIGCONT: %s", k->name,
			 (int)k->pid, strerror(errno));
}

static void watch_kill(struct kid *k, long now)
{
	log_warn("%s pid=%d still running " OPT_MS_FMT "s after SIGABRT",
		 k->name, (int)k->pid, OPT_MS_ARGS(now - k->aborted_ms));
	kids_kill(k);
	watch_end(k);	/* SIGKILL cannot fail to end it */
}

static void watch_beat_up(struct watch *w, const struct kids *t, long now)
{
	if (!w->up_half_ms || now < w->up_next_ms)
		return;
	w->up_next_ms = now + w->up_half_ms;
	if (overdue_any(t, now, w->period_ms))
		log_warn("a worker is overdue: no WATCHDOG=1 upward");
	else
		notify_beat();
}

void watch_on_timer(struct watch *w, struct kids *t, long now)
{
	for (size_t i = 0; i < t->n; i++) {
		struct kid *k = &t->k[i];
		switch (overdue_check(k, now, w->period_ms, w->kill_ms)) {
		case OVERDUE_ABORT:
			watch_abort(w, k, now);
			break;
		case OVERDUE_KILL:
			watch_kill(k, now);
			break;
		case OVERDUE_NONE:
			break;
		}
	}
	watch_beat_up(w, t, now);
}

long watch_deadline(const struct watch *w, const struct kids *t)
{
	long at = overdue_deadline(t, w->period_ms, w->kill_ms);

	if (w->up_half_ms && (!at || w->up_next_ms < at))
		at = w->up_next_ms;
	return at;
}

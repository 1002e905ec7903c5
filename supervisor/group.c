/* group: the errgroup's state machine and its acts (group.h's table). */
#include "group.h"

#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "../worker/lib/clock.h"
#include "../worker/lib/log.h"
#include "../worker/lib/opt.h"
#include "../worker/lib/sig.h"
#include "status.h"
#include "stop.h"
#include "watch.h"

enum group_do {
	DO_NOTHING, DO_STOP, DO_BROKEN, DO_FAIL, DO_NOTE, DO_RUN, DO_LATE,
	DO_ROLL, DO_KILL, DO_IGNORE, DO_CLOSE, DO_LAST, DO_SWEEP, DO_DELAY,
	DO_DRAIN, DO_EARLY,
};

static const enum group_do group_table[GROUP_NEVENTS][GROUP_NSTATES] = {
	/*          STARTING    RUNNING     DELAYING    STOPPING    KILLING */
	[GROUP_EV_TERM] =
		{ DO_DELAY,   DO_DELAY,   DO_IGNORE,  DO_IGNORE,  DO_IGNORE },
	[GROUP_EV_INT] =
		{ DO_STOP,    DO_STOP,    DO_DRAIN,   DO_KILL,    DO_IGNORE },
	[GROUP_EV_FAIL] =
		{ DO_FAIL,    DO_FAIL,    DO_FAIL,    DO_NOTE,    DO_NOTE },
	[GROUP_EV_QUIT] =
		{ DO_FAIL,    DO_FAIL,    DO_EARLY,   DO_NOTE,    DO_NOTE },
	[GROUP_EV_READY] =
		{ DO_RUN,     DO_NOTHING, DO_NOTHING, DO_NOTHING, DO_NOTHING },
	[GROUP_EV_TIMER] =
		{ DO_LATE,    DO_NOTHING, DO_DRAIN,   DO_KILL,    DO_NOTHING },
	[GROUP_EV_ROLL] =
		{ DO_ROLL,    DO_ROLL,    DO_IGNORE,  DO_IGNORE,  DO_IGNORE },
	[GROUP_EV_BROKEN] =
		{ DO_BROKEN,  DO_NOTHING, DO_NOTHING, DO_NOTHING, DO_NOTHING },
	[GROUP_EV_EMPTY] =
		{ DO_CLOSE,   DO_CLOSE,   DO_CLOSE,   DO_LAST,    DO_CLOSE },
	[GROUP_EV_REAPED] =
		{ DO_NOTHING, DO_NOTHING, DO_NOTHING, DO_SWEEP,   DO_SWEEP },
	[GROUP_EV_STUCK] =
		{ DO_KILL,    DO_KILL,    DO_KILL,    DO_KILL,    DO_KILL },
};

void group_init(struct group *g, const struct config *c, struct kids *t,
		struct orphans *o, struct rollout *ro)
{
	*g = (struct group){
		.state = GROUP_STARTING, .cfg = c, .kids = t, .orphans = o,
		.ro = ro, .status = -1,
	};
}

void group_begin(struct group *g, int *fds)
{
	g->listen_fds = fds;
	g->nlisten = g->cfg->nports;
	g->started_ms = (long)clock_ms();
	g->deadline_ms = g->started_ms + g->cfg->ready_ms; /* the whole start */
}

int group_up(const struct group *g)
{
	return g->state == GROUP_STARTING || g->state == GROUP_RUNNING;
}

int group_serving(const struct group *g)
{
	return group_up(g) || g->state == GROUP_DELAYING;
}

static void group_close(struct group *g)
{
	for (size_t i = 0; i < g->nlisten; i++)
		close(g->listen_fds[i]);
	g->nlisten = 0;
}

static void group_kill(struct group *g)
{
	g->state = GROUP_KILLING;
	stop_kill_all(g->kids);
	orphans_signal(g->orphans, g->kids, SIGKILL);
}

/* The stop proper, at once or after the stop delay: the doors close and
 * every child and orphan is asked to stop; the kill timeout runs. */
static void group_drain(struct group *g)
{
	g->state = GROUP_STOPPING;
	/* Before any worker is asked to stop. */
	stop_close_doors(g->listen_fds, g->cfg->passed, g->nlisten);
	watch_end_all(g->kids);	/* --watchdog: draining, not watched */
	stop_all(g->kids, g->cfg->stop_signal);
	orphans_signal(g->orphans, g->kids, SIGTERM);
	g->deadline_ms = (long)clock_ms() + g->cfg->kill_ms;
	if (g->cfg->kill_ms == 0)
		group_kill(g);
}

/* Lame duck: a balancer goes on sending clients for a while after it
 * was told to stop this instance; they are served meanwhile. */
static void group_delay(struct group *g)
{
	g->state = GROUP_DELAYING;
	log_notice("the stop begins in " OPT_MS_FMT " seconds (--stop-delay): "
		   "the workers serve on%s", OPT_MS_ARGS(g->cfg->stop_delay_ms),
		   g->cfg->command ? "" : ", /healthz answers 503");
	if (!g->cfg->command)
		stop_lame(g->kids);
	g->deadline_ms = (long)clock_ms() + g->cfg->stop_delay_ms;
}

/* why: the cause, for the log and `systemctl status`; may_delay: a stop
 * asked by SIGTERM or SIGQUIT, which the stop delay holds back. */
static void group_stop(struct group *g, const char *why, int may_delay)
{
	char status[300];

	rollout_feed(g->ro, ROLL_EV_STOP, 0, 0);
	log_notice("stopping: %s", why);
	snprintf(status, sizeof status, "stopping: %s", why);
	status_send("STOPPING=1", status);
	if (may_delay && g->cfg->stop_delay_ms > 0)
		group_delay(g);
	else
		group_drain(g);
}

/* Every worker is ready: tell the service manager, with a status line. */
static void group_running(struct group *g)
{
	char status[400];

	g->state = GROUP_RUNNING;
	g->deadline_ms = 0;
	status_line(g->kids, g->ro->roll.last, status, sizeof status);
	log_info("%s, all ready after %ld ms", status,
		 (long)clock_ms() - g->started_ms);
	status_send("READY=1", status);
	rollout_feed(g->ro, ROLL_EV_BOOTED, 0, 1);
}

static void group_late(struct group *g)
{
	for (size_t i = 0; i < g->kids->n; i++) {
		const struct kid *k = &g->kids->k[i];
		if (k->alive && k->role == KID_WORKER && !k->ready)
			log_err("%s pid=%d: not ready after " OPT_MS_FMT "s: no "
				"READY=1 on its NOTIFY_SOCKET (--ready exec is "
				"for programs that never notify)", k->name,
				(int)k->pid, OPT_MS_ARGS(g->cfg->ready_ms));
	}
	g->status = 1;	/* a start-up failure */
	group_stop(g, "a worker was not ready in time", 0);
}

/* A server that stops serving unasked has failed, even with status 0. */
static void group_fail(struct group *g, const struct kid *k, int code)
{
	char why[200];

	g->status = code ? code : 1;
	snprintf(why, sizeof why, "%s pid=%d ended while the group was %s",
		 k->name, (int)k->pid,
		 g->state == GROUP_STARTING ? "starting" :
		 g->state == GROUP_DELAYING ? "in its stop delay" : "running");
	if (g->state != GROUP_DELAYING) {
		group_stop(g, why, 0);
		return;
	}
	log_warn("the stop delay ends now: %s", why);	/* STOPPING=1 sent */
	group_drain(g);
}

static void group_roll(struct group *g, const struct group_cause *c)
{
	enum roll_event_type req = c->sig == SIGHUP ? ROLL_EV_HUP :
				   c->sig == SIGTTIN ? ROLL_EV_TTIN :
				   ROLL_EV_TTOU;

	rollout_feed(g->ro, req, 0, c->resume);
}

static void group_sweep(struct group *g)
{
	orphans_signal(g->orphans, g->kids,
		       g->state == GROUP_KILLING ? SIGKILL : SIGTERM);
}

void group_on(struct group *g, enum group_event ev,
	      const struct group_cause *c)
{
	switch (group_table[ev][g->state]) {
	case DO_NOTHING:
		break;
	case DO_STOP:
		group_stop(g, sig_name(c->sig), 0);
		break;
	case DO_DELAY:
		group_stop(g, sig_name(c->sig), 1);
		break;
	case DO_DRAIN:
		log_notice("the stop delay ends: %s", ev == GROUP_EV_INT ?
			   "SIGINT" : "its time is up");
		group_drain(g);
		break;
	case DO_EARLY:
		log_notice("the stop delay ends: %s pid=%d ended cleanly, "
			   "the stop reached it first", c->k->name,
			   (int)c->k->pid);
		group_drain(g);
		break;
	case DO_BROKEN:
		g->status = 1;	/* whatever the others do */
		group_stop(g, "start-up failure", 0);
		break;
	case DO_FAIL:
		group_fail(g, c->k, c->code);
		break;
	case DO_NOTE:
		if (!c->clean && g->status < 0)
			g->status = c->code;
		break;
	case DO_RUN:
		group_running(g);
		break;
	case DO_LATE:
		group_late(g);
		break;
	case DO_ROLL:
		group_roll(g, c);
		break;
	case DO_KILL:
		if (ev == GROUP_EV_INT)
			log_notice("second SIGINT: killing every child now");
		else if (ev == GROUP_EV_TIMER)
			log_warn("kill timeout of " OPT_MS_FMT "s ran out",
				 OPT_MS_ARGS(g->cfg->kill_ms));
		group_kill(g);
		break;
	case DO_IGNORE:
		log_info("%s ignored: %s", sig_name(c->sig),
			 g->state == GROUP_DELAYING ? "in the stop delay" :
			 ev == GROUP_EV_ROLL ? "stopping" : "already stopping");
		break;
	case DO_CLOSE:
		group_close(g);
		break;
	case DO_LAST:
		group_close(g);
		group_sweep(g);
		break;
	case DO_SWEEP:
		group_sweep(g);
		break;
	}
}

int group_end(struct group *g)
{
	int status = g->status < 0 ? 0 : g->status;

	group_close(g);
	log_notice("exiting with status %d", status);
	return status;
}

/* roll: the rolling restart, SIGTTIN and SIGTTOU decided, never done:
 * the code follows roll.h's table. */
#include "roll.h"

#include <stdio.h>
#include <string.h>

static const struct roll_action roll_nothing = { .act = ROLL_DO_NOTHING };

void roll_init(struct roll *r)
{
	memset(r, 0, sizeof *r);
	r->state = ROLL_BOOT;
}

static void roll_keep(struct roll *r, enum roll_event_type req)
{
	r->want_restart |= req == ROLL_EV_HUP;
	r->want_grow += req == ROLL_EV_TTIN;
	r->want_shrink += req == ROLL_EV_TTOU;
}

static struct roll_action roll_waits(struct roll *r, enum roll_event_type req)
{
	struct roll_action a = { .act = ROLL_DO_WAITS, .req = req };

	roll_keep(r, req);
	a.what = r->state == ROLL_BOOT ? "start" :
		 r->kind == ROLL_RESTART ? "restart" : "SIGTTIN";
	return a;
}

/* A SIGTTOU pass: the next port (never below one worker), or its end. */
static struct roll_action roll_shrink(struct roll *r, const struct roll_event *e)
{
	struct roll_action a = { .act = ROLL_DO_SHRUNK };
	const struct roll_port *p;

	if (r->port == e->nports) {
		r->state = ROLL_SHRUNK;
		return a;
	}
	p = &e->ports[r->port];
	r->state = ROLL_SHRINK;
	a.port = r->port++;
	a.act = ROLL_DO_KEEP;
	if (p->workers >= 2) {
		a.act = ROLL_DO_RETIRE;
		a.pid = p->newest;
		a.n = p->workers - 1;
	}
	return a;
}

static struct roll_action roll_begin(struct roll *r, const struct roll_event *e,
				     enum roll_kind kind)
{
	r->state = ROLL_STEP;
	r->kind = kind;
	r->port = r->done = 0;
	r->fresh = r->old = 0;
	r->began_ms = e->now_ms;
	r->of = kind == ROLL_GROW ? e->nports : 0;
	/* Those serving now are the ones to replace: any newer is a
	 * replacement. */
	for (size_t p = 0; kind == ROLL_RESTART && p < e->nports; p++) {
		r->upto[p] = e->ports[p].workers ? e->ports[p].newest_seq : 0;
		r->of += e->ports[p].workers;
	}
	return (struct roll_action){ .act = ROLL_DO_BEGIN, .kind = kind,
				     .of = r->of };
}

/* What was kept: the SIGTTOUs first, then one restart or one grow. */
static struct roll_action roll_resume(struct roll *r, const struct roll_event *e)
{
	if (r->want_shrink > 0) {
		r->port = 0;
		return roll_shrink(r, e);
	}
	if (r->want_restart) {
		r->want_restart = 0;
		return roll_begin(r, e, ROLL_RESTART);
	}
	if (r->want_grow > 0) {
		r->want_grow--;
		return roll_begin(r, e, ROLL_GROW);
	}
	return roll_nothing;
}

static struct roll_action roll_end(struct roll *r, const struct roll_event *e,
				   const char *why)
{
	struct roll_action a = {
		.act = ROLL_DO_END, .kind = r->kind, .n = r->done, .of = r->of,
		.ms = e->now_ms - r->began_ms, .why = why,
	};

	if (r->kind == ROLL_RESTART && !why)
		snprintf(r->last, sizeof r->last, "replaced %zu of %zu in %ld ms",
			 r->done, r->of, a.ms);
	else if (r->kind == ROLL_RESTART)
		snprintf(r->last, sizeof r->last, "refused after %zu of %zu: %s",
			 r->done, r->of, why);
	r->state = ROLL_IDLE;
	r->fresh = r->old = 0;
	return a;
}

/* A restart takes the oldest serving worker of a port while it is one of
 * those of its beginning; then the next port. */
static int roll_has_old(const struct roll *r, const struct roll_event *e)
{
	const struct roll_port *p = &e->ports[r->port];

	return p->workers > 0 && p->oldest_seq <= r->upto[r->port];
}

static struct roll_action roll_step(struct roll *r, const struct roll_event *e)
{
	struct roll_action a = { .act = ROLL_DO_START, .kind = r->kind };

	while (r->kind == ROLL_RESTART && r->port < e->nports &&
	       !roll_has_old(r, e))
		r->port++;
	if (r->port >= e->nports)
		return roll_end(r, e, NULL);
	r->state = ROLL_SPAWN;
	r->old = r->kind == ROLL_RESTART ? e->ports[r->port].oldest : 0;
	a.port = r->port;
	a.pid = r->old;
	return a;
}

static struct roll_action roll_ready(struct roll *r)
{
	struct roll_action a = {
		.act = ROLL_DO_SERVE, .kind = r->kind, .port = r->port,
		.fresh = r->fresh, .pid = r->old,
	};

	r->state = ROLL_STEP;
	r->done++;
	r->port += r->kind == ROLL_GROW;
	r->fresh = r->old = 0;
	return a;
}

/* The new worker ended or was late: a restart is refused, a grow goes on
 * with the next port. */
static struct roll_action roll_lost(struct roll *r, const struct roll_event *e)
{
	struct roll_action a = {
		.act = ROLL_DO_SKIP, .kind = r->kind, .port = r->port,
		.fresh = r->fresh, .why = e->why,
	};

	if (r->kind == ROLL_RESTART)
		return roll_end(r, e, e->why);
	r->state = ROLL_STEP;
	r->port++;
	r->fresh = 0;
	return a;
}

struct roll_action roll_on(struct roll *r, const struct roll_event *e)
{
	if (e->type == ROLL_EV_STOP) {
		r->state = ROLL_OFF;
		r->want_restart = r->want_grow = r->want_shrink = 0;
		return roll_nothing;
	}
	if (r->state == ROLL_OFF)
		return roll_nothing;
	if (e->type == ROLL_EV_HUP || e->type == ROLL_EV_TTIN || e->type == ROLL_EV_TTOU) {
		if (r->state != ROLL_IDLE)
			return roll_waits(r, e->type);
		roll_keep(r, e->type);
		return roll_nothing;
	}
	switch (r->state) {
	case ROLL_BOOT:
		if (e->type == ROLL_EV_BOOTED)
			r->state = ROLL_IDLE;
		break;
	case ROLL_IDLE:
		if (e->type == ROLL_EV_RESUME)
			return roll_resume(r, e);
		break;
	case ROLL_SHRINK:
		if (e->type == ROLL_EV_NEXT)
			return roll_shrink(r, e);
		break;
	case ROLL_SHRUNK:
		if (e->type != ROLL_EV_NEXT)
			break;
		r->want_shrink--;
		r->state = ROLL_IDLE;
		return roll_resume(r, e);
	case ROLL_STEP:
		if (e->type == ROLL_EV_NEXT)
			return roll_step(r, e);
		break;
	case ROLL_SPAWN:
		if (e->type == ROLL_EV_FAILED)
			return roll_end(r, e, e->why);
		if (e->type != ROLL_EV_STARTED)
			break;
		r->state = ROLL_WAIT;
		r->fresh = e->pid;
		if (e->ready)
			return roll_ready(r);
		break;
	case ROLL_WAIT:
		if (e->pid != r->fresh)
			break;
		if (e->type == ROLL_EV_READY)
			return roll_ready(r);
		if (e->type == ROLL_EV_ENDED || e->type == ROLL_EV_LATE)
			return roll_lost(r, e);
		break;
	case ROLL_OFF:
		break;
	}
	return roll_nothing;
}

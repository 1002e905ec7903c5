/* rollout: carrying out roll.c's decisions (rollout.h). */
#include "rollout.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "../worker/lib/clock.h"
#include "../worker/lib/log.h"
#include "../worker/lib/opt.h"
#include "../worker/lib/sig.h"
#include "launch.h"
#include "status.h"
#include "stop.h"

void rollout_init(struct rollout *o, struct kids *t, const struct config *c)
{
	memset(o, 0, sizeof *o);
	roll_init(&o->roll);
	o->kids = t;
	o->cfg = c;
}

static void rollout_status(const struct rollout *o, const char *state)
{
	char status[400];

	status_line(o->kids, o->roll.last, status, sizeof status);
	status_send(state, status);
}

static void rollout_begin(const struct roll_action *a)
{
	char state[96], status[96];

	if (a->kind == ROLL_GROW) {
		log_notice("SIGTTIN: adding a worker to each of %zu port%s",
			   a->of, a->of == 1 ? "" : "s");
		return;
	}
	log_notice("restart: replacing %zu worker%s, one at a time", a->of,
		   a->of == 1 ? "" : "s");
	/* systemd's Type=notify-reload wants the time of the start. */
	snprintf(state, sizeof state, "RELOADING=1\nMONOTONIC_USEC=%llu",
		 (unsigned long long)clock_us());
	snprintf(status, sizeof status, "restarting: %zu worker%s", a->of,
		 a->of == 1 ? "" : "s");
	status_send(state, status);
}

/* The new worker is ready: it serves, and the old one it replaces is
 * asked to stop (it drains, and leaves the socket to the others). */
static void rollout_serve(struct rollout *o, const struct roll_action *a)
{
	struct kid *k = kids_find(o->kids, a->fresh), *old;
	long ms;

	if (!k)
		return;
	ms = (long)clock_ms() - k->started_ms;
	k->role = KID_WORKER;
	k->deadline_ms = 0;
	if (a->kind == ROLL_GROW) {
		log_info("SIGTTIN: %s pid=%d added, ready in %ld ms", k->name,
			 (int)k->pid, ms);
	} else if ((old = kids_find(o->kids, a->pid))) {
		log_info("restart: %s pid=%d replaced by %s pid=%d, ready in "
			 "%ld ms", old->name, (int)old->pid, k->name,
			 (int)k->pid, ms);
		stop_retire(old, o->cfg->stop_signal, o->cfg->kill_ms);
	}
}

static void rollout_end(const struct rollout *o, const struct roll_action *a)
{
	if (a->kind == ROLL_RESTART && !a->why)
		log_notice("restart: %s", o->roll.last);
	else if (a->kind == ROLL_RESTART)
		log_warn("restart refused: %s; replaced %zu of %zu, the others "
			 "keep serving", a->why, a->n, a->of);
	else if (!a->why)
		log_notice("SIGTTIN: added %zu of %zu in %ld ms", a->n, a->of,
			   a->ms);
	else
		log_warn("SIGTTIN refused: %s; added %zu of %zu", a->why, a->n,
			 a->of);
	rollout_status(o, a->kind == ROLL_RESTART ? "READY=1" : NULL);
}

static const char *rollout_request(enum roll_event_type req)
{
	return sig_name(req == ROLL_EV_HUP ? SIGHUP :
			req == ROLL_EV_TTIN ? SIGTTIN : SIGTTOU);
}

/* START: the answer is STARTED, or FAILED with why. */
static struct roll_event rollout_start(struct rollout *o, size_t port,
				       char *why, size_t size)
{
	struct roll_event e = { .type = ROLL_EV_FAILED, .why = why };
	struct kid *k;

	/* Looked up again: a new binary at the same path runs. */
	if (spawn_lookup(o->plan, why, size) < 0)
		return e;
	k = launch_worker(o->kids, o->plan, o->fds[port], port, KID_NEW);
	if (!k) {
		snprintf(why, size, "a new worker could not be started");
		return e;
	}
	k->deadline_ms = k->started_ms + o->cfg->ready_ms;
	k->ready = o->cfg->ready_exec;
	e.type = ROLL_EV_STARTED;
	e.pid = k->pid;
	e.ready = k->ready;
	return e;
}

/* Every action but START. */
static void rollout_do(struct rollout *o, const struct roll_action *a)
{
	const char *where = o->cfg->ports[a->port].text;
	struct kid *k;

	switch (a->act) {
	case ROLL_DO_NOTHING:
	case ROLL_DO_START:	/* rollout_start */
		break;
	case ROLL_DO_WAITS:
		log_info("%s: waits until the %s has ended",
			 rollout_request(a->req), a->what);
		break;
	case ROLL_DO_KEEP:
		log_info("SIGTTOU: %s keeps its one worker", where);
		break;
	case ROLL_DO_RETIRE:
		if (!(k = kids_find(o->kids, a->pid)))
			break;
		log_notice("SIGTTOU: retiring %s pid=%d, %zu left on %s",
			   k->name, (int)k->pid, a->n, where);
		stop_retire(k, o->cfg->stop_signal, o->cfg->kill_ms);
		break;
	case ROLL_DO_SHRUNK:
		rollout_status(o, NULL);
		break;
	case ROLL_DO_BEGIN:
		rollout_begin(a);
		break;
	case ROLL_DO_SERVE:
		rollout_serve(o, a);
		break;
	case ROLL_DO_SKIP:
		log_warn("SIGTTIN: %s; not added", a->why);
		break;
	case ROLL_DO_END:
		rollout_end(o, a);
		break;
	}
}

/* The facts the roll decides on: each port's serving workers. */
static void rollout_facts(const struct rollout *o, struct roll_event *e,
			  struct roll_port *ports)
{
	memset(ports, 0, o->cfg->nports * sizeof *ports);
	for (size_t i = 0; i < o->kids->n; i++) {
		const struct kid *k = &o->kids->k[i];
		struct roll_port *p = &ports[k->port];
		if (!k->alive || k->role != KID_WORKER)
			continue;
		if (!p->workers++ || k->seq < p->oldest_seq) {
			p->oldest = k->pid;
			p->oldest_seq = k->seq;
		}
		if (k->seq > p->newest_seq) {
			p->newest = k->pid;
			p->newest_seq = k->seq;
		}
	}
	e->nports = o->cfg->nports;
	e->ports = ports;
	e->now_ms = (long)clock_ms();
}

/* Each action is answered: STARTED or FAILED for a START, else NEXT. */
static void rollout_run(struct rollout *o, struct roll_event e, int resume)
{
	struct roll_port ports[CONFIG_PORTS_MAX];
	struct roll_action a;
	char why[300];

	for (;;) {
		rollout_facts(o, &e, ports);
		a = roll_on(&o->roll, &e);
		if (a.act == ROLL_DO_START) {
			e = rollout_start(o, a.port, why, sizeof why);
			continue;
		}
		if (a.act != ROLL_DO_NOTHING) {
			rollout_do(o, &a);
			e = (struct roll_event){ .type = ROLL_EV_NEXT };
			continue;
		}
		if (!resume || e.type == ROLL_EV_RESUME)
			return;
		e = (struct roll_event){ .type = ROLL_EV_RESUME };
	}
}

void rollout_feed(struct rollout *o, enum roll_event_type type, pid_t pid,
		  int resume)
{
	rollout_run(o, (struct roll_event){ .type = type, .pid = pid }, resume);
}

void rollout_lost(struct rollout *o, struct kid *k, const char *how,
		  int resume)
{
	char why[300];
	pid_t pid = k->pid;

	if (how)
		snprintf(why, sizeof why, "%s pid=%d %s before it was ready",
			 k->name, (int)pid, how);
	else
		snprintf(why, sizeof why, "%s pid=%d not ready after "
			 OPT_MS_FMT "s (--ready-timeout; --ready exec is for "
			 "programs that never notify)", k->name, (int)pid,
			 OPT_MS_ARGS(o->cfg->ready_ms));
	if (k->alive)
		stop_retire(k, o->cfg->stop_signal, o->cfg->kill_ms);
	rollout_run(o, (struct roll_event){ .type = how ? ROLL_EV_ENDED :
		    ROLL_EV_LATE, .pid = pid, .why = why }, resume);
}

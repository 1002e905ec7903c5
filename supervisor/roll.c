#include "roll.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../worker/lib/log.h"
#include "../worker/lib/opt.h"
#include "../worker/lib/clock.h"
#include "../worker/lib/sig.h"
#include "group.h"

static void roll_step(struct group *g);

/* The newest worker of a port: the one a SIGTTOU retires. */
static struct child *roll_newest(struct group *g, size_t port)
{
	struct child *newest = NULL;

	for (size_t i = 0; i < g->nkids; i++) {
		struct child *k = &g->kids[i];
		if (k->alive && k->role == CHILD_WORKER && k->port == port &&
		    (!newest || k->seq > newest->seq))
			newest = k;
	}
	return newest;
}

/* SIGTTOU: at once, nothing to wait for; never fewer than one a port. */
static void roll_shrink(struct group *g)
{
	for (size_t p = 0; p < g->cfg->nports; p++) {
		const char *where = g->cfg->ports[p].text;
		size_t n = group_count(g, p, CHILD_WORKER);
		if (n < 2) {
			log_info("SIGTTOU: %s keeps its one worker", where);
			continue;
		}
		struct child *k = roll_newest(g, p);
		log_notice("SIGTTOU: retiring %s pid=%d, %zu left on %s",
			   k->name, (int)k->pid, n - 1, where);
		group_retire(g, k);
	}
	group_notify(g, NULL, NULL);
}

static int roll_by_port(const void *a, const void *b)
{
	const struct child *x = *(struct child *const *)a;
	const struct child *y = *(struct child *const *)b;

	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The workers a restart replaces, port by port, oldest first. */
static int roll_list_olds(struct group *g, struct roll *r)
{
	struct child **list = calloc(g->nkids + 1, sizeof *list);
	size_t n = 0;

	if (!list)
		return -1;
	for (size_t i = 0; i < g->nkids; i++)
		if (g->kids[i].alive && g->kids[i].role == CHILD_WORKER)
			list[n++] = &g->kids[i];
	qsort(list, n, sizeof *list, roll_by_port);
	r->olds = calloc(n + 1, sizeof *r->olds);
	for (size_t i = 0; r->olds && i < n; i++)
		r->olds[i] = list[i]->pid;
	free(list);
	r->nolds = n;
	return r->olds ? 0 : -1;
}

static void roll_begin(struct group *g, enum roll_kind kind)
{
	struct roll *r = &g->roll;
	char state[96], status[96];

	r->kind = kind;
	r->next = r->replaced = 0;
	r->fresh = 0;
	r->began_ms = (long)clock_ms();
	if (kind == ROLL_GROW) {
		r->nolds = g->cfg->nports;
		log_notice("SIGTTIN: adding a worker to each of %zu port%s",
			   r->nolds, r->nolds == 1 ? "" : "s");
	} else if (roll_list_olds(g, r) < 0) {
		log_err("restart: out of memory");
		return;
	} else {
		log_notice("restart: replacing %zu worker%s, one at a time",
			   r->nolds, r->nolds == 1 ? "" : "s");
		/* systemd's Type=notify-reload wants the time of the start. */
		snprintf(state, sizeof state, "RELOADING=1\nMONOTONIC_USEC=%llu",
			 (unsigned long long)clock_us());
		snprintf(status, sizeof status, "restarting: %zu worker%s",
			 r->nolds, r->nolds == 1 ? "" : "s");
		group_notify(g, state, status);
	}
	r->state = ROLL_WAITING;
	roll_step(g);
}

/* The end of a restart or a grow: why is NULL when it went through. */
static void roll_end(struct group *g, const char *why)
{
	struct roll *r = &g->roll;
	long ms = (long)clock_ms() - r->began_ms;

	if (r->kind == ROLL_RESTART && !why) {
		snprintf(r->last, sizeof r->last, "replaced %zu of %zu in %ld ms",
			 r->replaced, r->nolds, ms);
		log_notice("restart: %s", r->last);
	} else if (r->kind == ROLL_RESTART) {
		snprintf(r->last, sizeof r->last, "refused after %zu of %zu: %s",
			 r->replaced, r->nolds, why);
		log_warn("restart refused: %s; replaced %zu of %zu, the others "
			 "keep serving", why, r->replaced, r->nolds);
	} else if (!why) {
		log_notice("SIGTTIN: added %zu of %zu in %ld ms", r->replaced,
			   r->nolds, ms);
	} else {
		log_warn("SIGTTIN refused: %s; added %zu of %zu", why,
			 r->replaced, r->nolds);
	}
	group_notify(g, r->kind == ROLL_RESTART ? "READY=1" : NULL, NULL);
	free(r->olds);
	r->olds = NULL;
	r->state = ROLL_IDLE;
	r->fresh = 0;
	roll_resume(g);
}

/* The new worker k is ready: it serves, and the old one it replaces is
 * asked to stop (it drains, and leaves the socket to the others). */
static void roll_advance(struct group *g, struct child *k)
{
	struct roll *r = &g->roll;
	long ms = (long)clock_ms() - k->started_ms;

	k->role = CHILD_WORKER;
	k->deadline_ms = 0;
	r->fresh = 0;
	if (r->kind == ROLL_RESTART) {
		struct child *old = group_find(g, r->olds[r->next]);
		if (old) {
			log_info("restart: %s pid=%d replaced by %s pid=%d, "
				 "ready in %ld ms", old->name, (int)old->pid,
				 k->name, (int)k->pid, ms);
			group_retire(g, old);
		}
	} else {
		log_info("SIGTTIN: %s pid=%d added, ready in %ld ms", k->name,
			 (int)k->pid, ms);
	}
	r->replaced++;
	r->next++;
}

/* Start the next new worker, or end.  A loop, not recursion: under
 * --ready exec each new worker is ready at once. */
static void roll_step(struct group *g)
{
	struct roll *r = &g->roll;
	char err[256];

	while (r->state == ROLL_WAITING) {
		size_t port = r->next;
		if (r->next == r->nolds) {
			roll_end(g, NULL);
			return;
		}
		if (r->kind == ROLL_RESTART) {
			struct child *old = group_find(g, r->olds[r->next]);
			if (!old || old->role != CHILD_WORKER) {
				r->next++;	/* gone: nothing to replace */
				continue;
			}
			port = old->port;
		}
		/* Looked up again: a new binary at the same path runs. */
		if (spawn_lookup(g->plan, err, sizeof err) < 0) {
			roll_end(g, err);
			return;
		}
		struct child *k = group_spawn(g, port, CHILD_NEW);
		if (!k) {
			roll_end(g, "a new worker could not be started");
			return;
		}
		r->fresh = k->pid;
		k->deadline_ms = k->started_ms + g->cfg->ready_ms;
		if (!g->cfg->ready_exec)
			return;		/* roll_on_ready, or roll_refuse */
		k->ready = 1;
		roll_advance(g, k);
	}
}

void roll_on_ready(struct group *g, struct child *k)
{
	struct roll *r = &g->roll;

	if (r->state != ROLL_WAITING || k->pid != r->fresh)
		return;
	roll_advance(g, k);
	roll_step(g);
}

void roll_refuse(struct group *g, struct child *k, const char *how)
{
	struct roll *r = &g->roll;
	char why[300];

	if (how)
		snprintf(why, sizeof why, "%s pid=%d %s before it was ready",
			 k->name, (int)k->pid, how);
	else
		snprintf(why, sizeof why, "%s pid=%d not ready after "
			 OPT_MS_FMT "s (--ready-timeout; --ready exec is for "
			 "programs that never notify)", k->name, (int)k->pid,
			 OPT_MS_ARGS(g->cfg->ready_ms));
	if (k->alive)
		group_retire(g, k);	/* SIGKILL at the kill timeout */
	if (r->state != ROLL_WAITING || k->pid != r->fresh)
		return;
	if (r->kind == ROLL_RESTART) {
		roll_end(g, why);
		return;
	}
	/* SIGTTIN: each port has its own try. */
	log_warn("SIGTTIN: %s; not added", why);
	r->fresh = 0;
	r->next++;
	roll_step(g);
}

void roll_request(struct group *g, int sig)
{
	struct roll *r = &g->roll;
	int busy = g->state == GROUP_STARTING || r->state != ROLL_IDLE;

	/* While reaping, the entry of the child just reaped is still in
	 * use: nothing is started then, group_reap resumes us after. */
	if (!busy && !g->reaping) {
		if (sig == SIGTTOU)
			roll_shrink(g);
		else
			roll_begin(g, sig == SIGHUP ? ROLL_RESTART : ROLL_GROW);
		return;
	}
	if (busy)
		log_info("%s: waits until the %s has ended", sig_name(sig),
			 g->state == GROUP_STARTING ? "start" :
			 r->kind == ROLL_RESTART ? "restart" : "SIGTTIN");
	r->want_restart |= sig == SIGHUP;
	r->want_grow += sig == SIGTTIN;
	r->want_shrink += sig == SIGTTOU;
}

void roll_resume(struct group *g)
{
	struct roll *r = &g->roll;

	if (g->state != GROUP_RUNNING || r->state != ROLL_IDLE || g->reaping)
		return;
	for (; r->want_shrink > 0; r->want_shrink--)
		roll_shrink(g);
	if (r->want_restart) {
		r->want_restart = 0;
		roll_begin(g, ROLL_RESTART);
	} else if (r->want_grow > 0) {
		r->want_grow--;
		roll_begin(g, ROLL_GROW);
	}
}

void roll_abort(struct group *g)
{
	struct roll *r = &g->roll;

	r->state = ROLL_IDLE;
	r->fresh = 0;
	r->want_restart = r->want_grow = r->want_shrink = 0;
}

void roll_free(struct roll *r)
{
	free(r->olds);
	r->olds = NULL;
}

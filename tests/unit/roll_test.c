/* roll: the table of roll.h, driven as the group drives it, on a made-up
 * group whose workers are a list of pids; each test compares the actions
 * taken, written one a line, with the ones it expects. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../../supervisor/roll.h"
#include "check.h"

#define MAXW 64

static struct fake {
	struct roll r;
	struct { pid_t pid; size_t port; long seq; int serving, alive; } w[MAXW];
	size_t nw, nports;
	long seq[4];
	pid_t next_pid;
	int ready_exec;		/* STARTED says ready */
	int cannot_start;	/* START is answered FAILED */
	long now;
	char trace[4096];
} f;

static void fake_init(size_t nports, int per_port)
{
	memset(&f, 0, sizeof f);
	roll_init(&f.r);
	f.nports = nports;
	f.next_pid = 100;
	for (size_t p = 0; p < nports; p++)
		for (int i = 0; i < per_port; i++)
			f.w[f.nw++] = (typeof(f.w[0])){ f.next_pid++, p,
							++f.seq[p], 1, 1 };
	f.next_pid = 200;
}

static void fake_facts(struct roll_event *e, struct roll_port *ports)
{
	memset(ports, 0, 4 * sizeof *ports);
	for (size_t i = 0; i < f.nw; i++) {
		struct roll_port *p = &ports[f.w[i].port];
		if (!f.w[i].alive || !f.w[i].serving)
			continue;
		if (!p->workers++ || f.w[i].seq < p->oldest_seq) {
			p->oldest = f.w[i].pid;
			p->oldest_seq = f.w[i].seq;
		}
		if (f.w[i].seq > p->newest_seq) {
			p->newest = f.w[i].pid;
			p->newest_seq = f.w[i].seq;
		}
	}
	e->nports = f.nports;
	e->ports = ports;
	e->now_ms = f.now;
}

static void fake_gone(pid_t pid)
{
	for (size_t i = 0; i < f.nw; i++)
		if (f.w[i].pid == pid)
			f.w[i].alive = 0;
}

static void fake_serves(pid_t pid)
{
	for (size_t i = 0; i < f.nw; i++)
		if (f.w[i].pid == pid)
			f.w[i].serving = 1;
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	size_t len = strlen(f.trace);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f.trace + len, sizeof f.trace - len, fmt, ap);
	va_end(ap);
}

static const char *const kinds[] = { "restart", "grow" };
static const char *const reqs[] = { "HUP", "TTIN", "TTOU" };

/* Carries a out as the group would; returns the answer. */
static struct roll_event fake_act(const struct roll_action *a)
{
	struct roll_event next = { .type = ROLL_EV_NEXT };

	switch (a->act) {
	case ROLL_DO_NOTHING:
		break;
	case ROLL_DO_WAITS:
		say("WAITS %s %s\n", reqs[a->req], a->what);
		break;
	case ROLL_DO_KEEP:
		say("KEEP %zu\n", a->port);
		break;
	case ROLL_DO_RETIRE:
		say("RETIRE %d on %zu, %zu left\n", (int)a->pid, a->port, a->n);
		fake_gone(a->pid);
		break;
	case ROLL_DO_SHRUNK:
		say("SHRUNK\n");
		break;
	case ROLL_DO_BEGIN:
		say("BEGIN %s of %zu\n", kinds[a->kind], a->of);
		break;
	case ROLL_DO_START:
		say("START on %zu for %d\n", a->port, (int)a->pid);
		if (f.cannot_start) {
			next.type = ROLL_EV_FAILED;
			next.why = "cannot";
			break;
		}
		f.w[f.nw] = (typeof(f.w[0])){ f.next_pid++, a->port,
					      ++f.seq[a->port], 0, 1 };
		next.type = ROLL_EV_STARTED;
		next.pid = f.w[f.nw++].pid;
		next.ready = f.ready_exec;
		break;
	case ROLL_DO_SERVE:
		say("SERVE %d for %d\n", (int)a->fresh, (int)a->pid);
		fake_serves(a->fresh);
		fake_gone(a->pid);
		break;
	case ROLL_DO_SKIP:
		say("SKIP %d on %zu: %s\n", (int)a->fresh, a->port, a->why);
		break;
	case ROLL_DO_END:
		say("END %s %zu of %zu%s%s\n", kinds[a->kind], a->n, a->of,
		    a->why ? ": " : "", a->why ? a->why : "");
		break;
	}
	return next;
}

/* Feeds e, and each answer, until the roll waits; then RESUME, as the
 * group does but in the middle of a reap (resume 0). */
static void feed(struct roll_event e, int resume)
{
	struct roll_port ports[4];

	for (;;) {
		fake_facts(&e, ports);
		struct roll_action a = roll_on(&f.r, &e);
		if (a.act == ROLL_DO_NOTHING) {
			if (!resume || e.type == ROLL_EV_RESUME)
				return;
			e = (struct roll_event){ .type = ROLL_EV_RESUME };
			continue;
		}
		e = fake_act(&a);
	}
}

static void ev(enum roll_event_type type, pid_t pid)
{
	feed((struct roll_event){ .type = type, .pid = pid, .why = "why" }, 1);
}

/* The trace since the last call is want. */
static int trace_is(const char *want)
{
	int same = strcmp(f.trace, want) == 0;

	if (!same)
		fprintf(stderr, "trace:\n%swanted:\n%s", f.trace, want);
	f.trace[0] = '\0';
	return same;
}

static void booted(size_t nports, int per_port)
{
	fake_init(nports, per_port);
	ev(ROLL_EV_BOOTED, 0);
}

static void test_restart_in_order(void)
{
	booted(2, 2);	/* port 0: 100 101, port 1: 102 103 */
	ev(ROLL_EV_HUP, 0);
	CHECK(trace_is("BEGIN restart of 4\nSTART on 0 for 100\n"));
	ev(ROLL_EV_READY, 999);	/* not the new one */
	CHECK(trace_is(""));
	f.now = 40;
	ev(ROLL_EV_READY, 200);
	CHECK(trace_is("SERVE 200 for 100\nSTART on 0 for 101\n"));
	ev(ROLL_EV_READY, 201);
	CHECK(trace_is("SERVE 201 for 101\nSTART on 1 for 102\n"));
	ev(ROLL_EV_READY, 202);
	f.now = 90;
	ev(ROLL_EV_READY, 203);
	ev(ROLL_EV_READY, 203);	/* twice: nothing more */
	CHECK(trace_is("SERVE 202 for 102\nSTART on 1 for 103\n"
		       "SERVE 203 for 103\nEND restart 4 of 4\n"));
	CHECK(strcmp(f.r.last, "replaced 4 of 4 in 90 ms") == 0);
	CHECK(f.r.state == ROLL_IDLE);
	/* Again: the replacements are the ones replaced now. */
	f.now = 100;
	ev(ROLL_EV_HUP, 0);
	CHECK(trace_is("BEGIN restart of 4\nSTART on 0 for 200\n"));
	f.now = 130;
	ev(ROLL_EV_READY, 204);
	CHECK(trace_is("SERVE 204 for 200\nSTART on 0 for 201\n"));
}

static void test_restart_ready_at_exec(void)
{
	booted(1, 3);
	f.ready_exec = 1;
	f.now = 7;
	ev(ROLL_EV_HUP, 0);
	CHECK(trace_is("BEGIN restart of 3\nSTART on 0 for 100\n"
		       "SERVE 200 for 100\nSTART on 0 for 101\n"
		       "SERVE 201 for 101\nSTART on 0 for 102\n"
		       "SERVE 202 for 102\nEND restart 3 of 3\n"));
	CHECK(strcmp(f.r.last, "replaced 3 of 3 in 0 ms") == 0);
}

static void test_restart_refused(void)
{
	/* A replacement that exits: the rest keep serving. */
	booted(1, 2);
	ev(ROLL_EV_HUP, 0);
	ev(ROLL_EV_READY, 200);
	CHECK(trace_is("BEGIN restart of 2\nSTART on 0 for 100\n"
		       "SERVE 200 for 100\nSTART on 0 for 101\n"));
	ev(ROLL_EV_ENDED, 201);
	CHECK(trace_is("END restart 1 of 2: why\n"));
	CHECK(strcmp(f.r.last, "refused after 1 of 2: why") == 0);
	CHECK(f.r.state == ROLL_IDLE);
	/* One that is late, the same. */
	booted(1, 1);
	ev(ROLL_EV_HUP, 0);
	ev(ROLL_EV_LATE, 999);
	CHECK(trace_is("BEGIN restart of 1\nSTART on 0 for 100\n"));
	ev(ROLL_EV_LATE, 200);
	CHECK(trace_is("END restart 0 of 1: why\n"));
	/* One that cannot be started. */
	f.cannot_start = 1;
	ev(ROLL_EV_HUP, 0);
	CHECK(trace_is("BEGIN restart of 1\nSTART on 0 for 100\n"
		       "END restart 0 of 1: cannot\n"));
	/* A later SIGHUP tries again. */
	f.cannot_start = 0;
	ev(ROLL_EV_HUP, 0);
	ev(ROLL_EV_READY, 201);
	CHECK(trace_is("BEGIN restart of 1\nSTART on 0 for 100\n"
		       "SERVE 201 for 100\nEND restart 1 of 1\n"));
}

static void test_hups_coalesce(void)
{
	booted(1, 1);
	ev(ROLL_EV_HUP, 0);
	ev(ROLL_EV_HUP, 0);
	ev(ROLL_EV_HUP, 0);
	ev(ROLL_EV_HUP, 0);
	CHECK(trace_is("BEGIN restart of 1\nSTART on 0 for 100\n"
		       "WAITS HUP restart\nWAITS HUP restart\n"
		       "WAITS HUP restart\n"));
	ev(ROLL_EV_READY, 200);
	CHECK(trace_is("SERVE 200 for 100\nEND restart 1 of 1\n"
		       "BEGIN restart of 1\nSTART on 0 for 200\n"));
	ev(ROLL_EV_READY, 201);
	CHECK(trace_is("SERVE 201 for 200\nEND restart 1 of 1\n"));
	/* Even after a refusal, the kept one follows. */
	ev(ROLL_EV_HUP, 0);
	ev(ROLL_EV_HUP, 0);
	ev(ROLL_EV_ENDED, 202);
	CHECK(trace_is("BEGIN restart of 1\nSTART on 0 for 201\n"
		       "WAITS HUP restart\nEND restart 0 of 1: why\n"
		       "BEGIN restart of 1\nSTART on 0 for 201\n"));
}

static void test_grow(void)
{
	booted(3, 1);
	ev(ROLL_EV_TTIN, 0);
	CHECK(trace_is("BEGIN grow of 3\nSTART on 0 for 0\n"));
	ev(ROLL_EV_READY, 200);
	CHECK(trace_is("SERVE 200 for 0\nSTART on 1 for 0\n"));
	/* Port 1's fails alone. */
	ev(ROLL_EV_ENDED, 201);
	CHECK(trace_is("SKIP 201 on 1: why\nSTART on 2 for 0\n"));
	ev(ROLL_EV_LATE, 202);
	CHECK(trace_is("SKIP 202 on 2: why\nEND grow 1 of 3\n"));
	CHECK(f.r.last[0] == '\0');	/* a grow is no restart */
	/* One that cannot be started ends it. */
	f.cannot_start = 1;
	ev(ROLL_EV_TTIN, 0);
	CHECK(trace_is("BEGIN grow of 3\nSTART on 0 for 0\n"
		       "END grow 0 of 3: cannot\n"));
}

static void test_shrink(void)
{
	booted(2, 1);
	ev(ROLL_EV_TTIN, 0);
	ev(ROLL_EV_READY, 200);
	ev(ROLL_EV_READY, 201);
	CHECK(trace_is("BEGIN grow of 2\nSTART on 0 for 0\n"
		       "SERVE 200 for 0\nSTART on 1 for 0\n"
		       "SERVE 201 for 0\nEND grow 2 of 2\n"));
	ev(ROLL_EV_TTOU, 0);
	CHECK(trace_is("RETIRE 200 on 0, 1 left\nRETIRE 201 on 1, 1 left\n"
		       "SHRUNK\n"));
	ev(ROLL_EV_TTOU, 0);
	CHECK(trace_is("KEEP 0\nKEEP 1\nSHRUNK\n"));
	CHECK(f.r.state == ROLL_IDLE);
}

static void test_kept_during_start(void)
{
	fake_init(2, 2);
	ev(ROLL_EV_HUP, 0);
	ev(ROLL_EV_TTOU, 0);
	ev(ROLL_EV_TTOU, 0);
	ev(ROLL_EV_TTIN, 0);
	ev(ROLL_EV_RESUME, 0);
	CHECK(trace_is("WAITS HUP start\nWAITS TTOU start\n"
		       "WAITS TTOU start\nWAITS TTIN start\n"));
	/* The SIGTTOUs first, then the restart, then the grow. */
	f.ready_exec = 1;
	ev(ROLL_EV_BOOTED, 0);
	CHECK(trace_is("RETIRE 101 on 0, 1 left\nRETIRE 103 on 1, 1 left\n"
		       "SHRUNK\nKEEP 0\nKEEP 1\nSHRUNK\n"
		       "BEGIN restart of 2\n"
		       "START on 0 for 100\nSERVE 200 for 100\n"
		       "START on 1 for 102\nSERVE 201 for 102\n"
		       "END restart 2 of 2\n"
		       "BEGIN grow of 2\n"
		       "START on 0 for 0\nSERVE 202 for 0\n"
		       "START on 1 for 0\nSERVE 203 for 0\n"
		       "END grow 2 of 2\n"));
}

static void test_kept_during_roll(void)
{
	booted(1, 1);
	ev(ROLL_EV_TTIN, 0);
	ev(ROLL_EV_TTIN, 0);
	ev(ROLL_EV_HUP, 0);
	ev(ROLL_EV_TTOU, 0);
	CHECK(trace_is("BEGIN grow of 1\nSTART on 0 for 0\n"
		       "WAITS TTIN SIGTTIN\nWAITS HUP SIGTTIN\n"
		       "WAITS TTOU SIGTTIN\n"));
	ev(ROLL_EV_READY, 200);
	CHECK(trace_is("SERVE 200 for 0\nEND grow 1 of 1\n"
		       "RETIRE 200 on 0, 1 left\nSHRUNK\n"
		       "BEGIN restart of 1\nSTART on 0 for 100\n"));
	ev(ROLL_EV_READY, 201);
	CHECK(trace_is("SERVE 201 for 100\nEND restart 1 of 1\n"
		       "BEGIN grow of 1\nSTART on 0 for 0\n"));
}

/* In the middle of a reap: kept, begun only at the RESUME after it. */
static void test_held_until_resume(void)
{
	booted(1, 1);
	feed((struct roll_event){ .type = ROLL_EV_HUP }, 0);
	feed((struct roll_event){ .type = ROLL_EV_TTOU }, 0);
	CHECK(trace_is(""));
	ev(ROLL_EV_RESUME, 0);
	CHECK(trace_is("KEEP 0\nSHRUNK\nBEGIN restart of 1\n"
		       "START on 0 for 100\n"));
	/* The new one's end in a reap: refused, the next waits too. */
	ev(ROLL_EV_HUP, 0);
	feed((struct roll_event){ .type = ROLL_EV_ENDED, .pid = 200,
				  .why = "gone" }, 0);
	CHECK(trace_is("WAITS HUP restart\nEND restart 0 of 1: gone\n"));
	ev(ROLL_EV_RESUME, 0);
	CHECK(trace_is("BEGIN restart of 1\nSTART on 0 for 100\n"));
}

static void test_stop(void)
{
	booted(1, 2);
	ev(ROLL_EV_HUP, 0);
	ev(ROLL_EV_HUP, 0);
	ev(ROLL_EV_TTIN, 0);
	CHECK(trace_is("BEGIN restart of 2\nSTART on 0 for 100\n"
		       "WAITS HUP restart\nWAITS TTIN restart\n"));
	ev(ROLL_EV_STOP, 0);
	ev(ROLL_EV_READY, 200);
	ev(ROLL_EV_ENDED, 200);
	ev(ROLL_EV_HUP, 0);
	ev(ROLL_EV_TTOU, 0);
	ev(ROLL_EV_RESUME, 0);
	ev(ROLL_EV_BOOTED, 0);
	CHECK(trace_is(""));
	CHECK(f.r.state == ROLL_OFF);
	/* Stopped while starting: the same. */
	fake_init(1, 1);
	ev(ROLL_EV_HUP, 0);
	ev(ROLL_EV_STOP, 0);
	ev(ROLL_EV_BOOTED, 0);
	CHECK(trace_is("WAITS HUP start\n"));
	CHECK(f.r.state == ROLL_OFF);
}

int main(void)
{
	test_restart_in_order();
	test_restart_ready_at_exec();
	test_restart_refused();
	test_hups_coalesce();
	test_grow();
	test_shrink();
	test_kept_during_start();
	test_kept_during_roll();
	test_held_until_resume();
	test_stop();
	return check_done();
}

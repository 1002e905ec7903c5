/* supervisor: bind the ports, fork the workers, and stop them all as soon
 * as one of them ends or a termination signal comes.  See supervisor(8). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../worker/lib/fdlimit.h"
#include "../worker/lib/log.h"
#include "../worker/lib/opt.h"
#include "../worker/lib/stdfd.h"
#include "config.h"
#include "loop.h"
#include "sockets.h"
#include "spawn.h"

/* Every child costs a pidfd for its life, and its start a status pipe for
 * a moment; a rolling restart runs one child more.  Checked before the
 * first fork, so that too low a limit is one clear line, not a failure
 * half-way through the start that stops everything again. */
static int main_check_fit(const struct config *c, long limit)
{
	long children = (long)c->nports * c->workers + (c->fail_after_ms >= 0);
	long in_use = fdlimit_in_use();
	long need = in_use + children + 3;

	if (limit < 0 || in_use < 0 || need <= limit)
		return 0;
	log_err("%ld children need %ld descriptors, %ld are open and the "
		"limit is %ld: raise it (ulimit -n, LimitNOFILE=) or ask for "
		"fewer workers", children, children + 3, in_use, limit);
	return -1;
}

static void main_log_start(const struct config *c, const struct spawn_plan *p)
{
	char ports[512], cmd[512];
	size_t n = 0;

	/* Each list cut at its buffer's size. */
	ports[0] = cmd[0] = '\0';
	for (size_t i = 0; i < c->nports && n < sizeof ports; i++)
		n += (size_t)snprintf(ports + n, sizeof ports - n, "%s%s",
				      i ? " " : "", c->ports[i].text);
	n = 0;
	for (size_t i = 0; p->argv[i] && n < sizeof cmd; i++)
		n += (size_t)snprintf(cmd + n, sizeof cmd - n, "%s%s",
				      i ? " " : "", p->argv[i]);
	log_info("starting: ports %s, %ld worker%s each, worker %s, ready on "
		 "%s, drain timeout " OPT_MS_FMT "s, kill timeout " OPT_MS_FMT
		 "s", ports, c->workers, c->workers == 1 ? "" : "s",
		 c->command ? cmd : p->worker,
		 c->ready_exec ? "exec" : "READY=1",
		 OPT_MS_ARGS(c->drain_ms), OPT_MS_ARGS(c->kill_ms));
}

int main(int argc, char **argv)
{
	static struct config c;
	static struct spawn_plan plan;
	static struct loop l;
	static int fds[CONFIG_PORTS_MAX];
	char err[256];
	int rc;

	if ((rc = config_parse(&c, argc, argv)) != CONFIG_GO_ON)
		return rc;
	if (stdfd_open() < 0)
		return 1;	/* nowhere to say so */
	log_init("supervisor", c.verbosity);
	long limit = fdlimit_raise();
	if ((rc = sockets_take(&c, fds)) != 0)
		return rc;
	if (loop_init(&l, &c) < 0)
		return 1;
	if (spawn_prepare(&plan, &c, argv[0], l.rx.name, err, sizeof err) < 0) {
		log_err("%s", err);
		return 1;
	}
	main_log_start(&c, &plan);
	if (c.kill_ms < c.drain_ms)
		log_warn("--kill-timeout " OPT_MS_FMT "s is below --drain-timeout "
			 OPT_MS_FMT "s: a worker still draining at the kill "
			 "timeout is SIGKILLed, and what it was answering is "
			 "lost", OPT_MS_ARGS(c.kill_ms), OPT_MS_ARGS(c.drain_ms));
	if (sockets_bind(&c, fds) < 0 || main_check_fit(&c, limit) < 0)
		return 1;
	sockets_store(&c, fds);	/* before READY=1 */
	/* A failed start has set status 1 and begun the stop: the loop
	 * still waits for whatever did start. */
	loop_start(&l, &plan, fds);
	rc = loop_run(&l);
	spawn_release(&plan);
	return rc;
}

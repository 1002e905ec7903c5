/* supervisor: bind the ports, fork the workers, and stop them all as soon
 * as one of them ends or a termination signal comes.  See supervisor(8). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../worker/listen.h"
#include "../worker/log.h"
#include "config.h"
#include "group.h"
#include "spawn.h"

/* With fd 0, 1 or 2 closed, the first socket we open would take its
 * number, and a worker would write its log into a client connection. */
static int std_fds_open(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		int null = open("/dev/null", O_RDWR);
		if (null < 0)
			return -1;
		if (null != fd)
			return -1;	/* lower ones are open: cannot happen */
	}
	return 0;
}

static int ports_open(struct config *c, int *fds)
{
	char err[256];

	for (size_t i = 0; i < c->nports; i++) {
		fds[i] = listen_open(&c->ports[i], err, sizeof err);
		if (fds[i] < 0) {
			log_err("%s", err);
			while (i-- > 0)
				close(fds[i]);
			return -1;
		}
	}
	return 0;
}

static void log_start(const struct config *c, const struct spawn_plan *p)
{
	char ports[512];
	size_t n = 0;

	ports[0] = '\0';
	for (size_t i = 0; i < c->nports && n < sizeof ports; i++)
		n += (size_t)snprintf(ports + n, sizeof ports - n, "%s%s",
				      i ? " " : "", c->ports[i].text);
	log_info("starting: ports %s, %ld worker%s each, worker %s, drain "
		 "timeout %ld.%03lds, kill timeout %ld.%03lds", ports,
		 c->workers, c->workers == 1 ? "" : "s", p->worker,
		 c->drain_ms / 1000, c->drain_ms % 1000, c->kill_ms / 1000,
		 c->kill_ms % 1000);
}

int main(int argc, char **argv)
{
	static struct config c;
	static struct spawn_plan plan;
	static struct group g;
	int fds[CONFIG_PORTS_MAX];
	char err[256];
	int rc;

	if ((rc = config_parse(&c, argc, argv)) != CONFIG_GO_ON)
		return rc;
	if (std_fds_open() < 0)
		return 1;
	log_init("supervisor", c.verbosity);
	if (group_init(&g, &c) < 0)
		return 1;
	if (spawn_prepare(&plan, &c, argv[0], err, sizeof err) < 0) {
		log_err("%s", err);
		return 1;
	}
	log_start(&c, &plan);
	if (ports_open(&c, fds) < 0)
		return 1;
	group_start(&g, &c, &plan, fds);
	rc = group_run(&g);
	spawn_release(&plan);
	return rc;
}

/* config: the supervisor's command line. */
#ifndef CONFIG_H
#define CONFIG_H

#include <stddef.h>

#include "../worker/lib/listen.h"

#define CONFIG_PORTS_MAX 64
#define CONFIG_WORKERS_MAX 1024

struct config {
	struct listen_addr ports[CONFIG_PORTS_MAX];
	size_t nports;
	int ports_default;	/* no --port given: 8888 and 8889 */
	/* The socket of ports[i] came from outside (LISTEN_FDS) or went to
	 * systemd's descriptor store: not ours to close the door of at the
	 * stop.  Filled by sockets.c. */
	unsigned char passed[CONFIG_PORTS_MAX];
	long workers;		/* per port */
	long fail_after_ms;	/* < 0: no failing child */
	long drain_ms;
	long kill_ms;
	const char *worker_path; /* NULL: look beside our own binary */
	char **command;		/* after "--": run exactly this, or NULL */
	int ready_exec;		/* --ready exec: ready once exec'd */
	long ready_ms;		/* --ready-timeout */
	int stop_signal;	/* what asks a worker to stop (SIGTERM) */
	long stop_delay_ms;	/* --stop-delay: 0, none */
	long watchdog_ms;	/* --watchdog: 0 off */
	const char *user;	/* NULL: do not change user */
	int verbosity;		/* -1 quiet, 0, 1 verbose */
};

/* Fills c from argv.  Returns CONFIG_GO_ON, or the status to exit with at
 * once: 0 after --help or --version, 2 after a usage error (already
 * reported on stderr). */
#define CONFIG_GO_ON (-1)
int config_parse(struct config *c, int argc, char **argv);

#endif

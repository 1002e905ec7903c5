/* worker: an HTTP/1.1 server that drains before it exits.  See worker(8). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "drain.h"
#include "heartbeat.h"
#include "lib/fdlimit.h"
#include "lib/listen.h"
#include "lib/listenfds.h"
#include "lib/log.h"
#include "lib/notify.h"
#include "lib/opt.h"
#include "server.h"
#include "lib/stdfd.h"


struct options {
	const char *port;
	int verbosity;
	struct server_config cfg;
};

enum {
	OPT_MAX_CONNECTIONS = 256, OPT_HEADER_TIMEOUT, OPT_IDLE_TIMEOUT,
	OPT_IDLE_GRACE, OPT_MAX_EVENTS,
};

static const struct option long_options[] = {
	{ "port", required_argument, NULL, 'p' },
	{ "drain-timeout", required_argument, NULL, 'd' },
	{ "max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS },
	{ "header-timeout", required_argument, NULL, OPT_HEADER_TIMEOUT },
	{ "idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT },
	{ "idle-grace", required_argument, NULL, OPT_IDLE_GRACE },
	{ "max-events", required_argument, NULL, OPT_MAX_EVENTS },
	{ "stop-delay", required_argument, NULL, 's' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: worker [-p [ADDR:]PORT] [-d SECONDS] "
		"[--max-connections N]\n"
		"              [--header-timeout SECONDS] "
		"[--idle-timeout SECONDS]\n"
		"              [--idle-grace SECONDS] [--max-events N]\n"
		"              [-s SECONDS] [-q | -v] [-h] [-V]\n"
		"  -p, --port [ADDR:]PORT     listen there unless a socket is "
		"passed (8888)\n"
		"  -d, --drain-timeout SECS   how long a drain may take (5)\n"
		"      --max-connections N    refuse clients beyond N (10000)\n"
		"      --max-events N         /event beyond N pending: 503 (10000)\n"
		"      --header-timeout SECS  408 without a whole head (10)\n"
		"      --idle-timeout SECS    close idle keep-alive (60)\n"
		"      --idle-grace SECS      draining, how long an idle one may\n"
		"                             still send a request (0.5)\n"
		"  -s, --stop-delay SECS      on SIGTERM/SIGQUIT, serve on this "
		"long,\n"
		"                             /healthz 503, before the drain (0)\n"
		"  -q, --quiet / -v, --verbose  less / more logging\n"
		"  -h, --help / -V, --version\n");
}

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "worker: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'worker --help' for more information.\n");
	return 2;
}

static int seconds_flag(const char *name, const char *arg, long *ms)
{
	int rc = opt_seconds(arg, ms);

	if (rc == 0)
		return 0;
	fprintf(stderr, "worker: %s: '%s' %s\n", name, arg, opt_seconds_why(rc));
	return -1;
}

/* Returns -1 to go on, else the exit status (0 after --help/--version). */
static int parse_options(int argc, char **argv, struct options *o)
{
	char err[200];
	int ch;
	long ms;

	while ((ch = getopt_long(argc, argv, "p:d:s:qvhV", long_options,
				 NULL)) != -1) {
		switch (ch) {
		case 'p':
			o->port = optarg;
			break;
		case 'd':
			if (seconds_flag("--drain-timeout", optarg,
					 &o->cfg.drain_timeout_ms) < 0)
				goto usage;
			break;
		case 's':
			if (opt_stop_delay(optarg, &o->cfg.stop_delay_ms, err,
					   sizeof err) < 0)
				return usage_error("%s", err);
			break;
		case OPT_HEADER_TIMEOUT:
		case OPT_IDLE_TIMEOUT:
			if (seconds_flag(ch == OPT_IDLE_TIMEOUT ?
					 "--idle-timeout" : "--header-timeout",
					 optarg, &ms) < 0)
				goto usage;
			if (ms == 0)
				return usage_error("%s: must be above 0",
						   ch == OPT_IDLE_TIMEOUT ?
						   "--idle-timeout" :
						   "--header-timeout");
			if (ch == OPT_IDLE_TIMEOUT)
				o->cfg.conn.idle_timeout_ms = ms;
			else
				o->cfg.conn.header_timeout_ms = ms;
			break;
		case OPT_IDLE_GRACE:
			if (seconds_flag("--idle-grace", optarg,
					 &o->cfg.conn.idle_grace_ms) < 0)
				goto usage;
			break;
		case OPT_MAX_EVENTS:
			if (opt_long(optarg, 1, 10000000,
				     &o->cfg.max_events) < 0)
				return usage_error("--max-events: '%s' is not a "
						   "number from 1 to 10000000",
						   optarg);
			break;
		case OPT_MAX_CONNECTIONS:
			if (opt_long(optarg, 1, 10000000,
				     &o->cfg.max_connections) < 0)
				return usage_error("--max-connections: '%s' is "
						   "not a number from 1 to "
						   "10000000", optarg);
			break;
		case 'q':
			o->verbosity = -1;
			break;
		case 'v':
			o->verbosity = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("worker %s\n", VERSION);
			return 0;
		default:
			goto usage;	/* getopt named the problem */
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	return -1;
usage:
	fprintf(stderr, "Try 'worker --help' for more information.\n");
	return 2;
}

/* The socket systemd (or the supervisor) passed as fd 3, -1 when none
 * was passed, -2 after a bad one (logged). */
static int inherited_socket(void)
{
	struct listenfds lf;
	char err[256];

	if (listenfds_read(&lf, err, sizeof err) < 0) {
		log_err("%s", err);
		return -2;
	}
	if (lf.n > 1) {
		log_err("LISTEN_FDS=%zu: a worker serves one socket", lf.n);
		return -2;
	}
	return lf.n ? LISTENFDS_START : -1;
}

/* The passed socket, or one bound here; *owned says which. */
static int open_socket(const struct options *o, int *owned)
{
	struct listen_addr a;
	char err[256];
	int fd = inherited_socket();

	*owned = fd < 0;
	if (fd >= 0) {
		log_info("serving on the passed socket (fd 3)");
		return fd;
	}
	if (fd == -2)
		return -1;
	if (listen_parse(o->port, &a, err, sizeof err) < 0 ||
	    (fd = listen_open(&a, err, sizeof err)) < 0) {
		log_err("%s", err);
		return -1;
	}
	log_info("listening on %s", a.text);
	return fd;
}

static void log_summary(const struct server *s)
{
	int lost = s->abandoned_requests || s->abandoned_events;

	log_msg(lost ? LOG_LEVEL_WARN : LOG_LEVEL_NOTICE,
		"stopped: answered=%lu abandoned_requests=%lu "
		"abandoned_events=%lu refused=%lu uptime=%lds", s->conns.answered,
		s->abandoned_requests, s->abandoned_events, s->refused,
		(long)(time(NULL) - s->started));
}

/* Under the supervisor, say which worker speaks. */
static void log_tag_child(void)
{
	const char *name = getenv("WORKER_NAME");

	if (!name)
		return;
	log_set_tag(name);
	unsetenv("WORKER_NAME");
}

int main(int argc, char **argv)
{
	static struct server srv;
	static struct heartbeat beat;
	struct options o = {
		.port = "8888",
		.cfg = { .drain_timeout_ms = 5000,
			 .conn = { .header_timeout_ms = 10000,
				   .idle_timeout_ms = 60000,
				   .idle_grace_ms = 500 },
			 .max_connections = 10000, .max_events = 10000 },
	};
	int status, fd;

	if (stdfd_open() < 0)
		return 1;	/* nowhere to say so */
	status = parse_options(argc, argv, &o);
	if (status >= 0)
		return status;
	log_init(argv[0], o.verbosity);
	log_tag_child();
	fdlimit_raise();	/* --max-connections is 10000 by default */
	signal(SIGPIPE, SIG_IGN);	/* and MSG_NOSIGNAL on every send */
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
	srv.cfg = o.cfg;
	srv.started = time(NULL);
	srv.signals.fd = -1;
	/* Signals first: a SIGHUP or SIGTERM sent as soon as the port
	 * accepts must find them handled, not their default action. */
	if (loop_init(&srv.loop) < 0 || server_init(&srv) < 0 ||
	    drain_watch_signals(&srv) < 0) {
		log_err("cannot start: %s", strerror(errno));
		return 1;
	}
	fd = open_socket(&o, &srv.owns_listener);
	if (fd < 0)
		return 1;
	if (server_listen(&srv, fd) < 0) {
		log_err("cannot start: %s", strerror(errno));
		return 1;
	}
	/* The socket listens and is watched: serving from here on. */
	notify_send("READY=1");
	if (heartbeat_start(&beat, &srv.loop) < 0)
		return 1;
	srv.exit_status = loop_run(&srv.loop) < 0 ? 1 : srv.exit_status;
	server_count_abandoned(&srv);
	log_summary(&srv);
	server_free(&srv);
	return srv.exit_status;
}

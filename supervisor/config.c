/* config: the supervisor's flags, parsed strictly (config.h). */
#include "config.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "../worker/lib/opt.h"
#include "../worker/lib/sig.h"

#define NSIG_STANDARD 32	/* 32 and 33 are glibc's, then real-time */
#define CONFIG_OPT_WATCHDOG 256	/* a long option only: no letter */

static const char usage_text[] =
"usage: supervisor [-p [ADDR:]PORT]... [-w N] [-f SECONDS] [-d SECONDS]\n"
"                  [-k SECONDS] [-s SECONDS] [--watchdog SECONDS]\n"
"                  [-W PATH] [-r notify|exec] [-t SECONDS]\n"
"                  [--stop-signal SIG] [-u NAME] [-q | -v] [-h] [-V]\n"
"                  [-- COMMAND [ARG]...]\n";

static const char help_text[] =
"Run HTTP worker processes as one group: when one exits, all stop.\n"
"\n"
"  -p, --port [ADDR:]PORT     serve HTTP on PORT (repeatable; ADDR is IPv4 or\n"
"                             [IPv6], all addresses when omitted)\n"
"                             default: 8888 and 8889\n"
"  -w, --workers N            worker processes per port (default 1)\n"
"  -f, --fail-after SECONDS   also run a child that exits 1 after SECONDS\n"
"  -d, --drain-timeout SECONDS  handed to every worker (default 5)\n"
"  -k, --kill-timeout SECONDS after SIGTERM, wait this long, then SIGKILL\n"
"                             (default: drain timeout + 5)\n"
"  -s, --stop-delay SECONDS   on SIGTERM/SIGQUIT, serve on this long (for a\n"
"                             load balancer to notice), then stop (default 0)\n"
"      --watchdog SECONDS     a ready worker must say WATCHDOG=1 this often,\n"
"                             or it is aborted as hung (needs --ready notify)\n"
"  -W, --worker PATH          the worker program, given --drain-timeout and\n"
"                             -q/-v (default: worker beside this binary,\n"
"                             ../worker/worker, then PATH)\n"
"  -- COMMAND [ARG]...        instead of -W: any program that takes its\n"
"                             socket by LISTEN_FDS, run with these arguments\n"
"  -r, --ready notify|exec    a worker is ready when it sends READY=1 to\n"
"                             NOTIFY_SOCKET (default), or once it exec'd\n"
"  -t, --ready-timeout SECONDS  how long a worker may take to be ready (30)\n"
"      --stop-signal SIG      asks a worker to stop (default TERM; QUIT for\n"
"                             unicorn, INT for lighttpd)\n"
"  -u, --user NAME            run the children as NAME and its groups\n"
"  -q, --quiet                log warnings and errors only\n"
"  -v, --verbose              log debugging detail too\n"
"  -h, --help                 print this help and exit\n"
"  -V, --version              print the version and exit\n"
"\n"
"SECONDS may have decimals (0.5).  See supervisor(8).\n";

static const struct option config_options[] = {
	{ "port", required_argument, NULL, 'p' },
	{ "workers", required_argument, NULL, 'w' },
	{ "fail-after", required_argument, NULL, 'f' },
	{ "drain-timeout", required_argument, NULL, 'd' },
	{ "kill-timeout", required_argument, NULL, 'k' },
	{ "stop-delay", required_argument, NULL, 's' },
	{ "worker", required_argument, NULL, 'W' },
	{ "ready", required_argument, NULL, 'r' },
	{ "ready-timeout", required_argument, NULL, 't' },
	{ "stop-signal", required_argument, NULL, 'S' },
	{ "watchdog", required_argument, NULL, CONFIG_OPT_WATCHDOG },
	{ "user", required_argument, NULL, 'u' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static int config_usage_error(const char *fmt, const char *arg)
{
	fputs("supervisor: ", stderr);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	fputs(usage_text, stderr);
	fputs("Try 'supervisor --help' for more information.\n", stderr);
	return 2;
}

static int config_add_port(struct config *c, const char *arg)
{
	char err[160];

	if (c->nports == CONFIG_PORTS_MAX)
		return config_usage_error("too many ports (the limit is 64): %s",
					  arg);
	struct listen_addr *a = &c->ports[c->nports];

	if (listen_parse(arg, a, err, sizeof err) < 0)
		return config_usage_error("--port: %s", err);
	for (size_t i = 0; i < c->nports; i++)
		if (c->ports[i].len == a->len &&
		    !memcmp(&c->ports[i].ss, &a->ss, a->len))
			return config_usage_error("--port: %s is given twice",
						  a->text);
	c->nports++;
	return 0;
}

/* Signals that cannot ask a process to stop and drain: KILL and STOP
 * cannot be caught, CONT and CHLD are ignored by default. */
static int config_stop_signal_ok(int sig)
{
	return sig != SIGKILL && sig != SIGSTOP && sig != SIGCONT &&
	       sig != SIGCHLD && (sig < NSIG_STANDARD || sig >= SIGRTMIN);
}

/* "QUIT", "SIGQUIT" or a number. */
static int config_signal(const char *arg, int *sig)
{
	*sig = sig_number(arg);
	return *sig > 0 && config_stop_signal_ok(*sig) ? 0 : -1;
}

/* A SECONDS value for the flag called name: 0, or 2 (said why). */
static int config_seconds(const char *name, const char *arg, long *ms)
{
	char msg[200];
	int rc = opt_seconds(arg, ms);

	if (rc == 0)
		return 0;
	snprintf(msg, sizeof msg, "%s: '%s' %s", name, arg, opt_seconds_why(rc));
	return config_usage_error("%s", msg);
}

static int config_option(struct config *c, int opt, const char *arg)
{
	char msg[200];

	switch (opt) {
	case 'p':
		return config_add_port(c, arg);
	case 'w':
		if (opt_long(arg, 1, CONFIG_WORKERS_MAX, &c->workers) < 0)
			return config_usage_error("--workers: '%s' is not a "
						  "number from 1 to 1024", arg);
		return 0;
	case 'f':
		return config_seconds("--fail-after", arg, &c->fail_after_ms);
	case 'd':
		return config_seconds("--drain-timeout", arg, &c->drain_ms);
	case 'k':
		return config_seconds("--kill-timeout", arg, &c->kill_ms);
	case 's':
		if (opt_stop_delay(arg, &c->stop_delay_ms, msg, sizeof msg) < 0)
			return config_usage_error("%s", msg);
		return 0;
	case 'W':
		if (arg[0] == '\0')
			return config_usage_error("--worker: %s", "empty path");
		c->worker_path = arg;
		return 0;
	case 'r':
		if (strcmp(arg, "notify") && strcmp(arg, "exec"))
			return config_usage_error("--ready: '%s' is neither "
						  "notify nor exec", arg);
		c->ready_exec = !strcmp(arg, "exec");
		return 0;
	case 't':
		if (config_seconds("--ready-timeout", arg, &c->ready_ms))
			return 2;
		if (c->ready_ms == 0)
			return config_usage_error("--ready-timeout: '%s' is not "
						  "above 0", arg);
		return 0;
	case 'S':
		if (config_signal(arg, &c->stop_signal) < 0)
			return config_usage_error("--stop-signal: '%s' is not a "
						  "signal that asks a process to "
						  "stop (TERM, QUIT, INT, ...)",
						  arg);
		return 0;
	case CONFIG_OPT_WATCHDOG:
		if (config_seconds("--watchdog", arg, &c->watchdog_ms))
			return 2;
		if (c->watchdog_ms == 0)
			return config_usage_error("--watchdog: '%s' is not "
						  "above 0", arg);
		return 0;
	case 'u':
		if (arg[0] == '\0')
			return config_usage_error("--user: %s", "empty name");
		c->user = arg;
		return 0;
	case 'q':
		c->verbosity = -1;
		return 0;
	case 'v':
		c->verbosity = 1;
		return 0;
	}
	return 2;	/* getopt_long has printed what was wrong */
}

int config_parse(struct config *c, int argc, char **argv)
{
	const char *value = NULL;	/* the last option's value */
	int opt, rc, dashdash;

	memset(c, 0, sizeof *c);
	c->workers = 1;
	c->fail_after_ms = -1;
	c->drain_ms = 5000;
	c->kill_ms = -1;
	c->ready_ms = 30000;
	c->stop_signal = SIGTERM;
	opterr = 0;
	/* "+": the options end at the first word that is none, so that a
	 * COMMAND's own flags are never taken for ours. */
	while ((opt = getopt_long(argc, argv, "+:p:w:f:d:k:s:W:r:t:u:qvhV",
				  config_options, NULL)) != -1) {
		if (opt == 'h') {
			fputs(usage_text, stdout);
			fputs(help_text, stdout);
			return fflush(stdout) == 0 ? 0 : 1;
		}
		if (opt == 'V') {
			puts("supervisor " VERSION);
			return fflush(stdout) == 0 ? 0 : 1;
		}
		if (opt == '?' || opt == ':') {
			/* optopt names a short option; for a long one it is 0
			 * (unknown) or the option's code (no value), and the
			 * word is argv[optind - 1]. */
			char shortopt[3] = { '-', (char)optopt, '\0' };
			int is_long = !strncmp(argv[optind - 1], "--", 2);
			return config_usage_error(opt == '?' ?
				"unknown option '%s'" :
				"option '%s' needs a value",
				optopt && !is_long ? shortopt : argv[optind - 1]);
		}
		if ((rc = config_option(c, opt, optarg)) != 0)
			return rc;
		value = optarg;
	}
	/* "--" ended the options, unless it was an option's value (-u --):
	 * optarg points into argv. */
	dashdash = optind > 1 && !strcmp(argv[optind - 1], "--") &&
		   argv[optind - 1] != value;
	if (optind < argc && !dashdash)
		return config_usage_error("unexpected argument '%s' (a command "
					  "goes after --)", argv[optind]);
	if (optind < argc)
		c->command = argv + optind;
	if (optind == argc && dashdash)
		return config_usage_error("%s", "no COMMAND after --");
	if (c->command && c->worker_path)
		return config_usage_error("%s", "--worker and a COMMAND after "
					  "-- exclude each other");
	if (c->watchdog_ms && c->ready_exec)
		return config_usage_error("%s", "--watchdog needs --ready "
					  "notify: a worker that never "
					  "notifies cannot say WATCHDOG=1");
	if (c->nports == 0) {
		c->ports_default = 1;	/* passed sockets replace them */
		config_add_port(c, "8888");
		config_add_port(c, "8889");
	}
	if (c->kill_ms < 0)
		c->kill_ms = c->drain_ms + 5000;
	/* A built-in worker given --stop-delay takes SIGTERM for the start
	 * of its delay: the drain, and a retirement, are asked by SIGINT. */
	if (c->stop_delay_ms > 0 && !c->command)
		c->stop_signal = SIGINT;
	return CONFIG_GO_ON;
}

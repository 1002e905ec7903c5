/* spawn: start the group's children.  A child gets nothing of the parent
 * but its own listening socket (as fd 3, systemd's socket-passing
 * protocol), default signal handling, a process group of its own, SIGTERM
 * if the supervisor dies, and optionally another user. */
#ifndef SPAWN_H
#define SPAWN_H

#include <stddef.h>
#include <sys/types.h>

#include "../worker/lib/listen.h"
#include "config.h"

struct spawn_plan {
	char **argv;		/* the worker's command line: wargv, or the
				   COMMAND given after "--" */
	char *wargv[8];
	char **envp;		/* environ without LISTEN_*, NOTIFY_SOCKET, WORKER_* */
	char listen_pid[32];	/* "LISTEN_PID=", the child writes its pid */
	char worker_name[128];	/* "WORKER_NAME=worker:8888#1" */
	char worker_addr[64];	/* "WORKER_ADDR=127.0.0.1" */
	char worker_port[24];	/* "WORKER_PORT=8888" */
	char notify[32];	/* "NOTIFY_SOCKET=@...", the supervisor's own */
	char watchdog_usec[40];	/* "WATCHDOG_USEC=N", under --watchdog */
	char watchdog_pid[32];	/* "WATCHDOG_PID=", the child writes its pid */
	int use_pidfd;
	int verbosity;		/* for the failing child's own log line */
	int as_user;		/* 0: keep the supervisor's user */
	uid_t uid;
	gid_t gid;
	gid_t *groups;
	int ngroups;
	char worker[4200];	/* resolved path: PATH_MAX and a suffix */
	const char *want;	/* what to look up: -W, COMMAND, or NULL */
	const char *self;	/* our argv[0] */
	char drain[32];
	char delay[32];		/* --stop-delay, the worker's backstop */
};

/* Resolves the worker and the user, builds argv and the environment;
 * notify names the socket the children report readiness on.  Returns 0,
 * or -1 with the reason in err. */
int spawn_prepare(struct spawn_plan *p, const struct config *c,
		  const char *self, const char *notify, char *err,
		  size_t errlen);
void spawn_release(struct spawn_plan *p);

/* Looks the worker program up again (a rolling restart runs the binary
 * installed at that path now).  Returns 0, or -1 with the reason in err. */
int spawn_lookup(struct spawn_plan *p, char *err, size_t errlen);

/* Fork and exec the worker called name on listen_fd, bound to a.  Returns
 * its pid (and its pidfd in *pidfd, -1 without pidfds) once the exec has
 * succeeded, or -1 with the reason in err; a child that failed before
 * exec has been reaped. */
pid_t spawn_worker(struct spawn_plan *p, const char *name,
		   const struct listen_addr *a, int listen_fd, int *pidfd,
		   char *err, size_t errlen);

/* Fork the failing child: it exits 1 after ms, or 0 when SIGTERM comes
 * first.  Returns its pid, or -1 with the reason in err. */
pid_t spawn_failer(struct spawn_plan *p, long ms, int *pidfd,
		   char *err, size_t errlen);

#endif

/* holder: the owner of a listening socket who lends it to a worker, as
 * systemd's socket activation or any LISTEN_FDS parent does, and then wants
 * it back.
 *
 *   holder [-r N | -s] PORT PROGRAM [ARG]...
 *
 * Binds 127.0.0.1:PORT, runs PROGRAM with the socket as fd 3 (LISTEN_FDS=1,
 * LISTEN_PID), waits until it answers "GET /", sends it SIGTERM and reaps
 * it, then connects to PORT itself and accepts that connection on its own
 * copy of the socket.  Prints "worker exited N", then "connect ok" or
 * "connect failed: why", then "accept ok" or "accept timed out"; exits 0
 * only when the socket still works for its owner.
 *
 * With -r N, before that, N restarts: SIGTERM, reap, a request sent into
 * the accept queue while nobody serves it, PROGRAM run again on the same
 * socket; prints "restart K: exited N, queued request answered" (or
 * "... unanswered") once the new one answered the queued request.
 *
 * With -s (for tests/bench-restart.sh), the restarts are asked for: one
 * per SIGHUP, as above, until a SIGTERM, which ends with the checks
 * above. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define WAIT_MS 3000	/* the kernel's first SYN retry is at 1 s */

static struct sockaddr_in addr;

static int wait_fd(int fd, short events, int ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	int r;

	while ((r = poll(&p, 1, ms)) < 0 && errno == EINTR)
		;
	return r;
}

/* A non-blocking connect bounded by WAIT_MS: a dropped SYN would block a
 * plain connect for minutes.  Returns the fd or -1. */
static int dial(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int err = 0;
	socklen_t len = sizeof err;

	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0)
		return fd;
	if (errno == EINPROGRESS && wait_fd(fd, POLLOUT, WAIT_MS) == 1 &&
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && !err)
		return fd;
	errno = err ? err : ETIMEDOUT;
	close(fd);
	return -1;
}

/* Whether the worker answers GET / with a status line. */
static int answers(void)
{
	static const char req[] = "GET / HTTP/1.0\r\n\r\n";
	char buf[16];
	int fd = dial(), ok = 0;

	if (fd < 0)
		return 0;
	if (send(fd, req, sizeof req - 1, MSG_NOSIGNAL) == sizeof req - 1 &&
	    wait_fd(fd, POLLIN, 100) == 1)
		ok = recv(fd, buf, sizeof buf, 0) > 8 && !memcmp(buf, "HTTP/1.", 7);
	close(fd);
	return ok;
}

/* SIGTERM, reaped; returns its status as a shell says it. */
static int stop(pid_t worker)
{
	int ws;

	kill(worker, SIGTERM);
	while (waitpid(worker, &ws, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
}

static pid_t lend(int lfd, char **argv)
{
	char pid[32];
	pid_t p = fork();

	if (p != 0)
		return p;
	/* dup2 onto itself would keep close-on-exec. */
	sigset_t none;
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) < 0 ||
	    (lfd == 3 ? fcntl(3, F_SETFD, 0) < 0 : dup2(lfd, 3) < 0))
		_exit(126);
	snprintf(pid, sizeof pid, "%d", (int)getpid());
	setenv("LISTEN_PID", pid, 1);
	setenv("LISTEN_FDS", "1", 1);
	execvp(argv[0], argv);
	perror(argv[0]);
	_exit(127);
}

/* Whether worker answers GET / within about 10 s (the first start). */
static int comes_up(pid_t worker)
{
	int ws, i;

	for (i = 0; i < 500 && waitpid(worker, &ws, WNOHANG) == 0 &&
		    !answers(); i++)
		usleep(20000);
	return i < 500 && waitpid(worker, &ws, WNOHANG) == 0;
}

/* One restart with a request waiting in the queue meanwhile; returns the
 * new worker, or -1. */
static pid_t restart(int lfd, char **argv, pid_t worker, int k)
{
	static const char req[] = "GET / HTTP/1.0\r\n\r\n";
	char buf[16];
	int code = stop(worker), fd = dial(), ok;

	if (fd < 0 || send(fd, req, sizeof req - 1, MSG_NOSIGNAL) !=
		      (ssize_t)sizeof req - 1) {
		printf("restart %d: exited %d, cannot queue a request: %s\n",
		       k, code, strerror(errno));
		return -1;
	}
	if ((worker = lend(lfd, argv)) < 0)
		return -1;
	ok = wait_fd(fd, POLLIN, 10000) == 1 &&
	     recv(fd, buf, sizeof buf, 0) > 8 && !memcmp(buf, "HTTP/1.", 7);
	close(fd);
	printf("restart %d: exited %d, queued request %s\n", k, code,
	       ok ? "answered" : "unanswered");
	fflush(stdout);
	if (!ok) {
		stop(worker);
		return -1;
	}
	return worker;
}

/* -s: a restart per SIGHUP until SIGTERM; returns the worker or -1. */
static pid_t restart_on_hup(int lfd, char **argv, pid_t worker,
			    const sigset_t *set)
{
	int sig, k = 0;

	while (worker > 0 && (sig = sigwaitinfo(set, NULL)) != SIGTERM)
		if (sig == SIGHUP)
			worker = restart(lfd, argv, worker, ++k);
	return worker;
}

int main(int argc, char **argv)
{
	int lfd, one = 1, cfd, afd, restarts = 0, on_hup = 0;
	pid_t worker;
	sigset_t set;

	if (argc > 2 && !strcmp(argv[1], "-r")) {
		restarts = atoi(argv[2]);
		argv += 2;
		argc -= 2;
	} else if (argc > 1 && !strcmp(argv[1], "-s")) {
		on_hup = 1;
		argv++;
		argc--;
	}
	if (argc < 3) {
		fprintf(stderr, "usage: holder [-r N | -s] PORT PROGRAM [ARG]...\n");
		return 2;
	}
	/* Taken by sigwaitinfo; the programs get an empty mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	if (on_hup && sigprocmask(SIG_BLOCK, &set, NULL) < 0) {
		perror("holder: sigprocmask");
		return 2;
	}
	addr.sin_family = AF_INET;
	addr.sin_port = htons((unsigned short)atoi(argv[1]));
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lfd < 0 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(lfd, (struct sockaddr *)&addr, sizeof addr) < 0 ||
	    listen(lfd, 64) < 0) {
		perror("holder: listen");
		return 2;
	}
	if ((worker = lend(lfd, argv + 2)) < 0) {
		perror("holder: fork");
		return 2;
	}
	/* The worker answers within milliseconds. */
	if (!comes_up(worker)) {
		fprintf(stderr, "holder: the worker never answered\n");
		kill(worker, SIGKILL);
		return 2;
	}
	for (int k = 1; k <= restarts; k++)
		if ((worker = restart(lfd, argv + 2, worker, k)) < 0)
			return 1;
	if (on_hup && (worker = restart_on_hup(lfd, argv + 2, worker, &set)) < 0)
		return 1;
	printf("worker exited %d\n", stop(worker));
	if ((cfd = dial()) < 0) {
		printf("connect failed: %s\n", strerror(errno));
		return 1;
	}
	printf("connect ok\n");
	if (wait_fd(lfd, POLLIN, WAIT_MS) != 1 ||
	    (afd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) < 0) {
		printf("accept timed out\n");
		return 1;
	}
	printf("accept ok\n");
	close(afd);
	close(cfd);
	return 0;
}

/* lifecycle: time a server's start, stop or cascade, COUNT times.
 *
 *   lifecycle stop|cascade COUNT SIGNAL PORT[,PORT...] -- COMMAND [ARG...]
 *
 * Each round forks COMMAND and measures, with CLOCK_MONOTONIC:
 *   listen  fork -> every PORT on 127.0.0.1 accepts a connection (connect
 *           retried every 100 us);
 *   serve   fork -> every PORT has answered "GET /" with a status line;
 * then, the probe connections closed (the server is idle):
 *   stop     SIGNAL to COMMAND -> COMMAND reaped;
 *   cascade  SIGKILL to COMMAND's first child (a worker) -> COMMAND reaped
 *            (SIGNAL is then only used to clean up).
 * Prints one line per measure: NAME MEDIAN MIN MAX, in ms; the status
 * COMMAND exited with goes to stderr.  Exits 1 when a round fails or takes
 * over 10 s: the child is then killed, never left behind. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_PORTS 8
#define MAX_ROUNDS 1000
#define ROUND_LIMIT_S 10

static volatile sig_atomic_t timed_out;

static void on_alarm(int sig)
{
	(void)sig;
	timed_out = 1;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void report(const char *name, double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	double med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	printf("%s %.3f %.3f %.3f\n", name, med, v[0], v[n - 1]);
}

static int connect_port(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct timeval tv = { .tv_sec = 2 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	return fd;
}

static int ask(int fd)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
	char buf[16];

	if (write(fd, req, sizeof req - 1) != (ssize_t)sizeof req - 1)
		return -1;
	return read(fd, buf, sizeof buf) > 0 &&
	       memcmp(buf, "HTTP/1.", 7) == 0 ? 0 : -1;
}

/* The first pid in /proc/PID/task/PID/children, or -1. */
static pid_t first_child(pid_t pid)
{
	char path[64];
	long child = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)pid,
		 (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &child) != 1)
		child = -1;
	fclose(f);
	return (pid_t)child;
}

static int parse_ports(char *s, int *ports)
{
	int n = 0;

	for (char *tok = strtok(s, ","); tok; tok = strtok(NULL, ",")) {
		if (n == MAX_PORTS || (ports[n] = atoi(tok)) <= 0)
			return -1;
		n++;
	}
	return n;
}

static int usage(void)
{
	fprintf(stderr, "usage: lifecycle stop|cascade COUNT SIGNAL "
		"PORT[,PORT...] -- COMMAND [ARG...]\n");
	return 2;
}

int main(int argc, char **argv)
{
	static double t_listen[MAX_ROUNDS], t_serve[MAX_ROUNDS],
		      t_end[MAX_ROUNDS];
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
	const struct timespec pause_100us = { 0, 100000 };
	int ports[MAX_PORTS], fds[MAX_PORTS], nports, rounds, sig, cascade;

	if (argc < 7 || strcmp(argv[5], "--") != 0)
		return usage();
	cascade = strcmp(argv[1], "cascade") == 0;
	if (!cascade && strcmp(argv[1], "stop") != 0)
		return usage();
	rounds = atoi(argv[2]);
	sig = atoi(argv[3]);
	nports = parse_ports(argv[4], ports);
	if (rounds < 1 || rounds > MAX_ROUNDS || sig < 1 || nports < 1)
		return usage();
	sigaction(SIGALRM, &sa, NULL);

	for (int r = 0; r < rounds; r++) {
		int status, up = 0;
		double t0 = now_ms(), t1;
		pid_t pid = fork();

		if (pid < 0) {
			perror("lifecycle: fork");
			return 1;
		}
		if (pid == 0) {
			dup2(2, 1);	/* our stdout carries the results */
			execvp(argv[6], argv + 6);
			perror("lifecycle: exec");
			_exit(127);
		}
		timed_out = 0;
		alarm(ROUND_LIMIT_S);
		for (int i = 0; i < nports; i++)
			fds[i] = -1;
		while (up < nports && !timed_out) {
			for (int i = 0; i < nports; i++)
				if (fds[i] < 0 &&
				    (fds[i] = connect_port(ports[i])) >= 0)
					up++;
			if (up < nports)
				nanosleep(&pause_100us, NULL);
		}
		t_listen[r] = now_ms() - t0;
		for (int i = 0; i < nports && !timed_out; i++)
			if (ask(fds[i]) < 0)
				timed_out = 1;
		t_serve[r] = now_ms() - t0;
		for (int i = 0; i < nports; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		if (timed_out)
			goto fail;

		if (cascade) {
			pid_t worker = first_child(pid);
			if (worker <= 0)
				goto fail;
			t1 = now_ms();
			kill(worker, SIGKILL);
		} else {
			t1 = now_ms();
			kill(pid, sig);
		}
		if (waitpid(pid, &status, 0) != pid)
			goto fail;
		t_end[r] = now_ms() - t1;
		alarm(0);
		if (WIFEXITED(status))
			fprintf(stderr, "lifecycle: round %d: exit %d\n", r,
				WEXITSTATUS(status));
		else
			fprintf(stderr, "lifecycle: round %d: signal %d\n", r,
				WTERMSIG(status));
		continue;
fail:
		fprintf(stderr, "lifecycle: round %d failed (%s)\n", r,
			timed_out ? "timed out" : "no worker or no answer");
		kill(pid, sig);
		sleep(1);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return 1;
	}
	report("listen", t_listen, rounds);
	report("serve", t_serve, rounds);
	report(cascade ? "cascade" : "stop", t_end, rounds);
	return 0;
}

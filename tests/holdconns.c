/* holdconns: open N keep-alive connections to 127.0.0.1:PORT, send one
 * request on each and read its response, then hold them all idle.
 *
 *   holdconns PORT N [SECONDS]
 *
 * Prints "held N" on stdout once every connection has had its answer, then
 * sleeps until SIGTERM, SIGINT or SECONDS (default 60) and exits 0; exits 1
 * when a connection or a response fails.  Used by tests/bench.sh to measure
 * the memory an idle keep-alive connection costs a server. */
#define _GNU_SOURCE	/* strcasestr */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Reads until the end of the head plus Content-Length body bytes. */
static int read_response(int fd)
{
	char buf[2048];
	size_t len = 0;

	for (;;) {
		ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);
		if (n <= 0)
			return -1;
		len += (size_t)n;
		buf[len] = '\0';
		char *end = strstr(buf, "\r\n\r\n");
		if (!end)
			continue;
		if (strncmp(buf, "HTTP/1.1 200", 12) != 0)
			return -1;
		char *cl = strcasestr(buf, "\r\nContent-Length:");
		size_t body = cl ? strtoul(cl + 17, NULL, 10) : 0;
		if (len >= (size_t)(end + 4 - buf) + body)
			return 0;
		if (len == sizeof buf - 1)
			return -1;
	}
}

int main(int argc, char **argv)
{
	static const char req[] =
		"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct timeval tv = { .tv_sec = 5 };
	int port, n, hold = 60;

	if (argc < 3 || (port = atoi(argv[1])) <= 0 || (n = atoi(argv[2])) <= 0) {
		fprintf(stderr, "usage: holdconns PORT N [SECONDS]\n");
		return 2;
	}
	if (argc > 3)
		hold = atoi(argv[3]);
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);

	for (int i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0) {
			fprintf(stderr, "holdconns: socket #%d: %s\n", i,
				strerror(errno));
			return 1;
		}
		/* A server that stops answering must not hang the bench. */
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
			fprintf(stderr, "holdconns: connect #%d: %s\n", i,
				strerror(errno));
			return 1;
		}
		if (write(fd, req, sizeof req - 1) != (ssize_t)sizeof req - 1 ||
		    read_response(fd) < 0) {
			fprintf(stderr, "holdconns: no 200 on connection #%d\n",
				i);
			return 1;
		}
	}
	printf("held %d\n", n);
	fflush(stdout);
	/* sleep(3) returns early on a signal: no race with pause(). */
	for (int s = 0; s < hold && !stop; s++)
		sleep(1);
	return 0;
}
